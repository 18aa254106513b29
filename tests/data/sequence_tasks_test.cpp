// Sequence tasks: examples are pure functions of (seed, index), targets are what each task
// defines (checked by independent computations), batches lay out BOS, EOS and padding as the
// decoder expects, and bad text gets errors that name the character.
#include "setformer/data/sequence_tasks.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>

namespace setformer::data {
namespace {

TEST(SequenceTasks, ExamplesArePureFunctionsOfSeedAndIndex) {
  const auto o = SequenceTaskOptions().task(SequenceTask::sort).min_length(3).max_length(9);
  const auto a = sequence_example(o, 7, 41), b = sequence_example(o, 7, 41);
  EXPECT_EQ(a.source, b.source);
  EXPECT_NE(sequence_example(o, 7, 42).source, a.source);
  EXPECT_NE(sequence_example(o, 8, 41).source, a.source);
}

TEST(SequenceTasks, TargetsAreTheTasksAnswers) {
  for (int64_t i = 0; i < 50; ++i) {
    const auto r = sequence_example(SequenceTaskOptions().task(SequenceTask::reverse), 1, i);
    ASSERT_EQ(r.source.size(), 20u);
    for (size_t j = 0; j < r.source.size(); ++j) EXPECT_EQ(r.target[j], r.source[19 - j]);
    const auto s = sequence_example(SequenceTaskOptions().task(SequenceTask::sort), 1, i);
    // Sorted, and the same multiset of letters (counted).
    std::map<char, int> counts;
    for (const char c : s.source) ++counts[c];
    for (size_t j = 0; j < s.target.size(); ++j) {
      if (j > 0) {
        EXPECT_LE(s.target[j - 1], s.target[j]);
      }
      --counts[s.target[j]];
      EXPECT_GE(s.target[j], 'a');
      EXPECT_LT(s.target[j], 'a' + 20);
    }
    for (const auto& [c, n] : counts) EXPECT_EQ(n, 0) << c;
    const auto add = sequence_example(SequenceTaskOptions().task(SequenceTask::addition), 1, i);
    const auto plus = add.source.find('+');
    EXPECT_EQ(std::stoll(add.target),
              std::stoll(add.source.substr(0, plus)) + std::stoll(add.source.substr(plus + 1)));
    EXPECT_LE(plus, 5u);
  }
  EXPECT_EQ(solve(SequenceTaskOptions().task(SequenceTask::addition), "99999+1"), "100000");
  // Fixed places and the sum least-significant digit first: 123 + 45678 = 045801.
  const auto places =
      SequenceTaskOptions().task(SequenceTask::addition).pad_operands(true).reverse_sum(true);
  EXPECT_EQ(solve(places, "00123+45678"), "108540");
  const auto e = sequence_example(places, 2, 5);
  ASSERT_EQ(e.source.size(), 11u);
  ASSERT_EQ(e.target.size(), 6u);
  std::string forward = e.target;
  std::reverse(forward.begin(), forward.end());
  EXPECT_EQ(std::stoll(forward),
            std::stoll(e.source.substr(0, 5)) + std::stoll(e.source.substr(6)));
  // Every number least-significant digit first: 123 + 45678 = 045801 as 32100 + 87654.
  const auto aligned = SequenceTaskOptions(places).reverse_operands(true);
  EXPECT_EQ(solve(aligned, "32100+87654"), "108540");
  EXPECT_EQ(solve(aligned, "99999+10000"), "000001");
  const auto r = sequence_example(aligned, 2, 5);
  ASSERT_EQ(r.source.size(), 11u);
  std::string a(r.source.rbegin() + 6, r.source.rend()),
      b(r.source.rbegin(), r.source.rbegin() + 5);
  std::string sum(r.target.rbegin(), r.target.rend());
  EXPECT_EQ(std::stoll(sum), std::stoll(a) + std::stoll(b));
  EXPECT_EQ(sequence_example(aligned, 2, 5).source, r.source);
  // Mixed lengths: every operand length 1..5 occurs, about equally often, and sums stay right.
  const auto mixed = SequenceTaskOptions().task(SequenceTask::addition).mixed_digits(true);
  std::map<size_t, int> lengths;
  for (int64_t i = 0; i < 2000; ++i) {
    const auto x = sequence_example(mixed, 3, i);
    const auto at = x.source.find('+');
    ++lengths[at];
    ++lengths[x.source.size() - at - 1];
    EXPECT_EQ(std::stoll(x.target),
              std::stoll(x.source.substr(0, at)) + std::stoll(x.source.substr(at + 1)));
  }
  ASSERT_EQ(lengths.size(), 5u);
  for (const auto& [length, count] : lengths) {
    EXPECT_GE(length, 1u);
    EXPECT_NEAR(count, 800, 120) << length;  // 4000 operands, binomial sd ≈ 25
  }
  EXPECT_EQ(solve(SequenceTaskOptions().task(SequenceTask::copy), "bca"), "bca");
}

TEST(SequenceTasks, BatchesPutBosEosAndPaddingWhereTheDecoderExpects) {
  const Vocabulary v = task_vocabulary(SequenceTaskOptions().symbols(4));
  const auto batch = encode_examples(v, {{"abc", "cba"}, {"d", "d"}});
  EXPECT_TRUE(batch.source.equal(torch::tensor({3, 4, 5, 6, 0, 0}).view({2, 3})));
  EXPECT_TRUE(batch.target_in.equal(torch::tensor({1, 5, 4, 3, 1, 6, 0, 0}).view({2, 4})));
  EXPECT_TRUE(batch.target_out.equal(torch::tensor({5, 4, 3, 2, 6, 2, 0, 0}).view({2, 4})));
  EXPECT_EQ(v.decode({5, 4, 2, 3}), "cb");
}

TEST(SequenceTasks, BadTextNamesTheCharacter) {
  const auto o = SequenceTaskOptions().symbols(3);
  testing::expect_invalid_argument([&] { solve(o, "abz"); },
                                   "character 'z' at position 3 is not in the alphabet \"abc\"");
  testing::expect_invalid_argument(
      [] { solve(SequenceTaskOptions().task(SequenceTask::addition), "12+"); }, "expected \"a+b\"");
  testing::expect_invalid_argument(
      [] { solve(SequenceTaskOptions().task(SequenceTask::addition), "123456+1"); },
      "1 to 5 digits");
  testing::expect_invalid_argument([] { parse_sequence_task("task.name", "rotate"); },
                                   "task.name = 'rotate' is not a task");
  testing::expect_invalid_argument(
      [] { validate(SequenceTaskOptions().min_length(5).max_length(4)); }, "min_length");
}

}  // namespace
}  // namespace setformer::data

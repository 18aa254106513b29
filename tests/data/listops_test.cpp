// ListOps: generated sequences obey LRA's rules (lengths, depth, arity) and their labels equal an
// independent stack evaluation; the operators on hand-worked cases; parsing and errors.
#include "setformer/data/listops.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace setformer::data {
namespace {

TEST(ListOps, OperatorsOnHandWorkedCases) {
  EXPECT_EQ(evaluate_listops(parse_listops("[MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ]")), 5);
  EXPECT_EQ(evaluate_listops(parse_listops("[MED 1 2 ]")), 1);  // 1.5 rounded down
  EXPECT_EQ(evaluate_listops(parse_listops("[MED 3 9 4 8 ]")), 6);
  EXPECT_EQ(evaluate_listops(parse_listops("[SM 9 9 9 ]")), 7);
  EXPECT_EQ(evaluate_listops(parse_listops("[MIN [SM 5 5 ] 7 ]")), 0);
  EXPECT_EQ(listops_text(parse_listops("[MAX 4 [SM 1 2 ] ]")), "[MAX 4 [SM 1 2 ] ]");
}

TEST(ListOps, GeneratedSequencesFollowTheRulesAndTheirLabels) {
  const ListOpsOptions o;
  std::set<int64_t> labels;
  for (int64_t i = 0; i < 40; ++i) {
    const auto e = listops_example(o, 3, i);
    const auto n = static_cast<int64_t>(e.tokens.size());
    EXPECT_GE(n, 500);
    EXPECT_LE(n, 2000);
    EXPECT_EQ(e.value, evaluate_listops(e.tokens)) << "example " << i;
    labels.insert(e.value);
    // Depth at most 10 (the root at 1), 2 to 10 arguments per operator.
    int64_t depth = 0, deepest = 0;
    std::vector<int64_t> arity;
    for (const auto t : e.tokens) {
      if (t >= listops::kMin && t <= listops::kSum) {
        if (!arity.empty()) ++arity.back();
        arity.push_back(0);
        deepest = std::max(deepest, ++depth);
      } else if (t == listops::kEnd) {
        EXPECT_GE(arity.back(), 2);
        EXPECT_LE(arity.back(), 10);
        arity.pop_back();
        --depth;
      } else {
        ++arity.back();
        EXPECT_LE(depth + 1, 10);  // a digit sits one level below its operator
      }
    }
    EXPECT_LE(deepest, 9);
  }
  EXPECT_GE(labels.size(), 5u);  // not a degenerate label distribution
  EXPECT_EQ(listops_example(o, 3, 7).tokens, listops_example(o, 3, 7).tokens);
  EXPECT_NE(listops_example(o, 3, 7).tokens, listops_example(o, 4, 7).tokens);
}

TEST(ListOps, BatchesPadAndCarryTheLabels) {
  const auto o = ListOpsOptions().min_length(20).max_length(60);
  const auto [tokens, labels] = listops_batch(o, 1, 0, 4);
  ASSERT_EQ(tokens.size(0), 4);
  for (int64_t b = 0; b < 4; ++b) {
    const auto e = listops_example(o, 1, b);
    const auto n = static_cast<int64_t>(e.tokens.size());
    EXPECT_TRUE(tokens[b].slice(0, 0, n).equal(torch::tensor(e.tokens)));
    EXPECT_EQ(tokens[b].slice(0, n).abs().sum().item<int64_t>(), 0);
    EXPECT_EQ(labels[b].item<int64_t>(), e.value);
  }
}

TEST(ListOps, BadInputIsNamed) {
  testing::expect_invalid_argument([] { parse_listops("[MAX 3 [FOO 2 ] ]"); },
                                   "'[FOO' is not a ListOps token");
  testing::expect_invalid_argument([] { evaluate_listops(parse_listops("[MAX 3 [MIN 2 ]")); },
                                   "not closed");
  testing::expect_invalid_argument([] { evaluate_listops(parse_listops("[MAX ]")); },
                                   "closes no list with arguments");
  testing::expect_invalid_argument([] { validate(ListOpsOptions().min_length(10).max_length(5)); },
                                   "min_length");
}

// The no-model baselines, recounted from batches with tensor operations: the modes over the
// training labels (overall and per root operator) and their hits on the test labels. MIN lists
// are mostly 0 and MAX lists mostly 9, which is what makes the root operator worth reading.
TEST(ListOps, BaselinesMatchARecountFromBatches) {
  const auto o = ListOpsOptions().min_length(10).max_length(120);
  const auto b = listops_baselines(o, 5, 3000, 6, 1000);
  const auto [train_tokens, train_labels] = listops_batch(o, 5, 0, 3000);
  const auto [test_tokens, test_labels] = listops_batch(o, 6, 0, 1000);
  const auto mode = [](const torch::Tensor& labels) {
    return torch::bincount(labels, {}, 10).argmax().item<int64_t>();
  };
  EXPECT_EQ(b.most_frequent_value, mode(train_labels));
  EXPECT_DOUBLE_EQ(b.most_frequent,
                   test_labels.eq(b.most_frequent_value).to(torch::kDouble).mean().item<double>());
  auto guesses = torch::empty_like(test_labels);
  for (int64_t op = listops::kMin; op <= listops::kSum; ++op) {
    const int64_t guess = mode(train_labels.index({train_tokens.select(1, 0).eq(op)}));
    EXPECT_EQ(b.root_guess[static_cast<size_t>(op - listops::kMin)], guess) << op;
    guesses.index_put_({test_tokens.select(1, 0).eq(op)}, guess);
  }
  EXPECT_DOUBLE_EQ(b.root_operator,
                   guesses.eq(test_labels).to(torch::kDouble).mean().item<double>());
  EXPECT_EQ(b.root_guess[listops::kMin - listops::kMin], 0);
  EXPECT_EQ(b.root_guess[listops::kMax - listops::kMin], 9);
  EXPECT_GT(b.root_operator, b.most_frequent + 0.1);
}

}  // namespace
}  // namespace setformer::data

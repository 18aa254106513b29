// Text batches: the stream joins documents with [SEP], windows are slices of it (random ones a
// pure function of seed and step), and classification batches truncate and pad.
#include "setformer/data/text_batches.h"

#include "common/errors.h"

#include <tuple>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::data {
namespace {

TokenizedDocuments three_documents() {
  TokenizedDocuments d;
  d.ids = {{10, 11, 12}, {20, 21}, {30, 31, 32, 33, 34}};
  d.labels = {0, 1, 1};
  return d;
}

TEST(TextBatches, TheStreamJoinsDocumentsWithSeparators) {
  const TokenStream stream(three_documents());
  ASSERT_EQ(stream.size(), 13);
  EXPECT_TRUE(stream.windows(0, 2, 4).equal(
      torch::tensor(std::vector<int64_t>{10, 11, 12, Tokenizer::kSep, 20, 21, Tokenizer::kSep, 30})
          .view({2, 4})));
  EXPECT_EQ(stream.window_count(4), 3);
  testing::expect_invalid_argument([&] { stream.windows(2, 2, 4); }, "the stream holds 3");
}

TEST(TextBatches, RandomWindowsAreSlicesChosenBySeedAndStep) {
  const TokenStream stream(three_documents());
  const auto w = stream.random_windows(50, 5, 3, 7);
  const auto all = stream.windows(0, 1, 13)[0];
  for (int64_t b = 0; b < 50; ++b) {
    // Each row is the stream from some offset.
    bool found = false;
    for (int64_t s = 0; s + 5 <= 13 && !found; ++s) found = all.slice(0, s, s + 5).equal(w[b]);
    EXPECT_TRUE(found) << "row " << b;
  }
  EXPECT_TRUE(stream.random_windows(50, 5, 3, 7).equal(w));
  EXPECT_FALSE(stream.random_windows(50, 5, 3, 8).equal(w));
}

TEST(TextBatches, ClassificationBatchesTruncateAndPad) {
  const auto [tokens, labels] = classification_batch(three_documents(), {2, 1}, 4);
  EXPECT_TRUE(tokens.equal(torch::tensor({30, 31, 32, 33, 20, 21, 0, 0}).view({2, 4})));
  EXPECT_TRUE(labels.equal(torch::tensor({1, 1})));
}

TEST(TextBatches, TokenizesDocumentsUpToALimit) {
  Document a{"a", "hello world", 1, Split::train, {}};
  const auto t = tokenize_documents({&a}, Tokenizer(), 4);
  EXPECT_EQ(t.ids[0].size(), 4u);
  EXPECT_EQ(Tokenizer().decode(t.ids[0]), "hell");
  EXPECT_EQ(t.labels[0], 1);
}

// BERT's inputs: [CLS] a [SEP] b [SEP], cut longest-first from the end of the longer text (b on a
// tie), checked against the cut worked out by hand.
TEST(TextBatches, PairsAreCutLongestFirst) {
  const int64_t C = Tokenizer::kCls, S = Tokenizer::kSep;
  const std::vector<int64_t> a{10, 11, 12, 13, 14, 15}, b{20, 21};
  auto [ids, first] = encode_pair(a, &b, 9);  // 6 + 2 tokens into 9 - 3 = 6: a loses 2
  EXPECT_EQ(ids, (std::vector<int64_t>{C, 10, 11, 12, 13, S, 20, 21, S}));
  EXPECT_EQ(first, 6);
  std::tie(ids, first) = encode_pair(a, &b, 6);  // into 3: a 6->2 (then tie 2,2: b 2->1)
  EXPECT_EQ(ids, (std::vector<int64_t>{C, 10, 11, S, 20, S}));
  std::tie(ids, first) = encode_pair(a, nullptr, 5);
  EXPECT_EQ(ids, (std::vector<int64_t>{C, 10, 11, 12, S}));
  EXPECT_EQ(first, 5);
  testing::expect_invalid_argument([&] { encode_pair(a, &b, 4); }, "cannot hold");

  EncodedExamples e;
  for (const auto& [x, f, t] : {std::tuple{std::vector<int64_t>{C, 7, S, 8, S}, 3, 1.0},
                                std::tuple{std::vector<int64_t>{C, 9, S}, 3, 0.0}}) {
    e.ids.push_back(x);
    e.first.push_back(f);
    e.targets.push_back(t);
  }
  const auto batch = pair_batch(e, {1, 0}, false);
  const auto longs = [](const torch::Tensor& t) { return t.to(torch::kLong); };
  const int c = static_cast<int>(C), s = static_cast<int>(S);
  EXPECT_TRUE(batch.tokens.equal(longs(torch::tensor({{c, 9, s, 0, 0}, {c, 7, s, 8, s}}))));
  EXPECT_TRUE(batch.segments.equal(longs(torch::tensor({{0, 0, 0, 0, 0}, {0, 0, 0, 1, 1}}))));
  EXPECT_TRUE(batch.targets.equal(longs(torch::tensor({0, 1}))));
  EXPECT_EQ(pair_batch(e, {0}, true).targets.scalar_type(), torch::kFloat);
}

}  // namespace
}  // namespace setformer::data

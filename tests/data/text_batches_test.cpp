// Text batches: the stream joins documents with [SEP], windows are slices of it (random ones a
// pure function of seed and step), and classification batches truncate and pad.
#include "setformer/data/text_batches.h"

#include "common/errors.h"

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
  Document a{"a", "hello world", 1, Split::train};
  const auto t = tokenize_documents({&a}, Tokenizer(), 4);
  EXPECT_EQ(t.ids[0].size(), 4u);
  EXPECT_EQ(Tokenizer().decode(t.ids[0]), "hell");
  EXPECT_EQ(t.labels[0], 1);
}

}  // namespace
}  // namespace setformer::data

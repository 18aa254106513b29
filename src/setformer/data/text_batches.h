// Batches of the language experiments (issue 7): documents tokenized once, a token stream of a
// split cut into windows for masked language modelling, and documents truncated to a length for
// classification. Every batch is a pure function of its arguments, so runs resume exactly.
#pragma once

#include "setformer/data/text_corpora.h"
#include "setformer/data/tokenizer.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace setformer::data {

struct TokenizedDocuments {
  std::vector<std::vector<int64_t>> ids;  // one token sequence per document
  std::vector<int64_t> labels;            // the documents' labels (-1 when unlabelled)
};

/// Tokenizes `documents` with `tokenizer`, keeping at most `max_tokens` tokens of each (0: all).
TokenizedDocuments tokenize_documents(const std::vector<const Document*>& documents,
                                      const Tokenizer& tokenizer, int64_t max_tokens = 0);

/// The documents' tokens joined into one stream, each document followed by a [SEP].
class TokenStream {
 public:
  explicit TokenStream(const TokenizedDocuments& documents);
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  /// `batch` windows of `length` tokens at offsets drawn uniformly from (seed, step):
  /// [batch, length] int64.
  torch::Tensor random_windows(int64_t batch, int64_t length, uint64_t seed, int64_t step) const;
  /// Non-overlapping windows first .. first + count − 1 of `length` tokens, for evaluation.
  torch::Tensor windows(int64_t first, int64_t count, int64_t length) const;
  /// How many whole non-overlapping windows of `length` tokens the stream holds.
  int64_t window_count(int64_t length) const { return size() / length; }

 private:
  std::vector<int64_t> tokens_;
};

/// Documents `indices` truncated to their first `length` tokens and padded with kPad:
/// tokens [B, length] int64 and labels [B] int64. Throws if a document has no tokens.
std::pair<torch::Tensor, torch::Tensor> classification_batch(const TokenizedDocuments& documents,
                                                             const std::vector<int64_t>& indices,
                                                             int64_t length);

}  // namespace setformer::data

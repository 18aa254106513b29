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

/// BERT's input for a text or a text pair (Devlin et al. 2019, §3): [CLS] a [SEP], or
/// [CLS] a [SEP] b [SEP], with a and b cut longest-first (a token from the end of the longer one,
/// from b on a tie, as Hugging Face's `longest_first`) until it fits `length`. Returns the ids and
/// how many of them belong to the first segment ([CLS] a [SEP]). Throws when `length` cannot hold
/// the specials and a token of each text.
std::pair<std::vector<int64_t>, int64_t> encode_pair(std::vector<int64_t> a,
                                                     const std::vector<int64_t>* b, int64_t length);

/// Labelled texts, encoded by encode_pair.
struct EncodedExamples {
  std::vector<std::vector<int64_t>> ids;
  std::vector<int64_t> first;   // the first segment's length
  std::vector<double> targets;  // a class index, or a regression target
};

struct PairBatch {
  torch::Tensor tokens;    // [B, n] int64, padded with kPad to the longest in the batch
  torch::Tensor segments;  // [B, n] int64: 0 for [CLS] a [SEP] (and padding), 1 for b [SEP]
  torch::Tensor targets;   // [B] int64 class indices, or float targets when `regression`
};

PairBatch pair_batch(const EncodedExamples& examples, const std::vector<int64_t>& indices,
                     bool regression);

}  // namespace setformer::data

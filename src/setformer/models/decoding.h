// Decoding a Transformer (models/transformer.h): greedy and beam search with the GNMT length
// penalty (Wu et al. 2016, §7), both over the incremental decoder so that a sequence of length L
// costs L steps of one token each; greedy also without the cache, as the reference its tests
// compare against.
#pragma once

#include "setformer/models/transformer.h"

#include <cstdint>
#include <vector>

namespace setformer::models {

struct DecodeOptions {
  TORCH_ARG(int64_t, bos_id) = 1;
  TORCH_ARG(int64_t, eos_id) = 2;
  /// Generated tokens at most (EOS included); a hypothesis still open then ends there.
  TORCH_ARG(int64_t, max_length) = 64;
  /// k: hypotheses kept per sequence; 1 is greedy.
  TORCH_ARG(int64_t, beam) = 1;
  /// α of lp(Y) = ((5 + |Y|)/6)^α; hypotheses are ranked by log P(Y) / lp(Y). 0: raw log P.
  TORCH_ARG(double, length_penalty) = 0.6;
  /// Greedy only: recompute the whole prefix every step instead of using the cache.
  TORCH_ARG(bool, use_cache) = true;
};

struct Hypothesis {
  std::vector<int64_t> tokens;  // generated tokens, without BOS and EOS
  double log_probability = 0;   // log P(tokens, EOS | source)
  double score = 0;             // log_probability / lp
  bool finished = false;        // ended with EOS (not cut at max_length)
};

/// The most likely continuation of each source sequence [B, S] by picking the most probable
/// token at each step; one hypothesis per sequence. The model should be in eval mode.
std::vector<Hypothesis> greedy_decode(Transformer& model, const torch::Tensor& source,
                                      const DecodeOptions& options);

/// Beam search: keeps the k best partial hypotheses per sequence by log-probability, moves the
/// ones that emit EOS among the k best continuations to a finished list scored with the length
/// penalty, and stops a sequence once no open hypothesis can score above the best finished one
/// (or at max_length, where the open ones are scored too). Returns each sequence's best-scored
/// hypothesis. beam = 1 with length_penalty 0 is greedy decoding.
std::vector<Hypothesis> beam_search(Transformer& model, const torch::Tensor& source,
                                    const DecodeOptions& options);

/// greedy_decode() when options.beam() == 1, else beam_search().
std::vector<Hypothesis> decode(Transformer& model, const torch::Tensor& source,
                               const DecodeOptions& options);

}  // namespace setformer::models

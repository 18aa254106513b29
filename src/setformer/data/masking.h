// Masked language modelling inputs (BERT, Devlin et al. 2019, §3.1 "Task #1"): a fraction of the
// tokens is selected for prediction; of those, 80% are replaced by [MASK], 10% by a random token
// and 10% left unchanged.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace setformer::data {

/// Label of the tokens the loss ignores (PyTorch's cross-entropy default).
inline constexpr int64_t kIgnoreLabel = -100;

struct MaskedTokens {
  torch::Tensor inputs;  // [B, n] int64: the tokens with the selected ones replaced
  torch::Tensor labels;  // [B, n] int64: the original id where selected, else kIgnoreLabel
};

/// Selects each token with id >= first_regular (specials and padding never) with probability
/// `rate`, then replaces it by `mask_id` (80%), a random id in [first_regular, vocab) (10%) or
/// itself (10%). A pure function of (tokens, seed). tokens [B, n] int64 on the CPU.
MaskedTokens mask_tokens(const torch::Tensor& tokens, double rate, int64_t mask_id,
                         int64_t first_regular, int64_t vocab, uint64_t seed);

}  // namespace setformer::data

#include "setformer/data/masking.h"

#include "setformer/core/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace setformer::data {

MaskedTokens mask_tokens(const torch::Tensor& tokens, double rate, int64_t mask_id,
                         int64_t first_regular, int64_t vocab, uint64_t seed) {
  check_shape(tokens, "tokens", {-1, -1}, "[B, n]");
  SETFORMER_CHECK(tokens.scalar_type() == torch::kLong && tokens.device().is_cpu(),
                  "mask_tokens: tokens must be int64 on the CPU");
  SETFORMER_CHECK(rate > 0 && rate < 1, "masking rate must be in (0, 1), got {}", rate);
  SETFORMER_CHECK(first_regular < vocab,
                  "masking needs regular tokens: first_regular = {} >= vocab = {}", first_regular,
                  vocab);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto u = torch::rand(tokens.sizes(), generator, torch::kDouble);
  const auto action = torch::rand(tokens.sizes(), generator, torch::kDouble);
  const auto random_ids = torch::randint(first_regular, vocab, tokens.sizes(), generator,
                                         torch::TensorOptions(torch::kLong));
  const auto selected = tokens.ge(first_regular) & u.lt(rate);
  MaskedTokens out;
  out.labels = torch::where(selected, tokens, torch::full_like(tokens, kIgnoreLabel));
  auto inputs = torch::where(selected & action.lt(0.8), torch::full_like(tokens, mask_id), tokens);
  out.inputs = torch::where(selected & action.ge(0.8) & action.lt(0.9), random_ids, inputs);
  return out;
}

}  // namespace setformer::data

// Scaled dot-product multi-head attention (Vaswani et al. 2017, §3.2): the reference baseline
// every other kernel is measured against.
#pragma once

#include "setformer/attention/attention.h"

#include <torch/nn/modules/linear.h>

namespace setformer::attention {

/// softmax(Q Kᵀ / √d_h + mask) V per head, heads concatenated and projected by W_o.
/// Time O(n_q·n_ctx·d), memory O(H·n_q·n_ctx). Supports padding and causal masks and dropout on
/// the attention weights. query [B, n_q, d], context [B, n_ctx, d] -> [B, n_q, d].
class SoftmaxAttentionImpl : public AttentionImpl {
 public:
  explicit SoftmaxAttentionImpl(const AttentionOptions& options);

  std::string kernel_name() const override { return "softmax"; }
  bool supports_causal() const override { return true; }
  bool permutation_equivariant() const override { return true; }
  /// 4·n·d² projections + 2·n_q·n_ctx·d for the scores and the weighted sum.
  double flops(int64_t n_q, int64_t n_ctx) const override;
  /// Keeps the projected keys and values, so that each step projects only the new tokens.
  torch::Tensor forward_cached(const torch::Tensor& query, const torch::Tensor& new_context,
                               AttentionCache& cache,
                               const torch::Tensor& new_padding = {}) override;

 protected:
  torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& context, const Mask& mask,
                       bool self) override;
  /// Heads q [B, H, n_q, d_h] over k, v [B, H, n_ctx, d_h] -> [B, n_q, d], dropout included.
  torch::Tensor combine(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const Mask& mask);

  /// Masked, scaled scores softmaxed over the context: [B, H, n_q, n_ctx]. `blocked` (bool,
  /// broadcastable to the scores, true = hidden) adds to the padding and causal masks; a row it
  /// hides entirely must belong to a query whose output is discarded.
  torch::Tensor probabilities(const torch::Tensor& q, const torch::Tensor& k, const Mask& mask,
                              const torch::Tensor& blocked = {}) const;

  torch::nn::Linear w_q_{nullptr}, w_k_{nullptr}, w_v_{nullptr}, w_o_{nullptr};
};

TORCH_MODULE(SoftmaxAttention);

}  // namespace setformer::attention

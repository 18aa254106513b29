// Attention through learned inducing points (Set Transformer, Lee et al. ICML 2019, §3.2, ISAB)
// as a kernel behind the common interface: m learned points first attend to the context, then
// the queries attend to what they gathered. One of the efficient-attention baselines.
#pragma once

#include "setformer/attention/attention.h"

namespace setformer::attention {

/// Two softmax attentions (softmax.h), each with its own projections:
///   H = Attn₁(I, context)   [m, d],   out = Attn₂(query, H)
/// with I [m, d] learned (options.inducing().points()). It is the attention part of ISAB_m
/// (`nn::ISAB` adds the MAB's residuals, norms and feed-forward around each hop). Padded context
/// tokens take no part in the first hop; dropout acts in both. Time O((n_q + n_ctx)·m·d),
/// memory O((n_q + n_ctx)·m·H). query [B, n_q, d], context [B, n_ctx, d] -> [B, n_q, d].
class InducingAttentionImpl : public AttentionImpl {
 public:
  explicit InducingAttentionImpl(const AttentionOptions& options);

  std::string kernel_name() const override { return "isab"; }
  bool supports_causal() const override { return false; }
  bool permutation_equivariant() const override { return true; }
  /// Both hops' softmax attention.
  double flops(int64_t n_q, int64_t n_ctx) const override;

  torch::Tensor inducing;  // I [m, d], a parameter

 protected:
  torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& context, const Mask& mask,
                       bool self) override;

  Attention gather_{nullptr}, spread_{nullptr};
};

TORCH_MODULE(InducingAttention);

}  // namespace setformer::attention

// Linear attention (Katharopoulos et al., "Transformers are RNNs", ICML 2020, §3.2–3.3): the
// softmax similarity replaced by a kernel φ(q)ᵀφ(k) with φ(x) = elu(x) + 1, so the sums over the
// context factor out of every query. One of the efficient-attention baselines of the SeTformer
// paper.
#pragma once

#include "setformer/attention/attention.h"

namespace setformer::attention {

/// Per head (Eq. 5–6):
///   out_i = φ(q_i)ᵀ S / (φ(q_i)ᵀ z),   S = Σ_j φ(k_j) v_jᵀ [d_h, d_h],   z = Σ_j φ(k_j),
/// over the valid context tokens, or over j ≤ i when causal (prefix sums: the RNN form of §3.4).
/// Time O(n·d_h²) per head, memory O(d_h²) per head beyond the inputs (O(n·d_h²) in the causal
/// form, whose prefix sums autograd keeps). query [B, n_q, d], context [B, n_ctx, d] -> [B, n_q,
/// d].
class LinearAttentionImpl : public AttentionImpl {
 public:
  explicit LinearAttentionImpl(const AttentionOptions& options);

  std::string kernel_name() const override { return "linear"; }
  bool supports_causal() const override { return true; }
  bool permutation_equivariant() const override { return true; }
  /// 4·n·d² projections + 2·(n_q + n_ctx)·d·d_h for S and its products.
  double flops(int64_t n_q, int64_t n_ctx) const override;

  /// φ(x) = elu(x) + 1 > 0.
  static torch::Tensor feature_map(const torch::Tensor& x);

 protected:
  /// The positive features of queries or keys [B, H, n, d_h] -> [B, H, n, r]; `padding`
  /// ([B, n], keys only) marks tokens whose features are discarded. Performer overrides it.
  virtual torch::Tensor features(const torch::Tensor& x, bool queries,
                                 const torch::Tensor& padding);
  torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& context, const Mask& mask,
                       bool self) override;

  torch::nn::Linear w_q_{nullptr}, w_k_{nullptr}, w_v_{nullptr}, w_o_{nullptr};
};

TORCH_MODULE(LinearAttention);

}  // namespace setformer::attention

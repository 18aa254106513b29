// Performer attention (Choromanski et al., "Rethinking Attention with Performers", ICLR 2021):
// FAVOR+ estimates the softmax kernel exp(qᵀk/√d_h) by positive orthogonal random features, so
// attention becomes linear attention on those features. One of the efficient-attention
// baselines of the SeTformer paper.
#pragma once

#include "setformer/attention/linear.h"

namespace setformer::attention {

/// Linear attention (linear.h) with the features of FAVOR+ (Lemma 1, §3.2):
///   φ(x) = exp(W x̂ − ‖x̂‖²/2) / √m,   x̂ = x / d_h^{1/4},
/// W [m, d_h] orthogonal random directions in blocks of d_h, each row scaled to the norm of a
/// Gaussian vector (§3.3), shared by the heads and stored with the model (a buffer). Then
/// E[φ(q)ᵀφ(k)] = exp(qᵀk/√d_h): the output converges to softmax attention as m grows. The
/// largest exponent is subtracted before exp (per query row; over all valid keys), which the
/// normalisation cancels. options.performer(): m, redraw.
class PerformerAttentionImpl : public LinearAttentionImpl {
 public:
  explicit PerformerAttentionImpl(const AttentionOptions& options);

  std::string kernel_name() const override { return "performer"; }
  /// Projections, m·d_h per token for the features, and 2·(n_q + n_ctx)·m·d_h for the sums.
  double flops(int64_t n_q, int64_t n_ctx) const override;

  /// A fresh draw of W [m, d_h] from the global generator.
  torch::Tensor draw_features() const;
  torch::Tensor omega;  // W, a buffer

 protected:
  torch::Tensor features(const torch::Tensor& x, bool queries,
                         const torch::Tensor& padding) override;
};

TORCH_MODULE(PerformerAttention);

}  // namespace setformer::attention

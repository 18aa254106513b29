// Nyströmformer (Xiong et al., "Nyströmformer: A Nyström-Based Algorithm for Approximating
// Self-Attention", AAAI 2021): softmax attention approximated through m landmarks, linear in n.
// One of the efficient-attention baselines of the SeTformer paper.
#pragma once

#include "setformer/attention/attention.h"

#include <utility>

namespace setformer::attention {

/// Per head, with q and k scaled by d_h^{-1/4} so that products carry softmax's 1/√d_h (Eq. 14):
///   out = softmax(Q K̃ᵀ) · Z · (softmax(Q̃ Kᵀ) V),   Z ≈ softmax(Q̃ K̃ᵀ)⁺
/// where Q̃, K̃ [m, d_h] are the landmarks: means of m contiguous segments of the valid queries
/// and keys (§3.3; segments of a sequence whose length is not a multiple of m differ by at most
/// one token), and Z is the iterative Moore–Penrose pseudo-inverse of Eq. 16. With at most m
/// valid tokens every token is its own landmark, and the layer equals softmax attention up to the
/// pseudo-inverse's convergence. Padding follows the valid tokens (padded keys get no weight and
/// are left out of the landmarks); dropout acts on the query-to-landmark weights. Time
/// O(n·m·d + m³·H), memory O(n·m·H). Not permutation-equivariant: landmarks follow the order.
/// query [B, n_q, d], context [B, n_ctx, d] -> [B, n_q, d]. options.nystrom(): m, iterations.
class NystromAttentionImpl : public AttentionImpl {
 public:
  explicit NystromAttentionImpl(const AttentionOptions& options);

  std::string kernel_name() const override { return "nystrom"; }
  bool supports_causal() const override { return false; }
  bool permutation_equivariant() const override { return false; }
  /// Projections, the three kernels, their products with V and Z, and the pseudo-inverse.
  double flops(int64_t n_q, int64_t n_ctx) const override;

  /// Means of m contiguous segments of the valid tokens of x [B, H, n, d_h] (padding [B, n],
  /// true = padding, may be undefined) -> landmarks [B, H, m, d_h] and which exist [B, m] (a
  /// sequence with fewer than m valid tokens leaves some segments empty; their landmark is 0).
  static std::pair<torch::Tensor, torch::Tensor> segment_means(const torch::Tensor& x,
                                                               const torch::Tensor& padding,
                                                               int64_t m);

  /// Eq. 16 (Razavi et al. 2014): Z₀ = Aᵀ / (‖A‖₁‖A‖∞), then
  /// Z ← ¼ Z (13I − AZ (15I − AZ (7I − AZ))) `iterations` times; converges to A⁺ for any A.
  /// a [..., r, c] -> [..., c, r].
  static torch::Tensor iterative_pinv(const torch::Tensor& a, int64_t iterations);

 protected:
  torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& context, const Mask& mask,
                       bool self) override;

  torch::nn::Linear w_q_{nullptr}, w_k_{nullptr}, w_v_{nullptr}, w_o_{nullptr};
};

TORCH_MODULE(NystromAttention);

}  // namespace setformer::attention

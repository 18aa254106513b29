// The fused CPU path of SeT self-attention's core (issue 8): from the projected queries to
// redistributed values in one loop per (batch, head) plan, with its own backward. Per plan, with
// the spherical Gaussian kernel (DESIGN.md §2, steps 1–5):
//   q̂ = q / ‖q‖ per row                    F::normalize's eps, without its autograd nodes
//   κ = exp(q̂ (αẑ)ᵀ − α)                   similarity          [n, m], one product
//   K = exp(κ ⊙ w − rowmax)                 w = π/ε, the scores' kernel
//   u, v = T matrix-scaling iterations      P = diag(u_T) K diag(v_T)   (scaling.h)
//   C = Pᵀ V,  Y = s · P C                  s = n_valid · m              two products
// The reference is SetAttentionImpl's composition of LibTorch operations (similarity(),
// sinkhorn(), batched_matmul()); the tests hold the two equal in double precision.
//
// Why it is faster than the composition: the n×m matrices (κ, K, P and their gradients) stay in
// cache within a plan, each elementwise step is a loop over a row instead of a pass over
// [B, H, n, m] in memory, heads are read from and written to the [B, n, H·d_h] layout of the
// projections in place, and only κ and K are kept for the backward (P is recomputed).
// Backward per plan: ∂C = s·Pᵀ∂Y, ∂P = s·∂Y Cᵀ + V ∂Cᵀ, ∂V = P ∂C, ∂S from scaling_backward(),
// ∂c = ∂S ⊙ w ⊙ κ, ∂q̂ = ∂c (αẑ), ∂(αẑ) = Σ_b ∂cᵀ q̂, ∂q = (∂q̂ − q̂ (q̂·∂q̂)) / ‖q‖. First-order only.
// The backward keeps κ, the cells and either K with the T iterates (unrolled) or P (implicit,
// memory independent of T).
#pragma once

#include "setformer/attention/options.h"

#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace setformer::attention::detail {

struct SetCoreInputs {
  torch::Tensor q;            // [B, H, n, d_h] queries (any strides with unit inner stride)
  torch::Tensor z_scaled;     // [H, m, d_h] α · ẑ
  torch::Tensor values;       // [B, H, n, d_h] (any strides with unit inner stride)
  torch::Tensor weight;       // [B or 1, n, m] π/ε (or 1/ε without positions), positive
  torch::Tensor row_weights;  // [B, n] a_i = 1/n_valid on valid tokens, 0 on padding
  torch::Tensor scale;        // [B] s = n_valid · m
  double alpha = 1.0;
  int64_t iterations = 10;
  SinkhornBackward backward = SinkhornBackward::unrolled;
  /// Stop Sinkhorn early once every row marginal is within this relative tolerance (0: run all
  /// T). Honoured where the iterates are not kept: inference and the implicit backward.
  double stop_tolerance = 0.0;
};

struct SetCoreResult {
  torch::Tensor output;         // [B, n, H · d_h], differentiable in q, z_scaled, values
  double max_marginal_error{};  // as SinkhornReport::max_marginal_error, worst plan
  int64_t iterations{};         // Sinkhorn iterations done, most over plans
};

/// Runs the fused core, or returns nullopt where it does not apply: tensors not on the CPU or not
/// float/double, or a weight above the matrix-scaling range limit (scaling_range_limit(): since
/// κ ∈ (0, 1], max w bounds every score row's range).
std::optional<SetCoreResult> set_core_fused(const SetCoreInputs& inputs);

}  // namespace setformer::attention::detail

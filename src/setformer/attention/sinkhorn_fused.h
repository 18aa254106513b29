// The fused CPU path of Sinkhorn (DESIGN.md §2.3): the same T iterations as the log-domain
// reference in sinkhorn.cpp, run as matrix scaling on K = exp(S − rowmax S) inside one loop per
// plan, with a hand-written backward through the iterations.
//
// Why matrix scaling is safe here: row i of K lies in [exp(−R_i), 1] with R_i = max_j S_ij −
// min_j S_ij, and the scaling vectors stay within exp(±2R) of the marginals. With the default
// spherical-Gaussian similarity κ̃ ∈ (0, 1] and ε = 0.1, R < 10. Scores whose row range exceeds
// `scaling_range_limit` (30 in float, 250 in double) go to the log-domain reference instead.
//
// Why it is fast: one exp per entry instead of 2T log-sum-exps over [n, m], and each iteration is
// one pass over a plan that stays in cache (scaling.h); plans run in parallel over the batch.
// The backward keeps K and the T scaling vectors (O(n·m + T·(n + m)) memory, not T copies of
// [n, m]) and returns exactly the gradient of the unrolled iterations:
//   x_t = K v_{t−1}, u_t = a / x_t, y_t = Kᵀ u_t, v_t = b / y_t, P = diag(u_T) K diag(v_T)
//   ∂L/∂S = Ḡ ⊙ P + K ⊙ Σ_t (u_t ȳ_tᵀ + x̄_t v_{t−1}ᵀ),
//   ȳ_t = −v̄_t ⊙ v_t² / b,  x̄_t = −ū_t ⊙ u_t² / a,  ū_t = [t = T]·(Ḡ ⊙ K) v_T + K ȳ_t,
//   v̄_{t−1} = Kᵀ x̄_t,  v̄_T = (Ḡ ⊙ K)ᵀ u_T.
// The row maxima only rescale u, so P and its gradient do not depend on them.
// The backward is first-order only (it is not itself differentiable); SinkhornOptions::fused(false)
// gives higher-order gradients. With SinkhornBackward::implicit the forward keeps only P and the
// backward differentiates the fixed point instead (scaling.h, implicit_backward()).
#pragma once

#include "setformer/attention/options.h"

#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace setformer::attention::detail {

/// Largest row range max_j S_ij − min_j S_ij for which `sinkhorn_fused` runs, by dtype.
double scaling_range_limit(torch::ScalarType dtype);

struct FusedSinkhorn {
  torch::Tensor plan;           // [..., n, m], differentiable with respect to the scores
  double max_marginal_error{};  // as SinkhornReport::max_marginal_error
  int64_t iterations{};         // iterations done (fewer than asked after an early stop)
};

/// The plan for scores [..., n, m] with row weights a [..., n] and column weights b [..., m]
/// (any shapes broadcastable to those; 0 marks padding), or nullopt when the fused path does not
/// apply: scores not on the CPU, not float or double, or a row range above the limit.
/// `stop_tolerance` (SinkhornOptions::stop_tolerance) applies where the iterates are not kept:
/// without gradients, or with the implicit backward.
std::optional<FusedSinkhorn> sinkhorn_fused(const torch::Tensor& scores,
                                            const torch::Tensor& row_weights,
                                            const torch::Tensor& col_weights, int64_t iterations,
                                            SinkhornBackward backward = SinkhornBackward::unrolled,
                                            double stop_tolerance = 0.0);

}  // namespace setformer::attention::detail

// Similarity kernels between tokens and references (DESIGN.md §2.1) and the Nyström feature
// map built on them (SeTformer paper Eq. 5, DESIGN.md §2.6).
#pragma once

#include "setformer/attention/options.h"

#include <torch/types.h>

namespace setformer::attention {

/// The spherical kernel's floor on ‖q‖ and ‖z‖ when it normalises them (F::normalize's eps):
/// the composition, SetAttentionImpl and the fused core all use this one.
constexpr double kNormFloor = 1e-12;

/// κ(q_i, z_j) for every pair: q [..., n, d_h], z [..., m, d_h] -> [..., n, m].
///   spherical_gaussian  exp(α(<q̂, ẑ> − 1)),  gaussian  exp(−(α/2)‖q − z‖²),  dot  <q, z>/√d_h.
torch::Tensor similarity(const torch::Tensor& q, const torch::Tensor& z, SimilarityKernel kernel,
                         double alpha);

/// κ(Z, Z)^{-1/2} for references z [..., m, d_h] -> [..., m, m], symmetric. Eigenvalues are
/// clamped to at least `eigen_floor` first, so near-singular reference sets stay finite.
torch::Tensor kernel_inverse_sqrt(const torch::Tensor& z, SimilarityKernel kernel, double alpha,
                                  double eigen_floor);

}  // namespace setformer::attention

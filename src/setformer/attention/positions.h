// Linear positional encoding (LPE) of SeT attention (SeTformer paper §3 "Linear positional
// encoding", after Mairal 2016; DESIGN.md §2.2): a Gaussian filter on the distance between a
// token's normalised position and a reference's, multiplied into the similarity.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>

namespace setformer::attention {

/// 1-D positions p_i = i/n, i = 0..n−1: [1, n, 1]. With padding [B, n] (true = padding), i is
/// a token's rank among the valid tokens of its sequence and n their count: [B, n, 1], so a
/// padded sequence sees the same positions as the unpadded one.
torch::Tensor sequence_positions(int64_t n, const torch::Tensor& padding,
                                 const torch::TensorOptions& options);

/// Cells of a row-major rows×cols grid at (r/rows, c/cols): [1, rows·cols, 2].
torch::Tensor grid_positions(int64_t rows, int64_t cols, const torch::TensorOptions& options);

/// π_ij = exp(−‖p_i − r_j‖²/σ²), the product of per-axis filters:
/// tokens [..., n, D], references [..., m, D] -> [..., n, m].
torch::Tensor lpe_filter(const torch::Tensor& token_positions,
                         const torch::Tensor& reference_positions, double sigma);

/// The most square factorisation m = a·b with a <= b (for a reference grid).
std::pair<int64_t, int64_t> square_factors(int64_t m);

}  // namespace setformer::attention

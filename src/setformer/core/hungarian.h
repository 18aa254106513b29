// Minimum-cost assignment (the Hungarian method, Kuhn 1955 / Munkres 1957, in the O(n²m)
// shortest-augmenting-path form with dual potentials). Set prediction matches predicted slots to
// target objects with it (Slot Attention §2.3; DSPN).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace setformer {

/// cost: row-major rows × cols, finite. Returns for every row the column assigned to it, such
/// that no column is used twice and the total cost is minimal; when rows > cols the rows left
/// without a column get -1.
std::vector<int64_t> hungarian(const std::vector<double>& cost, int64_t rows, int64_t cols);

/// cost [B, n, m] (any floating type, any device) -> [B, n] int64 on the CPU: the minimum-cost
/// assignment of every matrix of the batch (-1 for rows left unassigned when n > m).
torch::Tensor hungarian_batch(const torch::Tensor& cost);

}  // namespace setformer

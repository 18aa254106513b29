// Metrics of object-centric models (Slot Attention, appendix E.9): the adjusted Rand index of a
// segmentation against the ground-truth instances, and its foreground-only variant.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace setformer::train {

/// Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same points (any integer
/// labels): (index − expected) / (max − expected) over pairs counted by the contingency table.
/// 1 for identical partitions up to renaming, about 0 for independent ones. When both labelings
/// are trivial in the same way (max = expected: one cluster each, or all singletons) it is 1, as
/// in the Multi-Object Datasets implementation. NaN for fewer than two points.
double adjusted_rand_index(const std::vector<int64_t>& truth,
                           const std::vector<int64_t>& predicted);

/// Foreground ARI per image (appendix E.9: the background is excluded). truth [B, P] integer
/// instance ids per pixel with 0 = background; masks [B, K, P] per-slot masks whose argmax over
/// K is the predicted segment. -> [B] double.
torch::Tensor foreground_ari(const torch::Tensor& truth, const torch::Tensor& masks);

}  // namespace setformer::train

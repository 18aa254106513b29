// Metrics of object-centric models (Slot Attention, appendix E.9): the adjusted Rand index of a
// segmentation against the ground-truth instances with its foreground-only variant, and the
// average precision of set prediction.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace setformer::tasks {

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

/// How an object's property vector is laid out: `coordinates` positions first, then one-hot
/// groups of the given sizes, then the confidence / real-object flag (ClevrLayout in
/// data/object_scenes.h: 2 coordinates, groups {2, 2, 3, 8}).
struct PropertyLayout {
  int64_t coordinates = 2;
  std::vector<int64_t> groups;
  int64_t features() const;
};

/// Average precision of set prediction at a distance threshold (appendix E.9, after DSPN):
/// every predicted object of every image, sorted by confidence (its last feature), is a true
/// positive when the nearest real object of its image with the same argmax in every group lies
/// closer than `threshold` and was not detected by a prediction ranked higher, else a false
/// positive (as in the paper's released implementation). AP is
/// the area under the precision envelope at the recall steps (VOC style). Distances are measured
/// after scaling the [0, 1] coordinates by `coordinate_scale` (6: CLEVR's [−3, 3] units, in which
/// the paper's thresholds 1, 0.5, 0.25, 0.125 are stated); threshold < 0 means ∞.
/// predicted [B, K, F], target [B, M, F] (padding rows have flag 0).
double average_precision(const torch::Tensor& predicted, const torch::Tensor& target,
                         const PropertyLayout& layout, double threshold,
                         double coordinate_scale = 6.0);

/// Which predictions `assignment` matches to a real target object: target [B, M, F] (padding rows
/// have flag 0), assignment [B, K] the target row of every prediction, −1 for none (as
/// hungarian_batch gives it) -> [B, K] bool on the CPU.
torch::Tensor matched_to_real_objects(const torch::Tensor& target, const torch::Tensor& assignment,
                                      const PropertyLayout& layout);

/// How far set prediction places the objects: for every real target object, the distance in
/// scene units (coordinates × coordinate_scale) to the prediction `assignment` matches to it.
/// predicted [B, K, F] or any [B, K, C'] whose first layout.coordinates features are positions
/// (only those are read), target [B, M, F] (padding rows have flag 0), assignment [B, K]: the
/// target row of every prediction, −1 for none (as hungarian_batch gives it). -> [n] double, one
/// per real object with a prediction, in image order.
torch::Tensor matched_position_errors(const torch::Tensor& predicted, const torch::Tensor& target,
                                      const torch::Tensor& assignment, const PropertyLayout& layout,
                                      double coordinate_scale = 6.0);

/// Which properties set prediction gets right: for every real target object with a prediction
/// (rows as matched_position_errors gives them), whether the prediction's argmax in each one-hot
/// group of `layout` is the object's. predicted and target [B, K, F] / [B, M, F], assignment
/// [B, K] as there. -> [n, groups] bool.
torch::Tensor matched_property_hits(const torch::Tensor& predicted, const torch::Tensor& target,
                                    const torch::Tensor& assignment, const PropertyLayout& layout);

/// Instance maps averaged down to an h × w feature map: each cell takes the label most of its
/// pixels have (the lowest label on a tie), as the paper downscales CLEVR's masks to score the
/// attention maps of set prediction (§4.2). instances [B, S, S] integer, S divisible by h and w
/// -> [B, h·w] int64, row-major as the encoder flattens its features.
torch::Tensor majority_instances(const torch::Tensor& instances, int64_t h, int64_t w);

/// How much of each slot's weighted mean (Algorithm 1, line 8, without its ε) comes from the
/// background: Σ_i b_i A_ik / Σ_i A_ik, where b_i is the background fraction of input i's cell
/// when the image's instances are averaged down to the h × w feature map (row-major, as the
/// encoder flattens it). attention [B, N = h·w, K] (one iteration's weights), instances [B, S, S]
/// with 0 = background and S divisible by h and w -> [B, K] double in [0, 1].
torch::Tensor slot_background_shares(const torch::Tensor& attention, const torch::Tensor& instances,
                                     int64_t h, int64_t w);

/// Where attention puts each slot, in the image's [0, 1] coordinates (x to the right, y down,
/// each feature cell at its centre ((j + ½) / w, (i + ½) / h)).
struct SlotCentroids {
  torch::Tensor weighted;  // [B, K, 2]: the cells weighed as the slot's weighted mean weighs them
  torch::Tensor segment;   // [B, K, 2]: the cells where the slot has the largest weight
};

/// attention [B, N = h·w, K] (row-major cells) -> the centroids, double; NaN for a slot with no
/// weight or no cell of its own (the lowest slot takes a cell on a tie).
SlotCentroids slot_centroids(const torch::Tensor& attention, int64_t h, int64_t w);

}  // namespace setformer::tasks

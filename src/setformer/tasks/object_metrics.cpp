#include "setformer/tasks/object_metrics.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

namespace setformer::tasks {

namespace {

double pairs(double count) {
  return count * (count - 1) / 2;
}

}  // namespace

double adjusted_rand_index(const std::vector<int64_t>& truth,
                           const std::vector<int64_t>& predicted) {
  SETFORMER_CHECK(truth.size() == predicted.size(),
                  "adjusted Rand index: {} true labels but {} predicted", truth.size(),
                  predicted.size());
  if (truth.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  std::map<std::pair<int64_t, int64_t>, int64_t> cells;
  std::map<int64_t, int64_t> rows, cols;
  for (size_t i = 0; i < truth.size(); ++i) {
    ++cells[{truth[i], predicted[i]}];
    ++rows[truth[i]];
    ++cols[predicted[i]];
  }
  double index = 0, sum_rows = 0, sum_cols = 0;
  for (const auto& [cell, count] : cells) index += pairs(static_cast<double>(count));
  for (const auto& [label, count] : rows) sum_rows += pairs(static_cast<double>(count));
  for (const auto& [label, count] : cols) sum_cols += pairs(static_cast<double>(count));
  const double expected = sum_rows * sum_cols / pairs(static_cast<double>(truth.size()));
  const double max_index = (sum_rows + sum_cols) / 2;
  if (max_index == expected) return 1.0;
  return (index - expected) / (max_index - expected);
}

torch::Tensor foreground_ari(const torch::Tensor& truth, const torch::Tensor& masks) {
  check_shape(truth, "true instance ids", {-1, -1}, "[B, P]");
  check_shape(masks, "predicted masks", {truth.size(0), -1, truth.size(1)}, "[B, K, P]");
  const auto ids = truth.to(torch::kCPU, torch::kLong).contiguous();
  const auto segments = masks.detach().argmax(1).to(torch::kCPU, torch::kLong).contiguous();
  const int64_t batch = ids.size(0), pixels = ids.size(1);
  auto out = torch::empty({batch}, torch::kDouble);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t* t = ids.data_ptr<int64_t>() + b * pixels;
    const int64_t* p = segments.data_ptr<int64_t>() + b * pixels;
    std::vector<int64_t> fg_truth, fg_predicted;
    for (int64_t i = 0; i < pixels; ++i) {
      if (t[i] == 0) continue;
      fg_truth.push_back(t[i]);
      fg_predicted.push_back(p[i]);
    }
    out[b] = adjusted_rand_index(fg_truth, fg_predicted);
  }
  return out;
}

int64_t PropertyLayout::features() const {
  return coordinates + std::accumulate(groups.begin(), groups.end(), int64_t{0}) + 1;
}

double average_precision(const torch::Tensor& predicted, const torch::Tensor& target,
                         const PropertyLayout& layout, double threshold, double coordinate_scale) {
  const int64_t f = layout.features();
  // Every feature is read: the groups' argmax and the confidence in the last column.
  check_shape(predicted, "predicted objects", {-1, -1, f}, "[B, K, F]");
  check_shape(target, "target objects", {predicted.size(0), -1, f}, "[B, M, F]");
  const auto pred = predicted.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const auto true_objects = target.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t batch = pred.size(0), k = pred.size(1), m = true_objects.size(1);
  const double* p = pred.data_ptr<double>();
  const double* t = true_objects.data_ptr<double>();

  // The argmax of every group: the discrete properties that must match exactly.
  const auto classes = [&](const double* row) {
    std::vector<int64_t> out;
    int64_t at = layout.coordinates;
    for (const int64_t size : layout.groups) {
      out.push_back(std::max_element(row + at, row + at + size) - (row + at));
      at += size;
    }
    return out;
  };
  int64_t real = 0;
  for (int64_t i = 0; i < batch * m; ++i) real += t[i * f + f - 1] > 0.5;
  if (real == 0) return std::numeric_limits<double>::quiet_NaN();

  std::vector<int64_t> order(static_cast<size_t>(batch * k));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return p[a * f + f - 1] > p[b * f + f - 1]; });
  std::vector<char> detected(static_cast<size_t>(batch * m), 0);
  std::vector<double> precision, recall;
  int64_t true_positives = 0, seen = 0;
  for (const int64_t id : order) {
    const int64_t image = id / k;
    const double* row = p + id * f;
    const auto predicted_classes = classes(row);
    double best = std::numeric_limits<double>::infinity();
    int64_t best_object = -1;
    for (int64_t j = 0; j < m; ++j) {
      const double* truth = t + (image * m + j) * f;
      if (truth[f - 1] <= 0.5) continue;
      if (classes(truth) != predicted_classes) continue;
      double d2 = 0;
      for (int64_t c = 0; c < layout.coordinates; ++c) {
        const double d = (row[c] - truth[c]) * coordinate_scale;
        d2 += d * d;
      }
      if (std::sqrt(d2) < best) {
        best = std::sqrt(d2);
        best_object = j;
      }
    }
    // The nearest matching object, detected or not, as the paper's released code does: a second
    // prediction of an object already found is a false positive even when another object of the
    // same properties lies further away.
    ++seen;
    if (best_object >= 0 && (threshold < 0 || best < threshold) &&
        !detected[static_cast<size_t>(image * m + best_object)]) {
      detected[static_cast<size_t>(image * m + best_object)] = 1;
      ++true_positives;
    }
    precision.push_back(static_cast<double>(true_positives) / static_cast<double>(seen));
    recall.push_back(static_cast<double>(true_positives) / static_cast<double>(real));
  }
  // VOC: the precision envelope (best precision at this or any higher recall), integrated over
  // the recall steps.
  for (size_t i = precision.size(); i-- > 1;) {
    precision[i - 1] = std::max(precision[i - 1], precision[i]);
  }
  double area = 0, previous_recall = 0;
  for (size_t i = 0; i < precision.size(); ++i) {
    area += (recall[i] - previous_recall) * precision[i];
    previous_recall = recall[i];
  }
  return area;
}

torch::Tensor matched_to_real_objects(const torch::Tensor& target, const torch::Tensor& assignment,
                                      const PropertyLayout& layout) {
  check_shape(assignment, "assignment", {-1, -1}, "[B, K]");
  check_shape(target, "target objects", {assignment.size(0), -1, layout.features()}, "[B, M, F]");
  const auto a = assignment.to(torch::kCPU, torch::kLong);
  SETFORMER_CHECK(a.numel() == 0 || a.max().item<int64_t>() < target.size(1),
                  "assignment: target row {} of {}", a.max().item<int64_t>(), target.size(1));
  const auto flags = target.detach().select(2, -1).to(torch::kCPU, torch::kDouble);  // [B, M]
  return flags.gather(1, a.clamp_min(0)).gt(0.5) & a.ge(0);
}

namespace {

/// The real target objects that `assignment` gives a prediction, in image order then prediction
/// order: image, prediction and target indices, [n] int64 each.
struct MatchedObjects {
  torch::Tensor image, prediction, target;
};

MatchedObjects matched_objects(const torch::Tensor& target, const torch::Tensor& assignment,
                               const PropertyLayout& layout) {
  // Converted once: matched_to_real_objects then takes it as it is.
  const auto a = assignment.to(torch::kCPU, torch::kLong);
  // [n, 2], row-major: image order, then prediction order.
  const auto where = matched_to_real_objects(target, a, layout).nonzero();
  const auto image = where.select(1, 0), prediction = where.select(1, 1);
  return {image, prediction, a.index({image, prediction})};
}

}  // namespace

torch::Tensor matched_position_errors(const torch::Tensor& predicted, const torch::Tensor& target,
                                      const torch::Tensor& assignment, const PropertyLayout& layout,
                                      double coordinate_scale) {
  const int64_t c = layout.coordinates;
  check_shape(predicted, "predicted objects", {-1, -1, -1}, "[B, K, F]");
  SETFORMER_CHECK(predicted.size(2) >= c,
                  "predicted objects: need the {} coordinates, got {} features", c,
                  predicted.size(2));
  check_shape(assignment, "assignment", {predicted.size(0), predicted.size(1)}, "[B, K]");
  const auto m = matched_objects(target, assignment, layout);
  const auto p = predicted.detach().to(torch::kCPU, torch::kDouble).index({m.image, m.prediction});
  const auto t = target.detach().to(torch::kCPU, torch::kDouble).index({m.image, m.target});
  const auto d = (p.slice(1, 0, c) - t.slice(1, 0, c)) * coordinate_scale;  // [n, c]
  return d.pow(2).sum(1).sqrt();
}

torch::Tensor matched_property_hits(const torch::Tensor& predicted, const torch::Tensor& target,
                                    const torch::Tensor& assignment, const PropertyLayout& layout) {
  check_shape(predicted, "predicted objects", {-1, -1, layout.features()}, "[B, K, F]");
  check_shape(assignment, "assignment", {predicted.size(0), predicted.size(1)}, "[B, K]");
  const auto m = matched_objects(target, assignment, layout);
  const auto p = predicted.detach().to(torch::kCPU).index({m.image, m.prediction});
  const auto t = target.detach().to(torch::kCPU).index({m.image, m.target});
  std::vector<torch::Tensor> hits;
  int64_t at = layout.coordinates;
  for (const int64_t size : layout.groups) {
    hits.push_back(p.slice(1, at, at + size).argmax(1) == t.slice(1, at, at + size).argmax(1));
    at += size;
  }
  return hits.empty() ? torch::ones({p.size(0), 0}, torch::kBool) : torch::stack(hits, 1);
}

namespace {

/// instances [B, S, S] integer labels >= 0, split into h × w cells of whole pixels
/// -> [B, L, h·w] double on the CPU: the share of each cell's pixels that have each label
/// (L = the largest label + 1), cells row-major as the encoder flattens its features.
torch::Tensor cell_label_shares(const torch::Tensor& instances, int64_t h, int64_t w,
                                const char* what) {
  check_shape(instances, "instances", {-1, -1, -1}, "[B, S, S]");
  const int64_t s = instances.size(1);
  SETFORMER_CHECK(instances.size(2) == s && h > 0 && w > 0 && s % h == 0 && s % w == 0,
                  "{}: the {}×{} instances must split into {}×{} cells", what, instances.size(1),
                  instances.size(2), h, w);
  const auto labels = instances.to(torch::kCPU, torch::kLong);
  SETFORMER_CHECK(labels.numel() == 0 || labels.min().item<int64_t>() >= 0,
                  "{}: labels must be >= 0, got {}", what, labels.min().item<int64_t>());
  const int64_t classes = labels.numel() == 0 ? 1 : labels.max().item<int64_t>() + 1;
  return torch::avg_pool2d(torch::one_hot(labels, classes).permute({0, 3, 1, 2}).to(torch::kDouble),
                           {s / h, s / w})
      .flatten(2);
}

}  // namespace

torch::Tensor majority_instances(const torch::Tensor& instances, int64_t h, int64_t w) {
  // argmax returns the first maximum, the lowest label.
  return cell_label_shares(instances, h, w, "majority instances").argmax(1);
}

torch::Tensor slot_background_shares(const torch::Tensor& attention, const torch::Tensor& instances,
                                     int64_t h, int64_t w) {
  const auto cells = cell_label_shares(instances, h, w, "slot background shares").select(1, 0);
  check_shape(attention, "attention", {instances.size(0), h * w, -1}, "[B, h·w, K]");
  const auto a = attention.detach().to(torch::kCPU, torch::kDouble);
  const auto weight = a.sum(1).clamp_min(1e-300);  // [B, K]
  return (a * cells.unsqueeze(2)).sum(1) / weight;
}

SlotCentroids slot_centroids(const torch::Tensor& attention, int64_t h, int64_t w) {
  SETFORMER_CHECK(h > 0 && w > 0, "slot centroids: need h, w > 0, got {}×{}", h, w);
  check_shape(attention, "attention", {-1, h * w, -1}, "[B, h·w, K]");
  const auto a = attention.detach().to(torch::kCPU, torch::kDouble);
  const auto options = torch::TensorOptions().dtype(torch::kDouble);
  const auto x = ((torch::arange(w, options) + 0.5) / static_cast<double>(w)).repeat({h});
  const auto y = ((torch::arange(h, options) + 0.5) / static_cast<double>(h)).repeat_interleave(w);
  const auto cells = torch::stack({x, y}, 1);  // [N, 2]
  // weights [B, N, K] -> [B, K, 2], NaN where a slot's weights sum to zero.
  const auto centroid = [&](const torch::Tensor& weights) {
    const auto total = weights.sum(1).unsqueeze(2);  // [B, K, 1]
    const auto sums = torch::matmul(weights.transpose(1, 2), cells);
    return torch::where(total > 0, sums / total.clamp_min(1e-300),
                        torch::full_like(sums, std::numeric_limits<double>::quiet_NaN()));
  };
  const auto own = torch::one_hot(a.argmax(2), a.size(2)).to(torch::kDouble);  // [B, N, K]
  return {centroid(a), centroid(own)};
}

}  // namespace setformer::tasks

#include "setformer/train/object_metrics.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <map>
#include <utility>

namespace setformer::train {

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

}  // namespace setformer::train

#include "setformer/data/set_tasks.h"

#include "setformer/core/error.h"
#include "setformer/data/random.h"
#include "setformer/data/transforms.h"

#include <torch/torch.h>

#include <algorithm>

namespace setformer::data {
namespace {

void check_sizes(int64_t min_size, int64_t max_size, int64_t batch, const char* task) {
  SETFORMER_CHECK(min_size >= 1 && max_size >= min_size,
                  "{}: need 1 <= data.min_size <= data.max_size, got {} and {}", task, min_size,
                  max_size);
  SETFORMER_CHECK(batch >= 1, "{}: batch size must be >= 1, got {}", task, batch);
}

/// The set sizes of a batch: one per set, or one for all.
template <class Options>
std::vector<int64_t> draw_sizes(Random& rng, const Options& o, int64_t batch) {
  std::vector<int64_t> sizes(static_cast<size_t>(batch));
  if (o.same_size()) {
    std::fill(sizes.begin(), sizes.end(), rng.integer(o.min_size(), o.max_size()));
  } else {
    for (auto& n : sizes) n = rng.integer(o.min_size(), o.max_size());
  }
  return sizes;
}

void set_sizes(SetBatch& out, const std::vector<int64_t>& sizes, int64_t n_max) {
  out.sizes = torch::tensor(sizes, torch::kInt64);
  out.padding = torch::arange(n_max).unsqueeze(0) >= out.sizes.unsqueeze(1);
}

}  // namespace

SetBatch max_regression_batch(const MaxRegressionOptions& o, int64_t batch, uint64_t seed) {
  check_sizes(o.min_size(), o.max_size(), batch, "max regression");
  SETFORMER_CHECK(o.high() > o.low(), "max regression: need low < high, got {} and {}", o.low(),
                  o.high());
  Random rng(seed);
  const auto sizes = draw_sizes(rng, o, batch);
  const int64_t n_max = *std::max_element(sizes.begin(), sizes.end());
  SetBatch out;
  out.x = torch::zeros({batch, n_max, 1});
  out.target = torch::empty({batch});
  auto x = out.x.accessor<float, 3>();
  auto target = out.target.accessor<float, 1>();
  for (int64_t b = 0; b < batch; ++b) {
    double best = o.low();
    for (int64_t i = 0; i < sizes[static_cast<size_t>(b)]; ++i) {
      const double v = rng.uniform(o.low(), o.high());
      x[b][i][0] = static_cast<float>(v);
      best = std::max(best, v);
    }
    target[b] = static_cast<float>(best);
  }
  set_sizes(out, sizes, n_max);
  return out;
}

SetBatch mixture_batch(const MixtureOptions& o, int64_t batch, uint64_t seed) {
  check_sizes(o.min_size(), o.max_size(), batch, "mixture of Gaussians");
  SETFORMER_CHECK(o.components() >= 1, "mixture of Gaussians: data.clusters must be >= 1, got {}",
                  o.components());
  SETFORMER_CHECK(o.range() > 0 && o.stddev() > 0,
                  "mixture of Gaussians: range and stddev must be > 0, got {} and {}", o.range(),
                  o.stddev());
  Random rng(seed);
  const auto sizes = draw_sizes(rng, o, batch);
  const int64_t n_max = *std::max_element(sizes.begin(), sizes.end());
  const int64_t k = o.components();
  SetBatch out;
  out.x = torch::zeros({batch, n_max, 2});
  out.weights = torch::empty({batch, k});
  out.means = torch::empty({batch, k, 2});
  out.stddev = o.stddev();
  auto x = out.x.accessor<float, 3>();
  auto weights = out.weights.accessor<float, 2>();
  auto means = out.means.accessor<float, 3>();
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<std::array<double, 2>> mu(static_cast<size_t>(k));
    for (int64_t j = 0; j < k; ++j) {
      for (int64_t d = 0; d < 2; ++d) {
        mu[static_cast<size_t>(j)][static_cast<size_t>(d)] = rng.uniform(-o.range(), o.range());
        means[b][j][d] = static_cast<float>(mu[static_cast<size_t>(j)][static_cast<size_t>(d)]);
      }
    }
    const auto pi = rng.dirichlet_ones(k);
    for (int64_t j = 0; j < k; ++j) weights[b][j] = static_cast<float>(pi[static_cast<size_t>(j)]);
    for (int64_t i = 0; i < sizes[static_cast<size_t>(b)]; ++i) {
      const auto& m = mu[static_cast<size_t>(rng.categorical(pi))];
      for (int64_t d = 0; d < 2; ++d)
        x[b][i][d] = static_cast<float>(m[static_cast<size_t>(d)] + o.stddev() * rng.normal());
    }
  }
  set_sizes(out, sizes, n_max);
  return out;
}

UniqueCountSampler::UniqueCountSampler(const ImageDataset& data) {
  check_shape(data.images, "unique-count images", {-1, 1, -1, -1}, "[N, 1, S, S]");
  images_ = normalize(data.images, kFashionMnistMean, kFashionMnistStd);
  by_class_.resize(data.classes.size());
  const auto labels = data.labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < labels.size(0); ++i)
    by_class_.at(static_cast<size_t>(labels[i])).push_back(i);
  for (size_t c = 0; c < by_class_.size(); ++c) {
    SETFORMER_CHECK(!by_class_[c].empty(), "unique counting: class {} ('{}') has no image", c,
                    data.classes[c]);
  }
}

SetBatch UniqueCountSampler::batch(const UniqueCountOptions& o, int64_t batch,
                                   uint64_t seed) const {
  check_sizes(o.min_size(), o.max_size(), batch, "unique counting");
  Random rng(seed);
  const auto sizes = draw_sizes(rng, o, batch);
  const int64_t n_max = *std::max_element(sizes.begin(), sizes.end());
  std::vector<int64_t> rows;  // image index per element, -1 for padding
  std::vector<float> counts;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t n = sizes[static_cast<size_t>(b)];
    const int64_t c = rng.integer(1, std::min(n, classes()));
    std::vector<int64_t> all(static_cast<size_t>(classes()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    rng.shuffle(all);
    std::vector<int64_t> labels(all.begin(), all.begin() + c);
    while (static_cast<int64_t>(labels.size()) < n)
      labels.push_back(labels[static_cast<size_t>(rng.integer(0, c - 1))]);
    rng.shuffle(labels);
    for (int64_t i = 0; i < n_max; ++i) {
      if (i >= n) {
        rows.push_back(-1);
        continue;
      }
      const auto& pool = by_class_[static_cast<size_t>(labels[static_cast<size_t>(i)])];
      rows.push_back(
          pool[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(pool.size()) - 1))]);
    }
    counts.push_back(static_cast<float>(c));
  }
  const auto index = torch::tensor(rows, torch::kInt64);
  const auto valid = index >= 0;
  SetBatch out;
  out.x = images_.index_select(0, index.clamp_min(0))
              .masked_fill(valid.logical_not().view({-1, 1, 1, 1}), 0.0)
              .view({batch, n_max, 1, images_.size(2), images_.size(3)});
  out.target = torch::tensor(counts);
  set_sizes(out, sizes, n_max);
  return out;
}

}  // namespace setformer::data

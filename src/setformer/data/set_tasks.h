// Set-input tasks of the Set Transformer paper (supplement §2), generated here, seeded and
// deterministic: a batch is a pure function of (options, batch size, seed), so training runs
// resume exactly and every model of a table is evaluated on the same test sets.
//
// Sets of different sizes share a batch: elements beyond a set's size are zero and marked in
// `padding` (true = padding).
#pragma once

#include "setformer/data/fashion_mnist.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace setformer::data {

struct SetBatch {
  torch::Tensor x;        // [B, n_max, d] float, or images [B, n_max, 1, S, S]
  torch::Tensor padding;  // [B, n_max] bool, true = padding
  torch::Tensor sizes;    // [B] int64
  /// Max regression: the maximum [B]. Unique counting: the number of classes [B] (float).
  torch::Tensor target;
  /// Mixtures: the parameters that generated each set, for the oracle. weights [B, k],
  /// means [B, k, 2]; every component has standard deviation `stddev`.
  torch::Tensor weights, means;
  double stddev = 0;
};

/// Max regression (supplement §2.1): n ~ U{min_size..max_size}, x_i ~ U[low, high], target max.
struct MaxRegressionOptions {
  TORCH_ARG(int64_t, min_size) = 1;
  TORCH_ARG(int64_t, max_size) = 10;
  /// One size drawn for the whole batch (the authors' code), so no padding; else one per set.
  TORCH_ARG(bool, same_size) = false;
  TORCH_ARG(double, low) = 0.0;
  TORCH_ARG(double, high) = 100.0;
};
SetBatch max_regression_batch(const MaxRegressionOptions& options, int64_t batch, uint64_t seed);

/// 2-D mixtures of Gaussians (supplement §2.3.1; §2.3.2 for the large-scale version):
///   n ~ U{min_size..max_size}, μ_j ~ U[−range, range]², π ~ Dir(1, ..., 1),
///   z_i ~ Cat(π), x_i ~ N(μ_{z_i}, stddev² I).
/// The supplement writes Dir([1, 1]ᵀ) with k = 4 components; we read it as the flat Dirichlet
/// over the k components, which reproduces its oracle log-likelihood (−1.4726).
struct MixtureOptions {
  TORCH_ARG(int64_t, components) = 4;
  TORCH_ARG(int64_t, min_size) = 100;
  TORCH_ARG(int64_t, max_size) = 500;
  TORCH_ARG(bool, same_size) = false;
  TORCH_ARG(double, range) = 4.0;
  TORCH_ARG(double, stddev) = 0.3;
};
SetBatch mixture_batch(const MixtureOptions& options, int64_t batch, uint64_t seed);

/// Counting unique items (paper §5.2, supplement §2.2) on Fashion-MNIST instead of Omniglot:
/// n ~ U{min_size..max_size}, c ~ U{1..min(n, classes)} distinct classes, each present at least
/// once, the other n − c images from those classes at random; the set is shuffled. Images are
/// normalised like the classifier's inputs. Target: c.
struct UniqueCountOptions {
  TORCH_ARG(int64_t, min_size) = 6;
  TORCH_ARG(int64_t, max_size) = 10;
  TORCH_ARG(bool, same_size) = false;
};

class UniqueCountSampler {
 public:
  /// `images` of one split (train or test); throws if a class has no image.
  explicit UniqueCountSampler(const ImageDataset& images);
  SetBatch batch(const UniqueCountOptions& options, int64_t batch, uint64_t seed) const;
  int64_t classes() const { return static_cast<int64_t>(by_class_.size()); }

 private:
  torch::Tensor images_;                        // [N, 1, S, S] float, normalised
  std::vector<std::vector<int64_t>> by_class_;  // image indices of each class
};

}  // namespace setformer::data

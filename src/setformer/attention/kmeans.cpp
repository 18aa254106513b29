#include "setformer/attention/kmeans.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <random>

namespace setformer::attention {
namespace {

namespace F = torch::nn::functional;

torch::Tensor unit(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().dim(-1).eps(1e-12));
}

/// k-means++: each new centre is drawn with probability proportional to the squared cosine
/// distance of a feature to its nearest centre so far.
torch::Tensor seed_centroids(const torch::Tensor& xhat, int64_t k, std::mt19937_64& rng) {
  const int64_t n = xhat.size(0);
  std::vector<int64_t> chosen{std::uniform_int_distribution<int64_t>(0, n - 1)(rng)};
  auto nearest = (1.0 - torch::matmul(xhat, xhat[chosen[0]])).clamp_min(0.0);
  for (int64_t c = 1; c < k; ++c) {
    const auto w = nearest.square().to(torch::kCPU, torch::kDouble).contiguous();
    const double* p = w.data_ptr<double>();
    const double total = w.sum().item<double>();
    int64_t pick;
    if (total > 0.0) {
      pick = std::discrete_distribution<int64_t>(p, p + n)(rng);
    } else {  // every feature coincides with a centre: any feature will do
      pick = std::uniform_int_distribution<int64_t>(0, n - 1)(rng);
    }
    chosen.push_back(pick);
    nearest = torch::minimum(nearest, (1.0 - torch::matmul(xhat, xhat[pick])).clamp_min(0.0));
  }
  return xhat.index_select(0,
                           torch::tensor(chosen, torch::dtype(torch::kLong).device(xhat.device())));
}

}  // namespace

KMeansResult spherical_kmeans(const torch::Tensor& features, int64_t k,
                              const KMeansOptions& options) {
  SETFORMER_CHECK(features.defined() && features.dim() == 2,
                  "spherical_kmeans: features must have shape [N, d], got {}",
                  features.defined() ? shape_string(features.sizes()) : "undefined");
  SETFORMER_CHECK(k >= 1, "spherical_kmeans: k must be >= 1, got {}", k);
  SETFORMER_CHECK(features.size(0) >= k,
                  "spherical_kmeans: {} features cannot form k = {} clusters; sample at least k",
                  features.size(0), k);
  SETFORMER_CHECK(options.iterations() >= 1, "spherical_kmeans: iterations must be >= 1, got {}",
                  options.iterations());
  torch::NoGradGuard no_grad;
  const auto x = features.detach();
  const auto xhat = unit(x);
  torch::Tensor centroids;
  if (options.initial().defined()) {
    check_shape(options.initial(), "spherical_kmeans initial centroids", {k, x.size(1)}, "[k, d]");
    centroids = unit(options.initial().detach().to(x.device(), x.scalar_type()));
  } else {
    std::mt19937_64 rng(options.seed());
    centroids = seed_centroids(xhat, k, rng);
  }

  KMeansResult result;
  torch::Tensor assign, best;
  bool stable = false;
  for (int64_t it = 0; it < options.iterations() && !stable; ++it) {
    std::tie(best, assign) = torch::matmul(xhat, centroids.t()).max(1);
    stable = result.assignments.defined() && result.assignments.equal(assign);
    result.assignments = assign;
    result.iterations = it + 1;
    if (stable) break;
    auto sums = torch::zeros_like(centroids).index_add_(0, assign, xhat);
    const auto counts = torch::bincount(assign, {}, k);
    // Re-seed empty clusters with the features worst served by their centroid, one each.
    const auto empty = (counts == 0).nonzero().flatten();
    if (empty.numel() > 0) {
      const auto worst = best.argsort().slice(0, 0, empty.numel());
      sums.index_copy_(0, empty, xhat.index_select(0, worst));
      result.assignments.index_fill_(0, worst, -1);  // forces another iteration
    }
    centroids = unit(sums);
  }
  // Centroids moved after the last assignment unless the loop stopped on stable assignments.
  if (!stable) std::tie(best, assign) = torch::matmul(xhat, centroids.t()).max(1);
  result.assignments = assign;
  result.centroids = centroids;
  result.mean_similarity = best.mean().item<double>();
  const auto counts = torch::bincount(assign, {}, k).clamp_min(1).to(x.dtype()).unsqueeze(1);
  result.means = torch::zeros_like(centroids).index_add_(0, assign, x) / counts;
  return result;
}

}  // namespace setformer::attention

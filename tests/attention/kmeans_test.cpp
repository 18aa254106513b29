// Spherical k-means: recovers well-separated directions, matches brute force on a tiny problem,
// is deterministic given its seed, and never leaves a cluster empty.
#include "setformer/attention/kmeans.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::attention {
namespace {

TEST(SphericalKMeans, RecoversSeparatedDirectionsAtAnyScale) {
  const auto centres = torch::eye(4, torch::kDouble).slice(0, 0, 3);  // three orthogonal axes
  const auto labels = torch::randint(0, 3, {200}, torch::kLong);
  const auto scale = torch::rand({200, 1}, torch::kDouble) * 10 + 0.1;  // norms must not matter
  const auto x =
      (centres.index_select(0, labels) + 0.05 * torch::randn({200, 4}, torch::kDouble)) * scale;
  const auto r = spherical_kmeans(x, 3, KMeansOptions().seed(1));
  // Same partition up to relabelling: points share a cluster iff they share a label.
  const auto same_label = labels.unsqueeze(0) == labels.unsqueeze(1);
  const auto same_cluster = r.assignments.unsqueeze(0) == r.assignments.unsqueeze(1);
  EXPECT_TRUE(same_label.equal(same_cluster));
  EXPECT_GT(r.mean_similarity, 0.99);
  EXPECT_LT((r.centroids.norm(2, 1) - 1).abs().max().item<double>(), 1e-12);
}

TEST(SphericalKMeans, ReachesTheBruteForceOptimumOnATinyProblem) {
  torch::manual_seed(4);
  const auto x = torch::randn({8, 3}, torch::kDouble);
  const auto xhat = x / x.norm(2, 1, true);
  // Objective of a 2-partition: Σ_clusters ‖Σ x̂‖ (the best unit centroid is the normalised sum).
  double best = 0.0;
  for (int mask = 1; mask < 255; ++mask) {
    auto in = torch::zeros({8}, torch::kBool);
    for (int i = 0; i < 8; ++i) in[i] = bool((mask >> i) & 1);
    const double value = xhat.index({in}).sum(0).norm().item<double>() +
                         xhat.index({in.logical_not()}).sum(0).norm().item<double>();
    best = std::max(best, value);
  }
  double found = 0.0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    found = std::max(found, spherical_kmeans(x, 2, KMeansOptions().seed(seed)).mean_similarity * 8);
  }
  EXPECT_NEAR(found, best, 1e-9);
}

TEST(SphericalKMeans, IsDeterministicGivenTheSeed) {
  const auto x = torch::randn({100, 5});
  const auto a = spherical_kmeans(x, 6, KMeansOptions().seed(9));
  const auto b = spherical_kmeans(x, 6, KMeansOptions().seed(9));
  EXPECT_TRUE(a.centroids.equal(b.centroids));
  EXPECT_TRUE(a.assignments.equal(b.assignments));
}

TEST(SphericalKMeans, NoClusterIsLeftEmpty) {
  // Many duplicates and as many clusters as distinct points plus one near-duplicate.
  auto x =
      torch::cat({torch::ones({20, 3}), -torch::ones({20, 3}), torch::tensor({{1.0, 0.0, 0.0}})});
  const auto r = spherical_kmeans(x, 3, KMeansOptions().seed(0));
  EXPECT_EQ(torch::bincount(r.assignments, {}, 3).min().item<int64_t>() > 0, true);
  EXPECT_TRUE(torch::isfinite(r.centroids).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(r.means).all().item<bool>());
}

TEST(SphericalKMeans, ReseedsAClusterThatServesNoFeature) {
  // Three tight clusters at 0°, 120° and 240° in the xy-plane; start from one good centroid
  // and two on the z-axis, which are nearest to no feature: one cluster is empty at once.
  const auto angles = torch::tensor({0.0, 2.0944, 4.18879}, torch::kDouble);
  const auto labels = torch::arange(3).repeat_interleave(30);
  const auto a = angles.index_select(0, labels) + 0.02 * torch::randn({90}, torch::kDouble);
  const auto x = torch::stack({a.cos(), a.sin(), torch::zeros_like(a)}, 1);
  const auto initial =
      torch::tensor({{1.0, 0.0, 0.0}, {0.0, 0.0, 1.0}, {0.0, 0.0, -1.0}}, torch::kDouble);
  const auto r = spherical_kmeans(x, 3, KMeansOptions().initial(initial));
  EXPECT_GT(torch::bincount(r.assignments, {}, 3).min().item<int64_t>(), 0);
  const auto same_label = labels.unsqueeze(0) == labels.unsqueeze(1);
  const auto same_cluster = r.assignments.unsqueeze(0) == r.assignments.unsqueeze(1);
  EXPECT_TRUE(same_label.equal(same_cluster));
  EXPECT_THROW(spherical_kmeans(x, 3, KMeansOptions().initial(initial.slice(0, 0, 2))),
               std::invalid_argument);
}

TEST(SphericalKMeans, RejectsTooFewFeatures) {
  EXPECT_THROW(spherical_kmeans(torch::randn({3, 2}), 4), std::invalid_argument);
  EXPECT_THROW(spherical_kmeans(torch::randn({3}), 1), std::invalid_argument);
}

}  // namespace
}  // namespace setformer::attention

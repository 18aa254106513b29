// Set-task generators: the distributions of supplement §2 checked by their moments and
// invariants, determinism per seed, padding consistent with sizes, and unique counting's target
// checked against the classes actually drawn.
#include "setformer/data/set_tasks.h"
#include "setformer/data/random.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace setformer::data {
namespace {

TEST(Random, DrawsHaveTheirDistributionsMoments) {
  Random rng(11);
  const int n = 200000;
  double su = 0, suu = 0, sn = 0, snn = 0;
  std::vector<int64_t> counts(5, 0);
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform(), z = rng.normal();
    su += u, suu += u * u, sn += z, snn += z * z;
    ++counts[static_cast<size_t>(rng.integer(2, 6) - 2)];
  }
  // Standard errors: uniform mean 0.00065, normal mean 0.0022; 5 sigma.
  EXPECT_NEAR(su / n, 0.5, 0.0035);
  EXPECT_NEAR(suu / n - 0.25, 1.0 / 12.0, 0.002);
  EXPECT_NEAR(sn / n, 0.0, 0.012);
  EXPECT_NEAR(snn / n, 1.0, 0.02);
  for (auto c : counts) EXPECT_NEAR(static_cast<double>(c) / n, 0.2, 0.005);
  // Dirichlet(1, 1, 1, 1): on the simplex, each weight with mean 1/4 and variance 3/80.
  double w0 = 0, w0sq = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto w = rng.dirichlet_ones(4);
    double sum = 0;
    for (double v : w) sum += v;
    ASSERT_NEAR(sum, 1.0, 1e-12);
    w0 += w[0], w0sq += w[0] * w[0];
  }
  EXPECT_NEAR(w0 / 20000, 0.25, 0.007);
  EXPECT_NEAR(w0sq / 20000 - 0.0625, 3.0 / 80.0, 0.003);
  // Same seed, same stream; another seed, another.
  Random a(5), b(5), c(6);
  EXPECT_EQ(a.uniform(), b.uniform());
  EXPECT_NE(a.uniform(), c.uniform());
}

void expect_padding_matches_sizes(const SetBatch& batch, int64_t lo, int64_t hi) {
  const auto sizes = batch.sizes;
  EXPECT_GE(sizes.min().item<int64_t>(), lo);
  EXPECT_LE(sizes.max().item<int64_t>(), hi);
  EXPECT_EQ(batch.x.size(1), sizes.max().item<int64_t>());
  EXPECT_TRUE(batch.padding.logical_not().sum(1).equal(sizes));
  // Padding is a suffix and holds zeros.
  EXPECT_TRUE(batch.padding.to(torch::kInt).diff(1, 1).ge(0).all().item<bool>());
  const auto flat = batch.x.flatten(2);
  EXPECT_EQ(flat.masked_select(batch.padding.unsqueeze(-1)).abs().sum().item<float>(), 0.0f);
}

TEST(MaxRegression, TargetsAreTheMaximaOfUniformSets) {
  const auto batch = max_regression_batch({}, 2000, 3);
  expect_padding_matches_sizes(batch, 1, 10);
  const auto filled = batch.x.squeeze(-1).masked_fill(batch.padding, -1.0f);
  EXPECT_TRUE(std::get<0>(filled.max(1)).equal(batch.target));
  const auto values = batch.x.squeeze(-1).masked_select(batch.padding.logical_not());
  EXPECT_GE(values.min().item<float>(), 0.0f);
  EXPECT_LT(values.max().item<float>(), 100.0f);
  EXPECT_NEAR(values.mean().item<double>(), 50.0, 1.5);
  // Sizes uniform on 1..10: mean 5.5.
  EXPECT_NEAR(batch.sizes.to(torch::kDouble).mean().item<double>(), 5.5, 0.3);
  EXPECT_TRUE(max_regression_batch({}, 8, 3).x.equal(max_regression_batch({}, 8, 3).x));
  // same_size: one size for the whole batch, so no padding, and the sizes still vary by seed.
  std::set<int64_t> sizes;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto same = max_regression_batch(MaxRegressionOptions().same_size(true), 50, seed);
    EXPECT_FALSE(same.padding.any().item<bool>());
    sizes.insert(same.x.size(1));
  }
  EXPECT_GT(sizes.size(), 3u);
  EXPECT_FALSE(max_regression_batch({}, 8, 3).x.equal(max_regression_batch({}, 8, 4).x));
  testing::expect_invalid_argument(
      [] { max_regression_batch(MaxRegressionOptions().min_size(0), 4, 0); }, "data.min_size");
}

TEST(Mixture, PointsScatterAroundTheirComponentsWithTheStatedSpread) {
  const auto batch = mixture_batch(MixtureOptions().min_size(300).max_size(300), 200, 5);
  expect_padding_matches_sizes(batch, 300, 300);
  EXPECT_TRUE(batch.weights.sum(1).allclose(torch::ones({200}), 1e-5, 1e-5));
  EXPECT_LE(batch.means.abs().max().item<float>(), 4.0f);
  EXPECT_NEAR(batch.means.mean().item<double>(), 0.0, 0.15);
  // Each point's nearest mean is (nearly always) its own; its squared distance has mean
  // 2σ² = 0.18 for the 2-D spherical N(0, 0.3² I), a little less from picking the nearest.
  const auto d2 = (batch.x.unsqueeze(2) - batch.means.unsqueeze(1)).pow(2).sum(-1);
  const double nearest = std::get<0>(d2.min(2)).mean().item<double>();
  EXPECT_GT(nearest, 0.14);
  EXPECT_LT(nearest, 0.19);
  // The large-scale task's sizes and component count.
  const auto large =
      mixture_batch(MixtureOptions().components(6).min_size(1000).max_size(5000), 4, 1);
  expect_padding_matches_sizes(large, 1000, 5000);
  EXPECT_EQ(large.means.size(1), 6);
}

TEST(UniqueCount, TargetIsTheNumberOfDistinctClassesDrawn) {
  // Image i of class c is filled with the value c, so the set's classes can be read back.
  ImageDataset data;
  data.classes = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  const int64_t n = 200;
  data.labels = torch::arange(n) % 10;
  data.images =
      (data.labels * 20).to(torch::kUInt8).view({n, 1, 1, 1}).expand({n, 1, 4, 4}).clone();
  UniqueCountSampler sampler(data);
  const auto batch = sampler.batch({}, 500, 9);
  expect_padding_matches_sizes(batch, 6, 10);
  std::vector<int64_t> seen_counts(11, 0);
  for (int64_t b = 0; b < 500; ++b) {
    std::set<int64_t> classes;
    for (int64_t i = 0; i < batch.sizes[b].item<int64_t>(); ++i) {
      const float v = batch.x[b][i][0][0][0].item<float>() * static_cast<float>(kFashionMnistStd) +
                      static_cast<float>(kFashionMnistMean);
      classes.insert(std::lround(v * 255.0f / 20.0f));
    }
    ASSERT_EQ(static_cast<float>(classes.size()), batch.target[b].item<float>());
    ++seen_counts[classes.size()];
  }
  // c ~ U{1..n} with n in 6..10: every count from 1 to 10 occurs.
  for (int c = 1; c <= 10; ++c) EXPECT_GT(seen_counts[static_cast<size_t>(c)], 0) << c;
  data.labels = torch::zeros({n}, torch::kInt64);
  testing::expect_invalid_argument([&] { UniqueCountSampler{data}; }, "class 1 ('b') has no image");
}

}  // namespace
}  // namespace setformer::data

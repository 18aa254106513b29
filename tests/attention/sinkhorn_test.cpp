// Log-domain Sinkhorn: marginals, agreement with the exponentiated (matrix scaling) iterations,
// the exact optimum as ε → 0 against brute force, stability at small ε, and gradients.
#include "setformer/attention/sinkhorn.h"

#include "common/attention_helpers.h"
#include "common/gradcheck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

TEST(Sinkhorn, MarginalsAreUniformAfterConvergence) {
  const auto scores = 2.0 * torch::randn({2, 3, 40, 7}, torch::kDouble);
  const auto result = sinkhorn(scores, {}, {}, SinkhornOptions().iterations(300));
  const auto& p = result.plan;
  EXPECT_GE(p.min().item<double>(), 0.0);
  EXPECT_LT(max_abs_diff(p.sum(-1), torch::full({1}, 1.0 / 40, torch::kDouble)), 1e-10);
  EXPECT_LT(max_abs_diff(p.sum(-2), torch::full({1}, 1.0 / 7, torch::kDouble)), 1e-12);
  EXPECT_LT(result.report.max_marginal_error, 1e-8);
  EXPECT_TRUE(result.report.converged);
}

TEST(Sinkhorn, ColumnsAreExactAfterAnyNumberOfIterations) {
  const auto scores = 3.0 * torch::randn({4, 30, 5}, torch::kDouble);
  for (const int64_t t : {1, 2, 5}) {
    const auto p = sinkhorn(scores, {}, {}, SinkhornOptions().iterations(t)).plan;
    EXPECT_LT(max_abs_diff(p.sum(-2), torch::full({1}, 0.2, torch::kDouble)), 1e-12) << "T = " << t;
  }
}

TEST(Sinkhorn, PaddingGetsNoMassAndMarginalsUseValidCounts) {
  const auto scores = torch::randn({2, 9, 6}, torch::kDouble);
  const auto rows = testing::padding_for({9, 4}, 9);
  const auto cols = testing::padding_for({6, 3}, 6);
  const auto p = sinkhorn(scores, rows, cols, SinkhornOptions().iterations(500)).plan;
  EXPECT_EQ(p.masked_select(rows.unsqueeze(-1)).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(p.masked_select(cols.unsqueeze(-2)).abs().sum().item<double>(), 0.0);
  EXPECT_NEAR(p[1].sum(1)[0].item<double>(), 1.0 / 4, 1e-10);
  EXPECT_NEAR(p[1].sum(0)[0].item<double>(), 1.0 / 3, 1e-12);
  // The padded problem equals the unpadded sub-problem.
  const auto sub =
      sinkhorn(scores[1].slice(0, 0, 4).slice(1, 0, 3), {}, {}, SinkhornOptions().iterations(500))
          .plan;
  EXPECT_LT(max_abs_diff(p[1].slice(0, 0, 4).slice(1, 0, 3), sub), 1e-14);
}

TEST(Sinkhorn, LogDomainEqualsMatrixScalingIterationByIteration) {
  const auto scores = torch::rand({3, 12, 5}, torch::kDouble) * 10.0;  // κ/ε with ε = 0.1
  const auto rows = testing::padding_for({12, 7, 10}, 12);
  for (const int64_t t : {1, 3, 10}) {
    const auto log_domain = sinkhorn(scores, rows, {}, SinkhornOptions().iterations(t)).plan;
    const auto scaling = sinkhorn_scaling_reference(scores, rows, {}, t);
    EXPECT_LT(max_abs_diff(log_domain, scaling), 1e-14) << "T = " << t;
  }
}

TEST(Sinkhorn, SmallEpsilonReachesTheBruteForceOptimalAssignment) {
  // With n = m and uniform marginals the optimum of <S, P> is a permutation matrix / n
  // (Birkhoff); entropic OT approaches it as ε → 0.
  const int64_t n = 5;
  const auto similarity = torch::rand({n, n}, torch::kDouble);
  std::vector<int64_t> perm(n), best;
  std::iota(perm.begin(), perm.end(), 0);
  double best_value = -1.0;
  do {
    double value = 0.0;
    for (int64_t i = 0; i < n; ++i) value += similarity[i][perm[i]].item<double>();
    if (value > best_value) best_value = value, best = perm;
  } while (std::next_permutation(perm.begin(), perm.end()));
  auto optimum = torch::zeros({n, n}, torch::kDouble);
  for (int64_t i = 0; i < n; ++i) optimum[i][best[i]] = 1.0 / n;
  const auto p = sinkhorn(similarity / 0.002, {}, {}, SinkhornOptions().iterations(3000)).plan;
  EXPECT_LT(max_abs_diff(p, optimum), 1e-3);
  EXPECT_NEAR((p * similarity).sum().item<double>(), best_value / n, 1e-4);
}

TEST(Sinkhorn, LargeEpsilonTendsToTheIndependentCoupling) {
  // P_ij = exp(S_ij + f_i + g_j) deviates from 1/(n·m) by a factor 1 + O(max |S|).
  const auto scores = torch::randn({20, 4}, torch::kDouble) / 1e4;
  const auto p = sinkhorn(scores, {}, {}, SinkhornOptions().iterations(3)).plan;
  EXPECT_LT((p * 80.0 - 1.0).abs().max().item<double>(), 2e-3);
}

TEST(Sinkhorn, StaysFiniteForEpsilonOneHundredthOnLongSequences) {
  // κ in (0, 1] over ε = 0.01: exp(κ/ε) reaches e^100, which would overflow float.
  const auto scores = torch::rand({1, 2, 8192, 64}) / 0.01f;
  auto scaled = scores.clone().requires_grad_(true);
  const auto result = sinkhorn(scaled, {}, {}, SinkhornOptions().iterations(10));
  EXPECT_TRUE(torch::isfinite(result.plan).all().item<bool>());
  EXPECT_TRUE(std::isfinite(result.report.max_marginal_error));
  (result.plan * torch::randn_like(result.plan)).sum().backward();
  EXPECT_TRUE(torch::isfinite(scaled.grad()).all().item<bool>());
  EXPECT_LT(max_abs_diff(result.plan.sum(-2), torch::full({1}, 1.0f / 64)), 1e-6);
}

TEST(Sinkhorn, ReportsWhetherTheToleranceWasReached) {
  const auto scores = torch::randn({50, 8}, torch::kDouble) * 20.0;
  const auto early =
      sinkhorn(scores, {}, {}, SinkhornOptions().iterations(1).tolerance(1e-6)).report;
  EXPECT_FALSE(early.converged);
  EXPECT_GT(early.max_marginal_error, 1e-6);
  EXPECT_EQ(early.iterations, 1);
  const auto late =
      sinkhorn(scores, {}, {}, SinkhornOptions().iterations(2000).tolerance(1e-6)).report;
  EXPECT_TRUE(late.converged) << late.max_marginal_error;
}

TEST(Sinkhorn, GradientsMatchFiniteDifferences) {
  auto scores = (3.0 * torch::randn({2, 6, 4}, torch::kDouble)).requires_grad_(true);
  const auto rows = testing::padding_for({6, 4}, 6);
  const auto w = testing::probe_weights({2, 6, 4});
  const auto result = testing::gradcheck(
      [&] { return (sinkhorn(scores, rows, {}, SinkhornOptions().iterations(7)).plan * w).sum(); },
      {scores});
  EXPECT_LE(result.worst_ratio, 1.0) << result.worst;
}

TEST(Sinkhorn, RejectsBadArguments) {
  const auto scores = torch::randn({3, 4});
  EXPECT_THROW(sinkhorn(scores, {}, {}, SinkhornOptions().iterations(0)), std::invalid_argument);
  EXPECT_THROW(sinkhorn(torch::randn({4}), {}, {}), std::invalid_argument);
  EXPECT_THROW(sinkhorn(scores, torch::zeros({3}), {}), std::invalid_argument);
  EXPECT_THROW(sinkhorn(scores, torch::ones({3}, torch::kBool), {}), std::invalid_argument);
}

}  // namespace
}  // namespace setformer::attention

// Sinkhorn on both paths (the log-domain composition and the fused CPU kernel): marginals,
// agreement with the exponentiated (matrix scaling) iterations, the exact optimum as ε → 0 against
// brute force, stability at small ε, gradients, the two paths against each other, and the
// implicit backward of the composition (the path of other devices) against the CPU kernel's.
#include "setformer/attention/sinkhorn.h"

#include "setformer/core/memory.h"

#include "common/attention_helpers.h"
#include "common/gradcheck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

/// Every property holds on both paths; the parameter is SinkhornOptions::fused.
class Sinkhorn : public ::testing::TestWithParam<bool> {
 protected:
  static SinkhornOptions options() { return SinkhornOptions().fused(GetParam()); }
  /// The fused path must have run when it was asked for (these scores are within its range).
  static void expect_path(const SinkhornReport& report) { EXPECT_EQ(report.fused, GetParam()); }
};

TEST_P(Sinkhorn, MarginalsAreUniformAfterConvergence) {
  const auto scores = 2.0 * torch::randn({2, 3, 40, 7}, torch::kDouble);
  const auto result = sinkhorn(scores, {}, {}, options().iterations(300));
  const auto& p = result.plan;
  EXPECT_GE(p.min().item<double>(), 0.0);
  EXPECT_LT(max_abs_diff(p.sum(-1), torch::full({1}, 1.0 / 40, torch::kDouble)), 1e-10);
  EXPECT_LT(max_abs_diff(p.sum(-2), torch::full({1}, 1.0 / 7, torch::kDouble)), 1e-12);
  EXPECT_LT(result.report.max_marginal_error, 1e-8);
  EXPECT_TRUE(result.report.converged);
  expect_path(result.report);
}

TEST_P(Sinkhorn, ColumnsAreExactAfterAnyNumberOfIterations) {
  const auto scores = 3.0 * torch::randn({4, 30, 5}, torch::kDouble);
  for (const int64_t t : {1, 2, 5}) {
    const auto p = sinkhorn(scores, {}, {}, options().iterations(t)).plan;
    EXPECT_LT(max_abs_diff(p.sum(-2), torch::full({1}, 0.2, torch::kDouble)), 1e-12) << "T = " << t;
  }
}

TEST_P(Sinkhorn, PaddingGetsNoMassAndMarginalsUseValidCounts) {
  const auto scores = torch::randn({2, 9, 6}, torch::kDouble);
  const auto rows = testing::padding_for({9, 4}, 9);
  const auto cols = testing::padding_for({6, 3}, 6);
  const auto p = sinkhorn(scores, rows, cols, options().iterations(500)).plan;
  EXPECT_EQ(p.masked_select(rows.unsqueeze(-1)).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(p.masked_select(cols.unsqueeze(-2)).abs().sum().item<double>(), 0.0);
  EXPECT_NEAR(p[1].sum(1)[0].item<double>(), 1.0 / 4, 1e-10);
  EXPECT_NEAR(p[1].sum(0)[0].item<double>(), 1.0 / 3, 1e-12);
  // The padded problem equals the unpadded sub-problem.
  const auto sub =
      sinkhorn(scores[1].slice(0, 0, 4).slice(1, 0, 3), {}, {}, options().iterations(500)).plan;
  EXPECT_LT(max_abs_diff(p[1].slice(0, 0, 4).slice(1, 0, 3), sub), 1e-14);
}

TEST_P(Sinkhorn, EqualsMatrixScalingIterationByIteration) {
  const auto scores = torch::rand({3, 12, 5}, torch::kDouble) * 10.0;  // κ/ε with ε = 0.1
  const auto rows = testing::padding_for({12, 7, 10}, 12);
  for (const int64_t t : {1, 3, 10}) {
    const auto log_domain = sinkhorn(scores, rows, {}, options().iterations(t)).plan;
    const auto scaling = sinkhorn_scaling_reference(scores, rows, {}, t);
    EXPECT_LT(max_abs_diff(log_domain, scaling), 1e-14) << "T = " << t;
  }
}

TEST_P(Sinkhorn, SmallEpsilonReachesTheBruteForceOptimalAssignment) {
  // With n = m and uniform marginals the optimum of <S, P> is a permutation matrix / n
  // (Birkhoff); entropic OT approaches it as ε → 0.
  const int64_t n = 5;
  // A planted permutation worth 0.5 per entry keeps the optimum clear of the runner-up, so that
  // ε = 0.004 resolves it; the brute force below does not know the plant.
  torch::manual_seed(11);
  const auto planted = torch::randperm(n, torch::kLong);
  const auto similarity = 0.5 * torch::rand({n, n}, torch::kDouble) +
                          0.5 * torch::one_hot(planted, n).to(torch::kDouble);
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
  // ε = 0.004 keeps the scores' range (≤ 250) within the fused path's double-precision limit.
  const auto result = sinkhorn(similarity / 0.004, {}, {}, options().iterations(3000));
  expect_path(result.report);
  const auto& p = result.plan;
  EXPECT_LT(max_abs_diff(p, optimum), 1e-3);
  EXPECT_NEAR((p * similarity).sum().item<double>(), best_value / n, 1e-4);
}

TEST_P(Sinkhorn, LargeEpsilonTendsToTheIndependentCoupling) {
  // P_ij = exp(S_ij + f_i + g_j) deviates from 1/(n·m) by a factor 1 + O(max |S|).
  const auto scores = torch::randn({20, 4}, torch::kDouble) / 1e4;
  const auto p = sinkhorn(scores, {}, {}, options().iterations(3)).plan;
  EXPECT_LT((p * 80.0 - 1.0).abs().max().item<double>(), 2e-3);
}

TEST_P(Sinkhorn, StaysFiniteForEpsilonOneHundredthOnLongSequences) {
  // κ in (0, 1] over ε = 0.01: exp(κ/ε) reaches e^100, which would overflow float.
  const auto scores = torch::rand({1, 2, 8192, 64}) / 0.01f;
  auto scaled = scores.clone().requires_grad_(true);
  const auto result = sinkhorn(scaled, {}, {}, options().iterations(10));
  EXPECT_TRUE(torch::isfinite(result.plan).all().item<bool>());
  EXPECT_TRUE(std::isfinite(result.report.max_marginal_error));
  EXPECT_FALSE(result.report.fused) << "a score range of 100 is beyond matrix scaling in float";
  (result.plan * torch::randn_like(result.plan)).sum().backward();
  EXPECT_TRUE(torch::isfinite(scaled.grad()).all().item<bool>());
  EXPECT_LT(max_abs_diff(result.plan.sum(-2), torch::full({1}, 1.0f / 64)), 1e-6);
}

TEST_P(Sinkhorn, ReportsWhetherTheToleranceWasReached) {
  const auto scores = torch::randn({50, 8}, torch::kDouble) * 20.0;
  const auto early = sinkhorn(scores, {}, {}, options().iterations(1).tolerance(1e-6)).report;
  EXPECT_FALSE(early.converged);
  EXPECT_GT(early.max_marginal_error, 1e-6);
  EXPECT_EQ(early.iterations, 1);
  const auto late = sinkhorn(scores, {}, {}, options().iterations(2000).tolerance(1e-6)).report;
  EXPECT_TRUE(late.converged) << late.max_marginal_error;
}

TEST_P(Sinkhorn, GradientsMatchFiniteDifferences) {
  auto scores = (3.0 * torch::randn({2, 6, 4}, torch::kDouble)).requires_grad_(true);
  const auto rows = testing::padding_for({6, 4}, 6);
  const auto w = testing::probe_weights({2, 6, 4});
  const auto result = testing::gradcheck(
      [&] { return (sinkhorn(scores, rows, {}, options().iterations(7)).plan * w).sum(); },
      {scores});
  EXPECT_LE(result.worst_ratio, 1.0) << result.worst;
}

INSTANTIATE_TEST_SUITE_P(Paths, Sinkhorn, ::testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "fused" : "reference";
                         });

/// Plans and gradients of both paths for the same scores, T and padding.
struct TwoPaths {
  torch::Tensor reference_plan, fused_plan, reference_grad, fused_grad;
  bool fused_ran = false;
};

TwoPaths run_both(const torch::Tensor& scores, const torch::Tensor& rows, const torch::Tensor& cols,
                  int64_t iterations,
                  SinkhornBackward fused_backward = SinkhornBackward::unrolled) {
  const auto w = testing::probe_weights(scores.sizes()).to(scores.scalar_type());
  TwoPaths out;
  for (const bool fused : {false, true}) {
    auto s = scores.clone().requires_grad_(true);
    const auto result =
        sinkhorn(s, rows, cols,
                 SinkhornOptions().iterations(iterations).fused(fused).backward(fused_backward));
    (result.plan * w).sum().backward();
    (fused ? out.fused_plan : out.reference_plan) = result.plan.detach();
    (fused ? out.fused_grad : out.reference_grad) = s.grad();
    if (fused) out.fused_ran = result.report.fused;
  }
  return out;
}

TEST(SinkhornFused, EqualsTheUnrolledLogDomainPlanAndGradientInDoublePrecision) {
  // κ̃/ε for ε = 0.1, with row and column padding, on a few iteration counts: the backward must
  // be the exact gradient of the T unrolled iterations, not the fixed point's.
  const auto scores = torch::rand({2, 3, 11, 6}, torch::kDouble) * 10.0;
  const auto rows = testing::padding_for({11, 7}, 11).view({2, 1, 11});
  const auto cols = testing::padding_for({6, 4}, 6).view({2, 1, 6});
  for (const int64_t t : {1, 4, 10}) {
    const auto both = run_both(scores, rows, cols, t);
    ASSERT_TRUE(both.fused_ran);
    EXPECT_LT(max_abs_diff(both.fused_plan, both.reference_plan), 1e-14) << "T = " << t;
    const double scale = both.reference_grad.abs().max().item<double>();
    EXPECT_LT(max_abs_diff(both.fused_grad, both.reference_grad), 1e-12 * scale) << "T = " << t;
  }
}

TEST(SinkhornFused, ImplicitGradientEqualsTheUnrolledGradientOfAConvergedPlan) {
  // At convergence the unrolled iterations' gradient tends to the fixed point's, which the
  // implicit backward computes from P alone; with padding on both sides. Before convergence the
  // two differ, which shows the comparison can tell them apart.
  const auto scores = torch::rand({2, 3, 11, 6}, torch::kDouble) * 5.0;
  const auto rows = testing::padding_for({11, 7}, 11).view({2, 1, 11});
  const auto cols = testing::padding_for({6, 4}, 6).view({2, 1, 6});
  const auto converged = run_both(scores, rows, cols, 300, SinkhornBackward::implicit);
  ASSERT_TRUE(converged.fused_ran);
  const double scale = converged.reference_grad.abs().max().item<double>();
  EXPECT_LT(max_abs_diff(converged.fused_grad, converged.reference_grad), 1e-9 * scale);
  const auto early = run_both(scores, rows, cols, 1, SinkhornBackward::implicit);
  EXPECT_GT(max_abs_diff(early.fused_grad, early.reference_grad), 1e-3 * scale);
}

TEST(SinkhornImplicit, BatchedTensorBackwardEqualsTheCpuKernel) {
  // The same fixed-point system, solved per plan by the CPU kernel (scaling.h) and batched with
  // tensor operations (the path of other devices), on the kernel's own plan, with padding on
  // both sides.
  const auto scores = (torch::rand({2, 3, 11, 6}, torch::kDouble) * 5.0).requires_grad_(true);
  const auto rows = testing::padding_for({11, 7}, 11).view({2, 1, 11});
  const auto cols = testing::padding_for({6, 4}, 6).view({2, 1, 6});
  const auto w = testing::probe_weights(scores.sizes()).to(torch::kDouble);
  const auto result = sinkhorn(
      scores, rows, cols, SinkhornOptions().iterations(20).backward(SinkhornBackward::implicit));
  ASSERT_TRUE(result.report.fused);
  (result.plan * w).sum().backward();
  const auto batched = detail::implicit_backward_batched(result.plan.detach(), w);
  const double scale = scores.grad().abs().max().item<double>();
  EXPECT_GT(scale, 1e-3);
  EXPECT_LT(max_abs_diff(batched, scores.grad()), 1e-12 * scale);
}

TEST(SinkhornImplicit, WhereTheKernelDoesNotRunTheCompositionIsDifferentiatedAtTheFixedPoint) {
  // A score row wider than the fused kernel's range (250 in double) sends the plan to the
  // log-domain composition, as every plan on a GPU is. With the implicit backward its gradient
  // is the fixed point's: that of the unrolled reference once converged, not before.
  auto scores = torch::rand({2, 3, 11, 6}, torch::kDouble) * 5.0;
  scores.index_put_({0, 0, 0, 0}, 300.0);
  const auto rows = testing::padding_for({11, 7}, 11).view({2, 1, 11});
  const auto w = testing::probe_weights(scores.sizes()).to(torch::kDouble);
  const auto gradient = [&](int64_t iterations, bool fused, SinkhornBackward backward) {
    const auto s = scores.clone().requires_grad_(true);
    const auto result = sinkhorn(
        s, rows, {}, SinkhornOptions().iterations(iterations).fused(fused).backward(backward));
    EXPECT_FALSE(result.report.fused);
    (result.plan * w).sum().backward();
    return s.grad();
  };
  const auto reference = gradient(300, false, SinkhornBackward::unrolled);
  const double scale = reference.abs().max().item<double>();
  EXPECT_LT(max_abs_diff(gradient(300, true, SinkhornBackward::implicit), reference), 1e-9 * scale);
  EXPECT_GT(max_abs_diff(gradient(1, true, SinkhornBackward::implicit),
                         gradient(1, false, SinkhornBackward::unrolled)),
            1e-3 * scale);
}

TEST(SinkhornImplicit, CompositionHoldsThePlanOnlyWhateverT) {
  // Bytes the autograd graph holds after the forward pass of the composition (wide rows keep the
  // fused kernel out): the unrolled iterations keep 2T intermediates, the implicit path P.
  install_cpu_memory_tracker();
  auto scores = torch::rand({4, 64, 8});
  scores.index_put_({0, 0, 0}, 100.0f);
  const auto held = [&](SinkhornBackward backward, int64_t iterations) {
    const auto s = scores.clone().requires_grad_(true);
    const torch::Device cpu(torch::kCPU);
    const int64_t before = current_memory_bytes(cpu);
    const auto result =
        sinkhorn(s, {}, {}, SinkhornOptions().iterations(iterations).backward(backward));
    EXPECT_FALSE(result.report.fused);
    return current_memory_bytes(cpu) - before;
  };
  EXPECT_EQ(held(SinkhornBackward::implicit, 5), held(SinkhornBackward::implicit, 50));
  EXPECT_GT(held(SinkhornBackward::unrolled, 50), held(SinkhornBackward::unrolled, 5));
}

TEST(SinkhornImplicit, CompositionStopsEarlyOnlyWhereTheIteratesAreNotNeeded) {
  // The composition (wide rows keep the fused kernel out, as a GPU does) stops like the kernel:
  // without gradients or with the implicit backward, once the rows are within the tolerance.
  auto scores = torch::rand({3, 40, 8}, torch::kDouble) * 5.0;
  scores.index_put_({0, 0, 0}, 300.0);
  const auto options = SinkhornOptions().iterations(400).stop_tolerance(1e-8);
  {
    torch::NoGradGuard no_grad;
    const auto converged = sinkhorn(scores, {}, {}, SinkhornOptions(options).fused(false));
    EXPECT_EQ(converged.report.iterations, 400) << "the reference runs all T";
    const auto early = sinkhorn(scores, {}, {}, options);
    ASSERT_FALSE(early.report.fused);
    EXPECT_LT(early.report.iterations, 400);
    EXPECT_GT(early.report.iterations, 1);
    EXPECT_LE(early.report.max_marginal_error, 1e-8);
    EXPECT_LT(max_abs_diff(early.plan, converged.plan),
              1e-8 * converged.plan.abs().max().item<double>());
  }
  const auto s = scores.clone().requires_grad_(true);
  EXPECT_EQ(sinkhorn(s, {}, {}, options).report.iterations, 400) << "unrolled backward";
  const auto implicit =
      sinkhorn(s, {}, {}, SinkhornOptions(options).backward(SinkhornBackward::implicit));
  EXPECT_LT(implicit.report.iterations, 400) << "implicit backward";
}

TEST(SinkhornFused, StopsEarlyOnlyWhereTheIteratesAreNotNeeded) {
  // Without gradients the fused kernel stops once the rows are within the tolerance, and its
  // plan is then that close to the converged one; the unrolled backward needs all T.
  const auto scores = torch::rand({3, 40, 8}, torch::kDouble) * 5.0;
  const auto options = SinkhornOptions().iterations(400).stop_tolerance(1e-8);
  torch::Tensor converged;
  {
    torch::NoGradGuard no_grad;
    converged = sinkhorn(scores, {}, {}, SinkhornOptions().iterations(400)).plan;
    const auto early = sinkhorn(scores, {}, {}, options);
    ASSERT_TRUE(early.report.fused);
    EXPECT_LT(early.report.iterations, 400);
    EXPECT_GT(early.report.iterations, 1);
    EXPECT_LE(early.report.max_marginal_error, 1e-8);
    EXPECT_LT(max_abs_diff(early.plan, converged), 1e-8 * converged.abs().max().item<double>());
  }
  const auto s = scores.clone().requires_grad_(true);
  EXPECT_EQ(sinkhorn(s, {}, {}, options).report.iterations, 400) << "unrolled backward";
  const auto implicit =
      sinkhorn(s, {}, {}, SinkhornOptions(options).backward(SinkhornBackward::implicit));
  EXPECT_LT(implicit.report.iterations, 400) << "implicit backward";
}

TEST(SinkhornFused, AgreesWithTheLogDomainInSinglePrecision) {
  // The backbone's shapes: batch × heads plans of 49 tokens by 32 references.
  const auto scores = torch::rand({8, 2, 49, 32}) * 10.0f;
  const auto both = run_both(scores, {}, {}, 10);
  ASSERT_TRUE(both.fused_ran);
  const double plan_scale = both.reference_plan.abs().max().item<double>();
  const double grad_scale = both.reference_grad.abs().max().item<double>();
  EXPECT_LT(max_abs_diff(both.fused_plan, both.reference_plan), 1e-5 * plan_scale);
  EXPECT_LT(max_abs_diff(both.fused_grad, both.reference_grad), 1e-4 * grad_scale);
}

TEST(SinkhornFused, LeavesWideScoreRangesToTheLogDomain) {
  auto narrow = torch::rand({4, 8, 5}) * 29.0f;
  EXPECT_TRUE(sinkhorn(narrow, {}, {}).report.fused);
  auto wide = narrow.clone();
  wide[2][3][0] = 0.0f;
  wide[2][3][1] = 31.0f;  // one row spanning 31 > 30
  EXPECT_FALSE(sinkhorn(wide, {}, {}).report.fused);
  EXPECT_TRUE(sinkhorn(wide.to(torch::kDouble), {}, {}).report.fused);
}

TEST(SinkhornArguments, AreRejectedWithClearErrors) {
  const auto scores = torch::randn({3, 4});
  EXPECT_THROW(sinkhorn(scores, {}, {}, SinkhornOptions().iterations(0)), std::invalid_argument);
  EXPECT_THROW(sinkhorn(torch::randn({4}), {}, {}), std::invalid_argument);
  EXPECT_THROW(sinkhorn(scores, torch::zeros({3}), {}), std::invalid_argument);
  EXPECT_THROW(sinkhorn(scores, torch::ones({3}, torch::kBool), {}), std::invalid_argument);
}

}  // namespace
}  // namespace setformer::attention

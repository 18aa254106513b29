// SeT attention (DESIGN.md §2) against an independent dense formulation in double precision —
// kernel by a different formula, π by explicit loops, P by matrix scaling, A = n·m·P·Pᵀ formed
// explicitly — and the properties DESIGN.md asks the tests to pin down.
#include "setformer/attention/set.h"

#include "setformer/attention/positions.h"
#include "setformer/core/memory.h"

#include "common/attention_helpers.h"
#include "common/errors.h"
#include "common/gradcheck.h"

#include <gtest/gtest.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;
using torch::indexing::Slice;

/// κ by distances: every kernel is written differently from similarity().
torch::Tensor reference_kernel(const torch::Tensor& q, const torch::Tensor& z, SimilarityKernel k,
                               double alpha) {
  switch (k) {
    case SimilarityKernel::spherical_gaussian: {  // exp(α(cos − 1)) = exp(−(α/2)‖q̂ − ẑ‖²)
      const auto qh = q / q.norm(2, 1, true), zh = z / z.norm(2, 1, true);
      return torch::exp(-0.5 * alpha * torch::cdist(qh, zh).square());
    }
    case SimilarityKernel::gaussian:
      return torch::exp(-0.5 * alpha * torch::cdist(q, z).square());
    case SimilarityKernel::dot:
      return q.mm(z.t()) / std::sqrt(static_cast<double>(q.size(1)));
  }
  return {};
}

/// One sequence x [n, d] through SeT with the layer's parameters, the slow and obvious way.
torch::Tensor dense_reference(SetAttentionImpl& layer, torch::Tensor x) {
  auto p = layer.named_parameters();
  const AttentionOptions& ao = layer.options();
  const SetOptions& o = ao.set();
  const int64_t n = x.size(0), heads = ao.heads(), dh = ao.dim() / heads;
  const bool learned = o.references() == References::learned;
  const int64_t m = learned ? o.num_references() : n;
  if (o.positions() == Positions::ape) x = x + p["absolute_positions"].slice(0, 0, n);
  const auto q_all = x.mm(p["w_q.weight"].t()) + p["w_q.bias"];

  // π by explicit loops over token and reference positions.
  auto pi = torch::ones({n, m}, torch::kDouble);
  if (o.positions() == Positions::lpe) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double d2;
        if (o.grid().empty()) {
          const double pi_pos = double(i) / n, r = double(j) / m;
          d2 = (pi_pos - r) * (pi_pos - r);
        } else {
          const int64_t H = o.grid()[0], W = o.grid()[1];
          const int64_t mh = learned ? o.reference_grid()[0] : H,
                        mw = learned ? o.reference_grid()[1] : W;
          const double dr = double(i / W) / H - double(j / mw) / mh;
          const double dc = double(i % W) / W - double(j % mw) / mw;
          d2 = dr * dr + dc * dc;
        }
        pi[i][j] = std::exp(-d2 / (o.sigma() * o.sigma()));
      }
    }
  }
  std::vector<torch::Tensor> outs;
  for (int64_t h = 0; h < heads; ++h) {
    const auto q = q_all.index({Slice(), Slice(h * dh, (h + 1) * dh)});
    const auto z = learned ? p["references"][h] : q;
    const auto kappa = reference_kernel(q, z, o.kernel(), o.alpha());
    const auto plan = sinkhorn_scaling_reference(kappa * pi / o.epsilon(), {}, {}, o.iterations());
    torch::Tensor v;
    if (o.values() == Values::linear) {
      const auto v_all = x.mm(p["w_v.weight"].t()) + p["w_v.bias"];
      v = v_all.index({Slice(), Slice(h * dh, (h + 1) * dh)});
    } else {  // ψ = κ(Z,Z)^{-1/2} κ(Z, x) with the inverse square root from an SVD
      auto [u, s, vt] = torch::linalg_svd(reference_kernel(z, z, o.kernel(), o.alpha()), true, {});
      const auto inv_sqrt =
          u.mm(torch::diag(s.clamp_min(o.nystrom_eigen_floor()).pow(-0.5))).mm(u.t());
      v = kappa.mm(inv_sqrt).mm(p["nystrom_weight"][h]) + p["nystrom_bias"][h];
    }
    const auto attention = double(n) * double(m) * plan.mm(plan.t());  // A = n·m·P·Pᵀ, [n, n]
    outs.push_back(attention.mm(v));
  }
  return torch::cat(outs, 1).mm(p["w_o.weight"].t()) + p["w_o.bias"];
}

struct DenseCase {
  std::string name;
  SetOptions options;
  int64_t n = 12;
};

void PrintTo(const DenseCase& c, std::ostream* os) {
  *os << c.name;
}

class SetAgainstDense : public ::testing::TestWithParam<DenseCase> {};

TEST_P(SetAgainstDense, MatchesInDoublePrecision) {
  torch::manual_seed(11);
  const auto& c = GetParam();
  SetAttention layer(AttentionOptions(12, 3).kernel("set").set(c.options));
  layer->to(torch::kDouble);
  const auto x = torch::randn({1, c.n, 12}, torch::kDouble);
  const auto got = layer(x, x)[0];
  const auto want = dense_reference(*layer, x[0]);
  // The spherical kernel with learned references and linear values runs the fused core.
  const SetOptions& o = c.options;
  EXPECT_EQ(layer->last_fused_core(), o.kernel() == SimilarityKernel::spherical_gaussian &&
                                          o.references() == References::learned &&
                                          o.values() == Values::linear);
  EXPECT_LT(max_abs_diff(got, want), 1e-10) << c.name;
  EXPECT_GT(want.abs().max().item<double>(), 1e-3);  // not trivially zero
}

SetOptions base() {
  return SetOptions().num_references(5).iterations(8).epsilon(0.1).alpha(1.5);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, SetAgainstDense,
    ::testing::Values(
        DenseCase{"spherical_lpe", base()},
        DenseCase{"gaussian_lpe", base().kernel(SimilarityKernel::gaussian).alpha(0.3)},
        DenseCase{"dot_lpe", base().kernel(SimilarityKernel::dot)},
        DenseCase{"spherical_no_positions", base().positions(Positions::none)},
        DenseCase{"spherical_ape", base().positions(Positions::ape).max_positions(20)},
        DenseCase{"spherical_lpe_2d",
                  base().num_references(6).grid({3, 4}).reference_grid({2, 3}).sigma(0.8)},
        DenseCase{"spherical_nystrom", base().values(Values::nystrom)},
        DenseCase{"gaussian_nystrom",
                  base().kernel(SimilarityKernel::gaussian).alpha(0.3).values(Values::nystrom)},
        DenseCase{"no_references", base().references(References::none)},
        DenseCase{"no_references_2d", base().references(References::none).grid({4, 3})},
        DenseCase{"small_epsilon_many_iterations", base().epsilon(0.5).iterations(40).sigma(0.3)}),
    [](const auto& p) { return p.param.name; });

/// Finite differences of a probe of a width-8 layer's output on a padded batch, in double: the
/// input and every parameter.
testing::GradcheckResult padded_gradcheck(SetAttention& layer) {
  layer->to(torch::kDouble);
  auto x = torch::randn({2, 5, 8}, torch::kDouble).requires_grad_(true);
  const auto pad = testing::padding_for({5, 4}, 5);
  const auto w = testing::probe_weights({2, 5, 8});
  return testing::gradcheck([&] { return (layer(x, x, Mask().padding(pad)) * w).sum(); },
                            testing::input_and_parameters(x, *layer));
}

class SetKernels : public ::testing::TestWithParam<SimilarityKernel> {};

TEST_P(SetKernels, AttentionMatrixIsNonNegativeAndRowStochastic) {
  SetAttention layer(AttentionOptions(16, 2).kernel("set").set(
      SetOptions().num_references(8).iterations(200).kernel(GetParam()).alpha(0.5)));
  const auto x = torch::randn({2, 30, 16}, torch::kDouble);
  layer->to(torch::kDouble);
  const auto plan = layer->plan(x);                                         // [B, H, n, m]
  const auto a = 30.0 * 8.0 * torch::matmul(plan, plan.transpose(-2, -1));  // [B, H, n, n]
  EXPECT_GE(a.min().item<double>(), 0.0);
  EXPECT_LT(max_abs_diff(a.sum(-1), torch::ones({1}, torch::kDouble)), 1e-6);
}

TEST_P(SetKernels, LargeEpsilonAveragesUniformly) {
  // ε → ∞: P → 1/(n·m), A → 1/n: every token receives the mean of the values.
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(4).epsilon(1e5).kernel(GetParam());
  SetAttention layer(options);
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 10, 16});
  auto p = layer->named_parameters();
  const auto mean_v = (x.mean(1, true).matmul(p["w_v.weight"].t()) + p["w_v.bias"]);
  const auto want = mean_v.matmul(p["w_o.weight"].t()) + p["w_o.bias"];
  EXPECT_LT(max_abs_diff(layer(x, x), want.expand({2, 10, 16})), 1e-4);
}

TEST_P(SetKernels, SmallEpsilonOnLongSequencesStaysFinite) {
  auto options = AttentionOptions(32, 2).kernel("set");
  options.set().num_references(32).epsilon(0.01).kernel(GetParam());
  SetAttention layer(options);
  auto x = torch::randn({1, 8192, 32}).requires_grad_(true);
  const auto y = layer(x, x);
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  y.square().mean().backward();
  EXPECT_TRUE(torch::isfinite(x.grad()).all().item<bool>());
  for (const auto& param : layer->parameters())
    EXPECT_TRUE(torch::isfinite(param.grad()).all().item<bool>());
  EXPECT_TRUE(std::isfinite(layer->last_sinkhorn().max_marginal_error));
}

TEST_P(SetKernels, PermutationEquivariantWithoutPositions) {
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(6).positions(Positions::none).kernel(GetParam()).alpha(0.5);
  SetAttention layer(options);
  EXPECT_LT(testing::permutation_gap(testing::self_attention(layer), torch::randn({2, 12, 16})),
            1e-5);
}

TEST_P(SetKernels, PaddedBatchEqualsUnpaddedSequences) {
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(6).kernel(GetParam()).alpha(0.5).values(Values::nystrom);
  SetAttention layer(options);
  const auto x = torch::randn({2, 9, 16});
  const auto pad = testing::padding_for({9, 4}, 9);
  const auto batched = layer(x, x, Mask().padding(pad));
  const auto short_seq = x[1].slice(0, 0, 4).unsqueeze(0);
  EXPECT_LT(max_abs_diff(batched[1].slice(0, 0, 4), layer(short_seq, short_seq)[0]), 2e-5);
  const auto full = x[0].unsqueeze(0);
  EXPECT_LT(max_abs_diff(batched[0], layer(full, full)[0]), 2e-5);
}

TEST_P(SetKernels, GradientsMatchFiniteDifferencesWithNystromValues) {
  torch::manual_seed(5);
  auto options = AttentionOptions(8, 2).kernel("set");
  options.set()
      .num_references(3)
      .iterations(5)
      .kernel(GetParam())
      .alpha(0.7)
      .values(Values::nystrom);
  SetAttention layer(options);
  const auto result = padded_gradcheck(layer);
  EXPECT_LE(result.worst_ratio, 1.0) << result.worst;
}

INSTANTIATE_TEST_SUITE_P(Kernels, SetKernels,
                         ::testing::Values(SimilarityKernel::spherical_gaussian,
                                           SimilarityKernel::gaussian),
                         [](const auto& p) { return to_string(p.param); });

TEST(SetAttention, FlopsAreLinearInTheSequenceLength) {
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(6).iterations(20);
  SetAttention layer(options);
  const double n = 10, d = 16, m = 6, t = 20, h = 2;
  // Self-attention: W_q, W_v, W_o; similarity; 2T half-steps; aggregation; redistribution.
  EXPECT_DOUBLE_EQ(layer->flops(10, 10),
                   3 * n * d * d + n * m * d + 2 * t * n * m * h + 2 * n * m * d);
  EXPECT_DOUBLE_EQ(layer->flops(20000, 20000), 2000 * layer->flops(10, 10));
}

TEST(SetAttention, PositionFilterBreaksPermutationEquivariance) {
  // With LPE a token's output depends on where it stands; without, it does not (attention_test).
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(6).sigma(0.2);
  SetAttention layer(options);
  EXPECT_GT(testing::permutation_gap(testing::self_attention(layer), torch::randn({1, 10, 16})),
            1e-3);
}

TEST(SetAttention, ReportsSinkhornConvergence) {
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(6).epsilon(0.05).iterations(1).tolerance(1e-4);
  SetAttention rough(options);
  const auto x = torch::randn({2, 40, 16});
  rough(x, x);
  EXPECT_FALSE(rough->last_sinkhorn().converged);
  EXPECT_GT(rough->last_sinkhorn().max_marginal_error, 1e-4);
  options.set().iterations(500);
  SetAttention fine(options);
  fine(x, x);
  EXPECT_TRUE(fine->last_sinkhorn().converged) << fine->last_sinkhorn().max_marginal_error;
  // κ̃/ε spans at most 1/ε = 20 here: the fused kernel runs unless switched off.
  EXPECT_TRUE(fine->last_sinkhorn().fused);
  options.set().fused_sinkhorn(false);
  SetAttention reference(options);
  reference(x, x);
  EXPECT_FALSE(reference->last_sinkhorn().fused);
}

/// Two copies of one SeT layer in double precision: the fused core and the composition.
std::pair<SetAttention, SetAttention> fused_and_composed(AttentionOptions options) {
  SetAttention fused(options);
  options.set().fused_sinkhorn(false);
  SetAttention composed(options);
  torch::NoGradGuard no_grad;
  for (auto& item : composed->named_parameters())
    item.value().copy_(fused->named_parameters()[item.key()]);
  fused->to(torch::kDouble);
  composed->to(torch::kDouble);
  return {fused, composed};
}

TEST(SetAttention, FusedCoreEqualsTheCompositionWithItsGradients) {
  // Padding, a 2-D grid and several T: the fused core (set_fused.h) must give the composition's
  // output and every gradient to rounding.
  const auto pad = testing::padding_for({40, 23, 31}, 40);
  for (const int64_t t : {1, 4, 10}) {
    auto options = AttentionOptions(16, 2).kernel("set");
    options.set().num_references(6).grid({5, 8}).reference_grid({2, 3}).iterations(t);
    auto [fused, composed] = fused_and_composed(options);
    const auto x = torch::randn({3, 40, 16}, torch::kDouble).requires_grad_(true);
    const auto w = testing::probe_weights({3, 40, 16});
    std::vector<std::vector<torch::Tensor>> grads;
    std::vector<torch::Tensor> outputs;
    for (SetAttention* layer : {&fused, &composed}) {
      const auto y = (*layer)(x, x, Mask().padding(pad));
      outputs.push_back(y.detach());
      auto params = (*layer)->named_parameters();
      grads.push_back(
          torch::autograd::grad({(y * w).sum()}, {x, params["references"], params["w_q.weight"],
                                                  params["w_v.weight"], params["w_o.bias"]}));
    }
    EXPECT_TRUE(fused->last_fused_core());
    EXPECT_FALSE(composed->last_fused_core());
    EXPECT_LT(max_abs_diff(outputs[0], outputs[1]), 1e-12) << "T = " << t;
    const char* names[] = {"input", "references", "w_q", "w_v", "w_o bias"};
    for (size_t i = 0; i < grads[0].size(); ++i) {
      const double scale = grads[1][i].abs().max().item<double>();
      EXPECT_LT(max_abs_diff(grads[0][i], grads[1][i]), 1e-12 * scale) << names[i] << ", T = " << t;
    }
  }
}

TEST(SetAttention, FusedCoreImplicitBackwardMatchesTheConvergedComposition) {
  // With T large enough for the plan to converge, the implicit backward (P only, an m×m solve per
  // plan) gives the unrolled composition's gradients.
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(6).iterations(300).sinkhorn_backward(SinkhornBackward::implicit);
  auto [fused, composed] = fused_and_composed(options);
  const auto pad = testing::padding_for({30, 17}, 30);
  const auto x = torch::randn({2, 30, 16}, torch::kDouble).requires_grad_(true);
  const auto w = testing::probe_weights({2, 30, 16});
  std::vector<std::vector<torch::Tensor>> grads;
  for (SetAttention* layer : {&fused, &composed}) {
    const auto y = (*layer)(x, x, Mask().padding(pad));
    grads.push_back(
        torch::autograd::grad({(y * w).sum()}, {x, (*layer)->named_parameters()["references"]}));
  }
  ASSERT_TRUE(fused->last_fused_core());
  for (size_t i = 0; i < 2; ++i) {
    const double scale = grads[1][i].abs().max().item<double>();
    EXPECT_LT(max_abs_diff(grads[0][i], grads[1][i]), 1e-8 * scale) << (i ? "references" : "input");
  }
}

TEST(SetAttention, FusedCoreImplicitBackwardKeepsMemoryIndependentOfT) {
  // Bytes the autograd graph holds after the forward pass, for two iteration counts: the
  // unrolled backward keeps the T scaling vectors, the implicit one only P.
  install_cpu_memory_tracker();
  const auto held = [](SinkhornBackward backward, int64_t iterations) {
    auto options = AttentionOptions(16, 2).kernel("set");
    options.set().num_references(8).iterations(iterations).sinkhorn_backward(backward);
    SetAttention layer(options);
    const auto x = torch::randn({2, 64, 16}).requires_grad_(true);
    const torch::Device cpu(torch::kCPU);
    const int64_t before = current_memory_bytes(cpu);
    const auto y = layer(x, x);
    EXPECT_TRUE(layer->last_fused_core());
    return current_memory_bytes(cpu) - before;
  };
  EXPECT_EQ(held(SinkhornBackward::implicit, 5), held(SinkhornBackward::implicit, 50));
  EXPECT_GT(held(SinkhornBackward::unrolled, 50), held(SinkhornBackward::unrolled, 5));
}

TEST(SetAttention, FusedCoreGradientsMatchFiniteDifferences) {
  torch::manual_seed(3);
  auto options = AttentionOptions(8, 2).kernel("set");
  options.set().num_references(3).iterations(5).alpha(0.7);
  SetAttention layer(options);
  const auto result = padded_gradcheck(layer);
  ASSERT_TRUE(layer->last_fused_core());
  EXPECT_LE(result.worst_ratio, 1.0) << result.worst;
}

TEST(SetAttention, FusedCoreInFloatAgreesWithTheDoubleComposition) {
  auto options = AttentionOptions(32, 2).kernel("set");
  options.set().num_references(16).iterations(10);
  auto [fused, composed] = fused_and_composed(options);
  fused->to(torch::kFloat);
  const auto x = torch::randn({2, 64, 32}, torch::kDouble);
  const auto xf = x.to(torch::kFloat).requires_grad_(true);
  const auto xd = x.clone().requires_grad_(true);
  const auto w = testing::probe_weights({2, 64, 32});
  const auto yf = fused(xf, xf), yd = composed(xd, xd);
  ASSERT_TRUE(fused->last_fused_core());
  (yf * w.to(torch::kFloat)).sum().backward();
  (yd * w).sum().backward();
  EXPECT_LT(max_abs_diff(yf.to(torch::kDouble), yd), 1e-5 * yd.abs().max().item<double>());
  EXPECT_LT(max_abs_diff(xf.grad().to(torch::kDouble), xd.grad()),
            1e-4 * xd.grad().abs().max().item<double>());
}

TEST(SetAttention, FusedCoreGivesTheSameOutputWithoutGradients) {
  // Inference keeps no state for the backward (per-thread scratch instead): same arithmetic.
  auto options = AttentionOptions(16, 4).kernel("set");
  options.set().num_references(8);
  SetAttention layer(options);
  const auto x = torch::randn({3, 20, 16});
  const auto with_grad = layer(x, x);
  torch::NoGradGuard no_grad;
  const auto without = layer(x, x);
  ASSERT_TRUE(layer->last_fused_core());
  EXPECT_TRUE(torch::equal(with_grad.detach(), without));
}

TEST(SetAttention, FusedCoreStopsSinkhornEarlyInEvaluation) {
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(8).iterations(200).stop_tolerance(1e-6);
  SetAttention layer(options);
  layer->to(torch::kDouble);
  const auto x = torch::randn({2, 30, 16}, torch::kDouble);
  const auto trained = layer(x, x);  // training mode, unrolled backward: all T iterations
  EXPECT_EQ(layer->last_sinkhorn().iterations, 200);
  layer->eval();
  torch::NoGradGuard no_grad;
  const auto early = layer(x, x);
  ASSERT_TRUE(layer->last_fused_core());
  EXPECT_LT(layer->last_sinkhorn().iterations, 200);
  EXPECT_LE(layer->last_sinkhorn().max_marginal_error, 1e-6);
  EXPECT_LT(max_abs_diff(early, trained), 1e-5 * trained.abs().max().item<double>());
}

TEST(SetAttention, FusedCoreRunsOnlyWhereItApplies) {
  const auto x = torch::randn({2, 12, 16});
  const auto runs = [&](const AttentionOptions& options, bool training = true) {
    SetAttention layer(options);
    layer->train(training);
    layer(x, x);
    return layer->last_fused_core();
  };
  const auto base = [] {
    auto options = AttentionOptions(16, 2).kernel("set");
    options.set().num_references(4);
    return options;
  };
  EXPECT_TRUE(runs(base()));
  auto options = base();
  options.set().fused_sinkhorn(false);
  EXPECT_FALSE(runs(options)) << "switched off";
  options = base();
  options.set().kernel(SimilarityKernel::gaussian);
  EXPECT_FALSE(runs(options)) << "gaussian kernel";
  options = base();
  options.set().values(Values::nystrom);
  EXPECT_FALSE(runs(options)) << "Nyström values";
  options = base();
  options.set().epsilon(0.01);  // scores up to 100: beyond matrix scaling in float
  EXPECT_FALSE(runs(options)) << "epsilon 0.01";
  options = base();
  options.dropout(0.1);
  EXPECT_FALSE(runs(options)) << "plan dropout in training";
  EXPECT_TRUE(runs(options, /*training=*/false)) << "dropout is off in evaluation";
}

TEST(SetAttention, ReferencesFromSphericalKMeans) {
  auto options = AttentionOptions(8, 2).kernel("set");
  options.set().num_references(3);
  SetAttention layer(options);
  // Three well-separated directions in the projected space of each head.
  const auto samples = torch::randn({300, 8});
  const double similarity = layer->init_references(samples, KMeansOptions().seed(5));
  const auto q = layer->named_parameters()["w_q.weight"];
  const auto projected =
      (samples.matmul(q.t()) + layer->named_parameters()["w_q.bias"]).view({300, 2, 4});
  for (int64_t h = 0; h < 2; ++h) {
    const auto expected = spherical_kmeans(projected.select(1, h), 3, KMeansOptions().seed(5 + h));
    EXPECT_LT(max_abs_diff(layer->references()[h], expected.centroids), 1e-6);
  }
  EXPECT_LT(max_abs_diff(layer->references().norm(2, -1), torch::ones({1})), 1e-5);
  EXPECT_GT(similarity, 0.0);
  EXPECT_THROW(layer->init_references(torch::randn({2, 8})), std::invalid_argument);
  EXPECT_THROW(layer->init_references(torch::randn({20, 7})), std::invalid_argument);
}

TEST(SetAttention, ValidatesOptionsWithClearMessages) {
  const auto expect_error = [](SetOptions o, const std::string& fragment) {
    testing::expect_invalid_argument(
        [&] { SetAttention(AttentionOptions(16, 2).kernel("set").set(o)); }, fragment);
  };
  expect_error(SetOptions().num_references(0), "set.m");
  expect_error(SetOptions().epsilon(0.0), "set.epsilon must be > 0");
  expect_error(SetOptions().epsilon(-1.0), "set.epsilon");
  expect_error(SetOptions().iterations(0), "set.iterations");
  expect_error(SetOptions().sigma(0.0), "set.sigma");
  expect_error(SetOptions().alpha(-2.0), "set.alpha");
  expect_error(SetOptions().grid({3}), "set.grid");
  expect_error(SetOptions().num_references(6).grid({2, 2}).reference_grid({2, 2}),
               "has 4 cells but set.m = 6");
  expect_error(SetOptions().values(Values::nystrom).references(References::none), "nystrom");
}

TEST(SetAttention, TwoDimensionalGridMustMatchTokenCount) {
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(4).grid({3, 3});
  SetAttention layer(options);
  const auto ok = torch::randn({1, 9, 16});
  EXPECT_NO_THROW(layer(ok, ok));
  const auto bad = torch::randn({1, 10, 16});
  testing::expect_invalid_argument([&] { layer(bad, bad); },
                                   "set.grid 3x3 has 9 cells but the input has 10 tokens");
}

TEST(SetAttention, AbsolutePositionsAreBoundedByTheirTable) {
  auto options = AttentionOptions(16, 2).kernel("set");
  options.set().num_references(4).positions(Positions::ape).max_positions(8);
  SetAttention layer(options);
  const auto x = torch::randn({1, 9, 16});
  EXPECT_THROW(layer(x, x), std::invalid_argument);
}

TEST(Positions, SequencePositionsFollowValidTokens) {
  const auto pad = testing::padding_for({3, 5}, 5);
  const auto p = sequence_positions(5, pad, torch::kDouble).squeeze(-1);
  const auto first = p[0].slice(0, 0, 3), second = p[1];
  EXPECT_LT(max_abs_diff(first, torch::tensor({0.0, 1.0 / 3, 2.0 / 3}, torch::kDouble)), 1e-15);
  EXPECT_LT(max_abs_diff(second, torch::arange(5, torch::kDouble) / 5.0), 1e-15);
}

TEST(Positions, SquareFactors) {
  EXPECT_EQ(square_factors(64), std::make_pair(int64_t{8}, int64_t{8}));
  EXPECT_EQ(square_factors(12), std::make_pair(int64_t{3}, int64_t{4}));
  EXPECT_EQ(square_factors(7), std::make_pair(int64_t{1}, int64_t{7}));
}

}  // namespace
}  // namespace setformer::attention

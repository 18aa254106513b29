#include "setformer/attention/sinkhorn_fused.h"

#include "setformer/attention/scaling.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

namespace setformer::attention::detail {
namespace {

/// The shapes of one call: `batch` plans of n×m.
struct Dims {
  int64_t batch, n, m, iterations;
};

Dims dims_of(const torch::Tensor& scores, int64_t iterations) {
  const int64_t n = scores.size(-2), m = scores.size(-1);
  return {scores.numel() / std::max<int64_t>(n * m, 1), n, m, iterations};
}

/// Plan p's slice of a [.., n], b [.., m], K [.., n, m] and the iterates: u [.., T, n] and
/// v [.., T + 1, m] (all of them), or u [.., 1, n] and v [.., 2, m] (the last ones only).
template <typename T>
ScalingPlan<T> plan_slice(const Dims& d, int64_t p, const torch::Tensor& a, const torch::Tensor& b,
                          const torch::Tensor& k, const torch::Tensor& u, const torch::Tensor& v) {
  return {d.n,
          d.m,
          d.iterations,
          a.data_ptr<T>() + p * d.n,
          b.data_ptr<T>() + p * d.m,
          k.data_ptr<T>() + p * d.n * d.m,
          u.data_ptr<T>() + p * u.stride(0),
          v.data_ptr<T>() + p * v.stride(0),
          u.size(1) == d.iterations};
}

/// Forward for one plan: K = exp(S − rowmax S) into the saved K, the iterations, P; the largest
/// relative marginal error and the iterations done into stats[0..1].
template <typename T>
void forward_plan(const T* s, ScalingPlan<T> q, double stop_tolerance, T* plan, double* stats) {
  T* k = q.k;
  for (int64_t i = 0; i < q.n; ++i) {
    const T* row = s + i * q.m;
    const T top = *std::max_element(row, row + q.m);
    std::copy(row, row + q.m, k + i * q.m);
    exp_shifted(k + i * q.m, -top, q.m);
  }
  q.iterations = scaling_iterations(q, stop_tolerance);
  scaling_plan(q, plan, &stats[0]);
  stats[1] = static_cast<double>(q.iterations);
}

/// Autograd node. Unrolled: forward saves K and the scaling vectors, backward replays them.
/// Implicit: forward saves the plan only, backward solves at the fixed point.
struct ScalingSinkhorn : torch::autograd::Function<ScalingSinkhorn> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::Tensor& scores, const torch::Tensor& a,
                                                const torch::Tensor& b, int64_t iterations,
                                                bool implicit, bool needs_grad,
                                                double stop_tolerance) {
    const Dims d = dims_of(scores, iterations);
    const auto opts = scores.options();
    auto k = torch::empty_like(scores);
    // Only the unrolled backward needs every iterate; otherwise the last ones are stored, and
    // Sinkhorn may stop early.
    const int64_t kept = implicit || !needs_grad ? 1 : d.iterations;
    auto u = torch::empty({d.batch, kept, d.n}, opts);
    auto v = torch::empty({d.batch, kept + 1, d.m}, opts);
    auto plan = torch::empty_like(scores);
    auto stats = torch::empty({d.batch, 2}, opts.dtype(torch::kDouble));
    AT_DISPATCH_FLOATING_TYPES(scores.scalar_type(), "sinkhorn_fused_forward", [&] {
      const scalar_t* s = scores.data_ptr<scalar_t>();
      scalar_t* p = plan.data_ptr<scalar_t>();
      double* e = stats.data_ptr<double>();
      at::parallel_for(0, d.batch, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          forward_plan(s + i * d.n * d.m, plan_slice<scalar_t>(d, i, a, b, k, u, v), stop_tolerance,
                       p + i * d.n * d.m, e + 2 * i);
      });
    });
    if (implicit) {
      ctx->save_for_backward({plan});
    } else {
      ctx->save_for_backward({a, b, k, u, v});
    }
    ctx->saved_data["iterations"] = iterations;
    ctx->mark_non_differentiable({stats});
    return {plan, stats};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto grad = grads[0].contiguous();
    // No gradients for a, b, iterations, implicit, needs_grad and stop_tolerance.
    const torch::Tensor none;
    if (saved.size() == 1)
      return {implicit_backward_all(saved[0], grad), none, none, none, none, none, none};
    const auto &a = saved[0], &b = saved[1], &k = saved[2], &u = saved[3], &v = saved[4];
    const Dims d = dims_of(k, ctx->saved_data["iterations"].toInt());
    auto out = torch::empty_like(k);
    AT_DISPATCH_FLOATING_TYPES(k.scalar_type(), "sinkhorn_fused_backward", [&] {
      const scalar_t* g = grad.data_ptr<scalar_t>();
      scalar_t* o = out.data_ptr<scalar_t>();
      at::parallel_for(0, d.batch, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          scaling_backward(plan_slice<scalar_t>(d, i, a, b, k, u, v), g + i * d.n * d.m,
                           o + i * d.n * d.m);
      });
    });
    return {out, none, none, none, none, none, none};
  }

  /// ∂L/∂S for every plan from the saved plans and ∂L/∂P, by implicit_backward().
  static torch::Tensor implicit_backward_all(const torch::Tensor& plan, const torch::Tensor& grad) {
    const Dims d = dims_of(plan, 1);
    auto out = torch::empty_like(plan);
    AT_DISPATCH_FLOATING_TYPES(plan.scalar_type(), "sinkhorn_implicit_backward", [&] {
      const scalar_t* p = plan.data_ptr<scalar_t>();
      const scalar_t* g = grad.data_ptr<scalar_t>();
      scalar_t* o = out.data_ptr<scalar_t>();
      at::parallel_for(0, d.batch, 1, [&](int64_t begin, int64_t end) {
        std::vector<scalar_t> scratch(static_cast<size_t>(d.n * d.m));
        for (int64_t i = begin; i < end; ++i) {
          const int64_t off = i * d.n * d.m;
          implicit_backward(d.n, d.m, p + off, g + off, o + off, scratch.data());
        }
      });
    });
    return out;
  }
};

/// max over rows of (max_j S_ij − min_j S_ij), in one parallel pass.
template <typename T>
double max_row_range(const T* s, int64_t rows, int64_t m) {
  std::atomic<double> worst{0.0};
  at::parallel_for(0, rows, 256, [&](int64_t begin, int64_t end) {
    double local = 0.0;
    for (int64_t i = begin; i < end; ++i) {
      const auto [lo, hi] = std::minmax_element(s + i * m, s + (i + 1) * m);
      const double range = static_cast<double>(*hi) - static_cast<double>(*lo);
      // NaN or Inf scores count as an unbounded range, so that they go to the reference.
      if (!(range <= local)) local = std::isfinite(range) ? range : HUGE_VAL;
    }
    double seen = worst.load();
    while (local > seen && !worst.compare_exchange_weak(seen, local)) {
    }
  });
  return worst.load();
}

}  // namespace

double scaling_range_limit(torch::ScalarType dtype) {
  return dtype == torch::kDouble ? 250.0 : 30.0;
}

std::optional<FusedSinkhorn> sinkhorn_fused(const torch::Tensor& scores,
                                            const torch::Tensor& row_weights,
                                            const torch::Tensor& col_weights, int64_t iterations,
                                            SinkhornBackward backward, double stop_tolerance) {
  const auto dtype = scores.scalar_type();
  if (!scores.device().is_cpu() || (dtype != torch::kFloat && dtype != torch::kDouble) ||
      scores.numel() == 0)
    return std::nullopt;
  const auto s = scores.contiguous();
  const int64_t m = s.size(-1);
  double range = 0.0;
  AT_DISPATCH_FLOATING_TYPES(dtype, "sinkhorn_fused_range", [&] {
    range = max_row_range(s.data_ptr<scalar_t>(), s.numel() / m, m);
  });
  if (!(range <= scaling_range_limit(dtype))) return std::nullopt;

  auto batch_shape = s.sizes().vec();
  batch_shape.pop_back();  // [..., n]
  const auto a = row_weights.to(dtype).expand(batch_shape).contiguous();
  batch_shape.back() = m;  // [..., m]
  const auto b = col_weights.to(dtype).expand(batch_shape).contiguous();
  const bool needs_grad = torch::GradMode::is_enabled() && scores.requires_grad();
  const auto outputs = ScalingSinkhorn::apply(
      s, a, b, iterations, backward == SinkhornBackward::implicit, needs_grad, stop_tolerance);
  const auto worst = std::get<0>(outputs[1].max(0));
  return FusedSinkhorn{outputs[0], worst[0].item<double>(),
                       static_cast<int64_t>(worst[1].item<double>())};
}

}  // namespace setformer::attention::detail

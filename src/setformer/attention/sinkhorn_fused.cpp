#include "setformer/attention/sinkhorn_fused.h"

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

// Reductions need `omp simd` to vectorise without -ffast-math (the library builds with
// -fopenmp-simd, which enables the pragma and nothing else of OpenMP).
template <typename T>
T dot(const T* x, const T* y, int64_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t k = 0; k < n; ++k) sum += x[k] * y[k];
  return sum;
}

template <typename T>
void axpy(T alpha, const T* x, T* y, int64_t n) {
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) y[k] += alpha * x[k];
}

/// The shapes of one call: `batch` plans of n×m.
struct Dims {
  int64_t batch, n, m, iterations;
};

Dims dims_of(const torch::Tensor& scores, int64_t iterations) {
  const int64_t n = scores.size(-2), m = scores.size(-1);
  return {scores.numel() / std::max<int64_t>(n * m, 1), n, m, iterations};
}

/// Pointers into the per-plan slices of the saved tensors.
template <typename T>
struct Plan {
  const T* a;  // [n] row weights
  const T* b;  // [m] column weights
  T* k;        // [n, m] exp(S − rowmax)
  T* u;        // [T, n] u_1..u_T
  T* v;        // [T + 1, m] v_0 = 1, v_1..v_T
};

template <typename T>
Plan<T> plan_slice(const Dims& d, int64_t p, const torch::Tensor& a, const torch::Tensor& b,
                   const torch::Tensor& k, const torch::Tensor& u, const torch::Tensor& v) {
  return {a.data_ptr<T>() + p * d.n, b.data_ptr<T>() + p * d.m, k.data_ptr<T>() + p * d.n * d.m,
          u.data_ptr<T>() + p * d.iterations * d.n, v.data_ptr<T>() + p * (d.iterations + 1) * d.m};
}

/// Forward for one plan: K, the scaling iterations, P and the largest relative marginal error.
template <typename T>
double forward_plan(const Dims& d, const T* s, const Plan<T>& q, T* plan) {
  const int64_t n = d.n, m = d.m;
  for (int64_t i = 0; i < n; ++i) {
    const T* row = s + i * m;
    const T top = *std::max_element(row, row + m);
    T* k_row = q.k + i * m;
    for (int64_t j = 0; j < m; ++j) k_row[j] = std::exp(row[j] - top);
  }
  std::fill(q.v, q.v + m, T(1));
  for (int64_t t = 0; t < d.iterations; ++t) {
    const T* v_prev = q.v + t * m;
    T* u = q.u + t * n;
    T* v = q.v + (t + 1) * m;
    for (int64_t i = 0; i < n; ++i) u[i] = q.a[i] > 0 ? q.a[i] / dot(q.k + i * m, v_prev, m) : T(0);
    std::fill(v, v + m, T(0));
    for (int64_t i = 0; i < n; ++i)
      if (u[i] != 0) axpy(u[i], q.k + i * m, v, m);
    for (int64_t j = 0; j < m; ++j) v[j] = q.b[j] > 0 ? q.b[j] / v[j] : T(0);
  }
  const T* u = q.u + (d.iterations - 1) * n;
  const T* v = q.v + d.iterations * m;
  std::vector<T> col_sum(static_cast<size_t>(m), T(0));
  double error = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const T* k_row = q.k + i * m;
    T* p_row = plan + i * m;
    for (int64_t j = 0; j < m; ++j) p_row[j] = u[i] * k_row[j] * v[j];
    axpy(T(1), p_row, col_sum.data(), m);
    T row_sum = 0;
    for (int64_t j = 0; j < m; ++j) row_sum += p_row[j];
    if (q.a[i] > 0) error = std::max(error, std::abs(double(row_sum) / double(q.a[i]) - 1.0));
  }
  for (int64_t j = 0; j < m; ++j)
    if (q.b[j] > 0) error = std::max(error, std::abs(double(col_sum[j]) / double(q.b[j]) - 1.0));
  return error;
}

/// Backward for one plan (the formulas in the header); `grad` and `out` are [n, m].
template <typename T>
void backward_plan(const Dims& d, const T* grad, const Plan<T>& q, T* out) {
  const int64_t n = d.n, m = d.m, iters = d.iterations;
  std::vector<T> u_bar(static_cast<size_t>(n)), v_bar(static_cast<size_t>(m), T(0));
  std::vector<T> x_bar(static_cast<size_t>(iters * n)), y_bar(static_cast<size_t>(iters * m));
  const T* u_last = q.u + (iters - 1) * n;
  const T* v_last = q.v + iters * m;
  for (int64_t i = 0; i < n; ++i) {
    const T* k_row = q.k + i * m;
    const T* g_row = grad + i * m;
    T sum = 0;
    for (int64_t j = 0; j < m; ++j) {
      const T gk = g_row[j] * k_row[j];
      sum += gk * v_last[j];
      v_bar[j] += gk * u_last[i];
    }
    u_bar[i] = sum;
  }
  for (int64_t t = iters; t >= 1; --t) {
    const T* u = q.u + (t - 1) * n;
    const T* v = q.v + t * m;
    T* yb = y_bar.data() + (t - 1) * m;
    T* xb = x_bar.data() + (t - 1) * n;
    for (int64_t j = 0; j < m; ++j) yb[j] = q.b[j] > 0 ? -v_bar[j] * v[j] * v[j] / q.b[j] : T(0);
    for (int64_t i = 0; i < n; ++i) {
      const T ub = u_bar[i] + dot(q.k + i * m, yb, m);
      xb[i] = q.a[i] > 0 ? -ub * u[i] * u[i] / q.a[i] : T(0);
    }
    std::fill(v_bar.begin(), v_bar.end(), T(0));
    for (int64_t i = 0; i < n; ++i)
      if (xb[i] != 0) axpy(xb[i], q.k + i * m, v_bar.data(), m);
    std::fill(u_bar.begin(), u_bar.end(), T(0));
  }
  std::vector<T> acc(static_cast<size_t>(m));
  for (int64_t i = 0; i < n; ++i) {
    std::fill(acc.begin(), acc.end(), T(0));
    for (int64_t t = 1; t <= iters; ++t) {
      axpy(q.u[(t - 1) * n + i], y_bar.data() + (t - 1) * m, acc.data(), m);
      axpy(x_bar[(t - 1) * n + i], q.v + (t - 1) * m, acc.data(), m);
    }
    const T* k_row = q.k + i * m;
    const T* g_row = grad + i * m;
    T* o_row = out + i * m;
    const T ui = u_last[i];
    for (int64_t j = 0; j < m; ++j)
      o_row[j] = k_row[j] * (g_row[j] * ui * v_last[j] + acc[static_cast<size_t>(j)]);
  }
}

/// Autograd node: forward saves K and the scaling vectors, backward replays them.
struct ScalingSinkhorn : torch::autograd::Function<ScalingSinkhorn> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::Tensor& scores, const torch::Tensor& a,
                                                const torch::Tensor& b, int64_t iterations) {
    const Dims d = dims_of(scores, iterations);
    const auto opts = scores.options();
    auto k = torch::empty_like(scores);
    auto u = torch::empty({d.batch, d.iterations, d.n}, opts);
    auto v = torch::empty({d.batch, d.iterations + 1, d.m}, opts);
    auto plan = torch::empty_like(scores);
    auto errors = torch::empty({d.batch}, opts.dtype(torch::kDouble));
    AT_DISPATCH_FLOATING_TYPES(scores.scalar_type(), "sinkhorn_fused_forward", [&] {
      const scalar_t* s = scores.data_ptr<scalar_t>();
      scalar_t* p = plan.data_ptr<scalar_t>();
      double* e = errors.data_ptr<double>();
      at::parallel_for(0, d.batch, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          e[i] = forward_plan(d, s + i * d.n * d.m, plan_slice<scalar_t>(d, i, a, b, k, u, v),
                              p + i * d.n * d.m);
      });
    });
    ctx->save_for_backward({a, b, k, u, v});
    ctx->saved_data["iterations"] = iterations;
    ctx->mark_non_differentiable({errors});
    return {plan, errors};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &a = saved[0], &b = saved[1], &k = saved[2], &u = saved[3], &v = saved[4];
    const Dims d = dims_of(k, ctx->saved_data["iterations"].toInt());
    const auto grad = grads[0].contiguous();
    auto out = torch::empty_like(k);
    AT_DISPATCH_FLOATING_TYPES(k.scalar_type(), "sinkhorn_fused_backward", [&] {
      const scalar_t* g = grad.data_ptr<scalar_t>();
      scalar_t* o = out.data_ptr<scalar_t>();
      at::parallel_for(0, d.batch, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          backward_plan(d, g + i * d.n * d.m, plan_slice<scalar_t>(d, i, a, b, k, u, v),
                        o + i * d.n * d.m);
      });
    });
    return {out, torch::Tensor(), torch::Tensor(), torch::Tensor()};
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
                                            const torch::Tensor& col_weights, int64_t iterations) {
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
  const auto outputs = ScalingSinkhorn::apply(s, a, b, iterations);
  return FusedSinkhorn{outputs[0], outputs[1].max().item<double>()};
}

}  // namespace setformer::attention::detail

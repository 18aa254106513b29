// Matrix-scaling Sinkhorn on one plan, as raw loops: the iterations and their exact backward,
// shared by the fused Sinkhorn (sinkhorn_fused.cpp) and the fused SeT core (set_fused.cpp).
// The formulas are in sinkhorn_fused.h. Internal header: include only from those kernels.
#pragma once

#include "setformer/core/batched_matmul.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace setformer::attention::detail {

// Reductions need `omp simd` to vectorise without -ffast-math (the library builds with
// -fopenmp-simd, which enables the pragma and nothing else of OpenMP).
template <typename T>
inline T dot(const T* x, const T* y, int64_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t k = 0; k < n; ++k) sum += x[k] * y[k];
  return sum;
}

template <typename T>
inline void axpy(T alpha, const T* x, T* y, int64_t n) {
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) y[k] += alpha * x[k];
}

/// x[k] = exp(x[k] + shift). Double precision calls std::exp, so that the fused paths equal the
/// reference to rounding in the tests. Float uses a vectorisable exp (Cody–Waite reduction by
/// ln 2 and a degree-6 polynomial, as in Cephes' expf; relative error about 2e-7), because a
/// scalar libm call per entry costs more than the Sinkhorn iterations themselves.
inline void exp_shifted(double* x, double shift, int64_t n) {
  for (int64_t k = 0; k < n; ++k) x[k] = std::exp(x[k] + shift);
}

inline void exp_shifted(float* x, float shift, int64_t n) {
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    // Arguments below −87 give 0 (the result would be denormal), above 88 overflow to inf.
    const float y = std::min(std::max(x[k] + shift, -87.0f), 88.5f);
    // Round y·log2(e) to the nearest integer with the 1.5·2²³ trick (no libm call, vectorises).
    const float j = (y * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const float r = (y - j * 0.693359375f) - j * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float e = p * r * r + r + 1.0f;
    const int32_t bits = (static_cast<int32_t>(j) + 127) << 23;  // 2^j
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    x[k] = y <= -87.0f ? 0.0f : e * scale;
  }
}

/// One plan's matrix-scaling state: K [n, m] (row stride m), marginals a [n] and b [m] (0 marks
/// padding), and the iterates u_1..u_T ([T, n]) and v_0..v_T ([T + 1, m]).
template <typename T>
struct ScalingPlan {
  int64_t n, m, iterations;
  const T* a;
  const T* b;
  T* k;  // written by whoever builds K, read by the iterations
  T* u;
  T* v;
};

/// T Sinkhorn iterations from v_0 = 1, each one pass over K: row i's update u_i = a_i / K_i·v
/// is followed at once by its share u_i K_i of the column sums, while the row is in cache.
template <typename T>
void scaling_iterations(const ScalingPlan<T>& q) {
  const int64_t n = q.n, m = q.m;
  std::fill(q.v, q.v + m, T(1));
  for (int64_t t = 0; t < q.iterations; ++t) {
    const T* v_prev = q.v + t * m;
    T* u = q.u + t * n;
    T* v = q.v + (t + 1) * m;
    std::fill(v, v + m, T(0));
    for (int64_t i = 0; i < n; ++i) {
      const T* k_row = q.k + i * m;
      u[i] = q.a[i] > 0 ? q.a[i] / dot(k_row, v_prev, m) : T(0);
      if (u[i] != 0) axpy(u[i], k_row, v, m);
    }
    for (int64_t j = 0; j < m; ++j) v[j] = q.b[j] > 0 ? q.b[j] / v[j] : T(0);
  }
}

/// P = diag(u_T) K diag(v_T) into `plan` [n, m] (row stride m). With `error` set, also the
/// largest relative marginal error (SinkhornReport::max_marginal_error).
template <typename T>
void scaling_plan(const ScalingPlan<T>& q, T* plan, double* error = nullptr) {
  const int64_t n = q.n, m = q.m;
  const T* u = q.u + (q.iterations - 1) * n;
  const T* v = q.v + q.iterations * m;
  std::vector<T> col_sum(error ? static_cast<size_t>(m) : 0, T(0));
  double worst = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const T* k_row = q.k + i * m;
    T* p_row = plan + i * m;
    const T ui = u[i];
#pragma omp simd
    for (int64_t j = 0; j < m; ++j) p_row[j] = ui * k_row[j] * v[j];
    if (!error) continue;
    axpy(T(1), p_row, col_sum.data(), m);
    T row_sum = 0;
    for (int64_t j = 0; j < m; ++j) row_sum += p_row[j];
    if (q.a[i] > 0) worst = std::max(worst, std::abs(double(row_sum) / double(q.a[i]) - 1.0));
  }
  if (!error) return;
  for (int64_t j = 0; j < m; ++j)
    if (q.b[j] > 0) worst = std::max(worst, std::abs(double(col_sum[j]) / double(q.b[j]) - 1.0));
  *error = worst;
}

/// ∂L/∂S into `out` [n, m] from ∂L/∂P `grad` [n, m] (both row stride m; `out` must not alias
/// `grad`): the exact gradient of the T unrolled iterations (formulas in sinkhorn_fused.h).
/// Each backward step is one pass over K; the sum over t of the rank-one terms is two products
/// of [n, T] by [T, m].
template <typename T>
void scaling_backward(const ScalingPlan<T>& q, const T* grad, T* out) {
  const int64_t n = q.n, m = q.m, iters = q.iterations;
  std::vector<T> u_bar(static_cast<size_t>(n)), v_bar(static_cast<size_t>(m), T(0));
  std::vector<T> v_next(static_cast<size_t>(m));
  std::vector<T> x_bar(static_cast<size_t>(iters * n)), y_bar(static_cast<size_t>(iters * m));
  const T* u_last = q.u + (iters - 1) * n;
  const T* v_last = q.v + iters * m;
  for (int64_t i = 0; i < n; ++i) {  // ū_T = (Ḡ ⊙ K) v_T, v̄_T = (Ḡ ⊙ K)ᵀ u_T
    const T* k_row = q.k + i * m;
    const T* g_row = grad + i * m;
    const T ui = u_last[i];
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < m; ++j) {
      const T gk = g_row[j] * k_row[j];
      sum += gk * v_last[j];
      v_bar[j] += gk * ui;
    }
    u_bar[i] = sum;
  }
  for (int64_t t = iters; t >= 1; --t) {
    const T* u = q.u + (t - 1) * n;
    const T* v = q.v + t * m;
    T* yb = y_bar.data() + (t - 1) * m;
    T* xb = x_bar.data() + (t - 1) * n;
    for (int64_t j = 0; j < m; ++j) yb[j] = q.b[j] > 0 ? -v_bar[j] * v[j] * v[j] / q.b[j] : T(0);
    std::fill(v_next.begin(), v_next.end(), T(0));
    for (int64_t i = 0; i < n; ++i) {
      const T* k_row = q.k + i * m;
      const T ub = (t == iters ? u_bar[i] : T(0)) + dot(k_row, yb, m);
      xb[i] = q.a[i] > 0 ? -ub * u[i] * u[i] / q.a[i] : T(0);
      if (t > 1 && xb[i] != 0) axpy(xb[i], k_row, v_next.data(), m);  // v̄_{t−1} = Kᵀ x̄_t
    }
    v_bar.swap(v_next);
  }
  // Σ_t u_t ȳ_tᵀ + x̄_t v_{t−1}ᵀ: u and x̄ are stored [T, n], so they enter transposed.
  gemm<T>(true, false, n, m, iters, T(1), q.u, n, y_bar.data(), m, T(0), out, m);
  gemm<T>(true, false, n, m, iters, T(1), x_bar.data(), n, q.v, m, T(1), out, m);
  for (int64_t i = 0; i < n; ++i) {
    const T* k_row = q.k + i * m;
    const T* g_row = grad + i * m;
    T* o_row = out + i * m;
    const T ui = u_last[i];
#pragma omp simd
    for (int64_t j = 0; j < m; ++j) o_row[j] = k_row[j] * (g_row[j] * ui * v_last[j] + o_row[j]);
  }
}

}  // namespace setformer::attention::detail

// Matrix-scaling Sinkhorn on one plan, as raw loops: the iterations and their exact backward,
// shared by the fused Sinkhorn (sinkhorn_fused.cpp) and the fused SeT core (set_fused.cpp).
// The formulas are in sinkhorn_fused.h. Internal header: include only from those kernels.
#pragma once

#include "setformer/core/batched_matmul.h"

#include <algorithm>
#include <cassert>
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
/// padding), and the iterates u_1..u_T ([T, n]) and v_0..v_T ([T + 1, m]). Without
/// `all_iterates` only the last u and the last two v are stored (u [1, n], v [2, m]): enough for
/// the plan, and memory independent of T, for inference and the implicit backward.
template <typename T>
struct ScalingPlan {
  int64_t n, m, iterations;
  const T* a;
  const T* b;
  T* k;  // written by whoever builds K, read by the iterations
  T* u;
  T* v;
  bool all_iterates = true;

  /// Storage of u_t (t = 1..T) and v_t (t = 0..T).
  T* u_at(int64_t t) const { return u + (all_iterates ? t - 1 : 0) * n; }
  T* v_at(int64_t t) const { return v + (all_iterates ? t : t % 2) * m; }
};

/// T Sinkhorn iterations from v_0 = 1, each one pass over K: row i's update u_i = a_i / K_i·v
/// is followed at once by its share u_i K_i of the column sums, while the row is in cache.
/// (Two BLAS matrix-vector products per iteration measured slower at m = 64.)
///
/// With `stop_tolerance` > 0 (only without all_iterates: the unrolled backward needs all T) the
/// iterations stop early: the pass of iteration t + 1 computes K_i·v_t anyway, which gives the
/// row marginals u_t[i]·(K_i·v_t) of the current plan for free; once every row is within the
/// relative tolerance, iteration t + 1 is finished and the loop stops. Returns the number of
/// iterations done; the plan is then (u, v) of that iteration.
template <typename T>
int64_t scaling_iterations(const ScalingPlan<T>& q, double stop_tolerance = 0.0) {
  const int64_t n = q.n, m = q.m;
  const bool may_stop = stop_tolerance > 0 && !q.all_iterates;
  std::fill(q.v_at(0), q.v_at(0) + m, T(1));
  for (int64_t t = 0; t < q.iterations; ++t) {
    const T* v_prev = q.v_at(t);
    const T* u_prev = t > 0 ? q.u_at(t) : nullptr;  // the same storage as u without all_iterates
    T* u = q.u_at(t + 1);
    T* v = q.v_at(t + 1);
    std::fill(v, v + m, T(0));
    double worst = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const T* k_row = q.k + i * m;
      const T x = dot(k_row, v_prev, m);
      if (q.a[i] > 0 && may_stop && u_prev)
        worst = std::max(worst, std::abs(double(u_prev[i]) * double(x) / double(q.a[i]) - 1.0));
      u[i] = q.a[i] > 0 ? q.a[i] / x : T(0);
      if (u[i] != 0) axpy(u[i], k_row, v, m);
    }
    for (int64_t j = 0; j < m; ++j) v[j] = q.b[j] > 0 ? q.b[j] / v[j] : T(0);
    if (may_stop && u_prev && worst <= stop_tolerance) return t + 1;
  }
  return q.iterations;
}

/// P = diag(u_T) K diag(v_T) into `plan` [n, m] (row stride m). With `error` set, also the
/// largest relative marginal error (SinkhornReport::max_marginal_error).
template <typename T>
void scaling_plan(const ScalingPlan<T>& q, T* plan, double* error = nullptr) {
  const int64_t n = q.n, m = q.m;
  const T* u = q.u_at(q.iterations);
  const T* v = q.v_at(q.iterations);
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
#pragma omp simd reduction(+ : row_sum)
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
  assert(q.all_iterates);
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

/// Solves the symmetric positive definite system A x = y in place (A [m, m] row-major, its lower
/// triangle overwritten by the Cholesky factor; y becomes x). False when A is not numerically
/// positive definite.
inline bool cholesky_solve(std::vector<double>& A, std::vector<double>& y, int64_t m) {
  for (int64_t j = 0; j < m; ++j) {
    double diag = A[j * m + j];
    for (int64_t k = 0; k < j; ++k) diag -= A[j * m + k] * A[j * m + k];
    if (!(diag > 0.0)) return false;
    const double l = std::sqrt(diag);
    A[j * m + j] = l;
    for (int64_t i = j + 1; i < m; ++i) {
      double sum = A[i * m + j];
      for (int64_t k = 0; k < j; ++k) sum -= A[i * m + k] * A[j * m + k];
      A[i * m + j] = sum / l;
    }
  }
  for (int64_t i = 0; i < m; ++i) {  // L z = y
    for (int64_t k = 0; k < i; ++k) y[i] -= A[i * m + k] * y[k];
    y[i] /= A[i * m + i];
  }
  for (int64_t i = m - 1; i >= 0; --i) {  // Lᵀ x = z
    for (int64_t k = i + 1; k < m; ++k) y[i] -= A[k * m + i] * y[k];
    y[i] /= A[i * m + i];
  }
  return true;
}

/// ∂L/∂S at Sinkhorn's fixed point (implicit differentiation, DESIGN.md §2), from the plan P
/// [n, m] and ∂L/∂P `grad`, into `out` [n, m] (may alias `grad`, not `plan`); `scratch` is
/// [n, m]. With H = ∂L/∂P ⊙ P, r = H1, c = Hᵀ1 and the plan's own marginals a = P1, b = Pᵀ1:
///   [diag(a) P; Pᵀ diag(b)] [α; β] = [r; c],   ∂L/∂S = H − P ⊙ (α1ᵀ + 1βᵀ).
/// α is eliminated through the m×m Schur complement diag(b) − Pᵀ diag(1/a) P, which is
/// singular along 1 exactly because a and b are P's own marginals; adding γ·11ᵀ (γ = mean b)
/// makes it positive definite without changing the solution that matters (1ᵀβ = 0, and a
/// constant shift of β is absorbed by α). Cost O(n·m²), memory O(n·m), independent of T.
template <typename T>
void implicit_backward(int64_t n, int64_t m, const T* plan, const T* grad, T* out, T* scratch) {
  std::vector<double> r(static_cast<size_t>(n), 0.0), a(static_cast<size_t>(n), 0.0);
  std::vector<double> c(static_cast<size_t>(m), 0.0), b(static_cast<size_t>(m), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const T* p_row = plan + i * m;
    const T* g_row = grad + i * m;
    T* o_row = out + i * m;
    for (int64_t j = 0; j < m; ++j) {
      const T h = g_row[j] * p_row[j];
      o_row[j] = h;
      r[i] += h;
      a[i] += p_row[j];
      c[j] += h;
      b[j] += p_row[j];
    }
  }
  // Pᵀ diag(1/a) P = XᵀX with X = diag(a^{-1/2}) P.
  for (int64_t i = 0; i < n; ++i) {
    const T scale = a[i] > 0 ? static_cast<T>(1.0 / std::sqrt(a[i])) : T(0);
    for (int64_t j = 0; j < m; ++j) scratch[i * m + j] = scale * plan[i * m + j];
  }
  std::vector<T> xtx(static_cast<size_t>(m * m));
  gemm<T>(true, false, m, m, n, T(1), scratch, m, scratch, m, T(0), xtx.data(), m);
  double gamma = 0.0;
  int64_t valid = 0;
  for (int64_t j = 0; j < m; ++j)
    if (b[j] > 0) gamma += b[j], ++valid;
  gamma /= static_cast<double>(std::max<int64_t>(valid, 1));
  std::vector<double> schur(static_cast<size_t>(m * m)), beta(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    for (int64_t k = 0; k < m; ++k) {
      double& e = schur[j * m + k];
      if (b[j] > 0 && b[k] > 0) {
        e = (j == k ? b[j] : 0.0) - static_cast<double>(xtx[j * m + k]) + gamma;
      } else {
        e = j == k ? 1.0 : 0.0;  // padded column: β_j = 0
      }
    }
    beta[j] = b[j] > 0 ? c[j] : 0.0;
  }
  for (int64_t i = 0; i < n; ++i) {  // right-hand side c − Pᵀ diag(1/a) r
    if (!(a[i] > 0)) continue;
    const double t = r[i] / a[i];
    for (int64_t j = 0; j < m; ++j)
      if (b[j] > 0) beta[j] -= static_cast<double>(plan[i * m + j]) * t;
  }
  if (!cholesky_solve(schur, beta, m)) {
    // Only a degenerate plan (a column or row set without mass) gets here: no gradient flows.
    std::fill(out, out + n * m, T(0));
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const T* p_row = plan + i * m;
    T* o_row = out + i * m;
    double p_beta = 0.0;
    for (int64_t j = 0; j < m; ++j) p_beta += static_cast<double>(p_row[j]) * beta[j];
    const T alpha = a[i] > 0 ? static_cast<T>((r[i] - p_beta) / a[i]) : T(0);
    for (int64_t j = 0; j < m; ++j) o_row[j] -= p_row[j] * (alpha + static_cast<T>(beta[j]));
  }
}

}  // namespace setformer::attention::detail

// Entropic optimal transport with uniform marginals (Cuturi 2013), computed in the log domain so
// that small ε cannot overflow: the scores κ̃/ε are never exponentiated before normalisation.
// The composition of LibTorch operations below is the reference implementation (autograd unrolls
// its T iterations); on the CPU a fused kernel runs the same iterations much faster.
#pragma once

#include "setformer/attention/options.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>

namespace setformer::attention {

struct SinkhornOptions {
  /// T: number of iterations, each a row update followed by a column update.
  TORCH_ARG(int64_t, iterations) = 10;
  /// Largest relative marginal error still reported as converged.
  TORCH_ARG(double, tolerance) = 1e-2;
  /// Run the fused CPU kernel (sinkhorn_fused.h) where it applies: CPU, float or double, score
  /// rows spanning at most 30 (float) or 250 (double). Same iterations, same plan up to rounding;
  /// false forces the log-domain composition below, which the tests use as the reference.
  TORCH_ARG(bool, fused) = true;
  /// Backward of the fused path: the unrolled iterations' exact gradient, or implicit
  /// differentiation at the fixed point (see SinkhornBackward). Where the fused kernel does not
  /// run (CUDA, wide score rows) `implicit` still applies: the log-domain iterations run off the
  /// autograd tape and detail::implicit_backward_batched differentiates their plan, so memory
  /// stays O(n·m) whatever T. With fused(false) the reference is always unrolled.
  TORCH_ARG(SinkhornBackward, backward) = SinkhornBackward::unrolled;
  /// > 0: the fast path (the fused kernel, or the log-domain composition where the kernel does
  /// not run) stops as soon as every row marginal is within this relative error (at most
  /// `iterations`), where it need not keep the iterates: without gradients (evaluation) or with
  /// the implicit backward. 0 runs all iterations. The reference (fused off) ignores it.
  TORCH_ARG(double, stop_tolerance) = 0.0;
};

/// How close a plan came to its marginals: max over valid rows i and columns j of
/// |P_i·/a_i − 1| and |P_·j/b_j − 1|. Columns are exact after the final column update, so the
/// error is the rows'.
struct SinkhornReport {
  double max_marginal_error = 0.0;
  bool converged = false;
  int64_t iterations = 0;  // iterations done (most over plans)
  bool fused = false;      // whether the fused kernel computed the plan
};

/// The report of a plan whose largest marginal error is `error` after `iterations` iterations:
/// converged when the error is finite and within `tolerance`.
SinkhornReport sinkhorn_report(double error, double tolerance, int64_t iterations, bool fused);

struct SinkhornResult {
  /// [..., n, m], non-negative, rows summing to a_i = 1/n_valid (0 on padding), columns to
  /// b_j = 1/m_valid.
  torch::Tensor plan;
  SinkhornReport report;
};

/// The plan P = argmax_{P ∈ U(a, b)} <S, P> + H(P) for scores S = κ̃/ε (DESIGN.md §2.3), by T
/// log-domain iterations starting from g = 0:
///   f_i = log a_i − LSE_j(S_ij + g_j),   g_j = log b_j − LSE_i(S_ij + f_i),   P = exp(S + f + g).
/// scores [..., n, m]; row_padding broadcastable to [..., n], col_padding to [..., m] (bool,
/// true = padding, undefined = none). Every row and column set needs one valid entry.
SinkhornResult sinkhorn(const torch::Tensor& scores, const torch::Tensor& row_padding,
                        const torch::Tensor& col_padding, const SinkhornOptions& options = {});

/// The same iterations in the exponentiated domain (matrix scaling: K = exp(S), u = a / K v,
/// v = b / Kᵀ u, P = diag(u) K diag(v)). Overflows for small ε; kept as an independent
/// reference for tests in double precision.
torch::Tensor sinkhorn_scaling_reference(const torch::Tensor& scores,
                                         const torch::Tensor& row_padding,
                                         const torch::Tensor& col_padding, int64_t iterations);

namespace detail {

/// ∂L/∂S at Sinkhorn's fixed point from the plan P and ∂L/∂P, with tensor operations on any
/// device, batched over the leading dimensions: the system that scaling.h's implicit_backward()
/// solves per plan on the CPU (an m×m Cholesky solve of its Schur complement, in double).
/// plan, grad [..., n, m] -> [..., n, m]; zero for a plan whose system is singular.
torch::Tensor implicit_backward_batched(const torch::Tensor& plan, const torch::Tensor& grad);

}  // namespace detail

}  // namespace setformer::attention

#include "setformer/attention/sinkhorn.h"

#include "setformer/attention/sinkhorn_fused.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <limits>
#include <optional>

namespace setformer::attention {
namespace {

/// Uniform marginal over the valid entries of the last dimension `n`, as log-weights (−inf on
/// padding) and as weights. `padding` is broadcastable to [..., n] or undefined.
struct Marginal {
  torch::Tensor log_weights;  // [..., n] or [1]
  torch::Tensor weights;
};

Marginal uniform_marginal(const torch::Tensor& padding, int64_t n,
                          const torch::TensorOptions& opts) {
  if (!padding.defined()) {
    const double w = 1.0 / static_cast<double>(n);
    return {torch::full({1}, std::log(w), opts), torch::full({1}, w, opts)};
  }
  const auto valid = padding.logical_not();
  const auto count = valid.sum(-1, /*keepdim=*/true).to(opts.dtype());
  SETFORMER_CHECK(count.min().item<double>() >= 1.0,
                  "sinkhorn: a padding mask marks every entry of a row or column set as padding");
  const auto weights = torch::where(valid, 1.0 / count, torch::zeros({1}, opts));
  const auto log_weights = torch::where(
      valid, -torch::log(count), torch::full({1}, -std::numeric_limits<double>::infinity(), opts));
  return {log_weights, weights};
}

void check_padding(const torch::Tensor& padding, const char* name) {
  if (!padding.defined()) return;
  SETFORMER_CHECK(padding.scalar_type() == torch::kBool, "sinkhorn: {} must be bool, got {}", name,
                  c10::toString(padding.scalar_type()));
}

/// The reference: T log-domain iterations from g = 0, unrolled by autograd.
torch::Tensor log_domain_plan(const torch::Tensor& scores, const Marginal& a, const Marginal& b,
                              int64_t iterations) {
  torch::Tensor f;
  auto g = torch::zeros({1}, scores.options());
  for (int64_t t = 0; t < iterations; ++t) {
    f = a.log_weights - torch::logsumexp(scores + g.unsqueeze(-2), -1);
    g = b.log_weights - torch::logsumexp(scores + f.unsqueeze(-1), -2);
  }
  return torch::exp(scores + f.unsqueeze(-1) + g.unsqueeze(-2));
}

/// SinkhornReport::max_marginal_error of `plan`, with one host synchronisation.
double max_marginal_error(const torch::Tensor& plan, const Marginal& a, const Marginal& b) {
  torch::NoGradGuard no_grad;
  const auto p = plan.detach();
  const auto zero = torch::zeros({1}, p.options());
  // Relative errors on valid entries only: padded marginals are 0 and stay 0.
  const auto row_err = (p.sum(-1) - a.weights).abs() / a.weights.clamp_min(1e-300);
  const auto col_err = (p.sum(-2) - b.weights).abs() / b.weights.clamp_min(1e-300);
  return torch::maximum(torch::where(a.weights > 0, row_err, zero).max(),
                        torch::where(b.weights > 0, col_err, zero).max())
      .item<double>();
}

}  // namespace

SinkhornReport sinkhorn_report(double error, double tolerance, int64_t iterations, bool fused) {
  SinkhornReport report;
  report.max_marginal_error = error;
  report.converged = std::isfinite(error) && error <= tolerance;
  report.iterations = iterations;
  report.fused = fused;
  return report;
}

SinkhornResult sinkhorn(const torch::Tensor& scores, const torch::Tensor& row_padding,
                        const torch::Tensor& col_padding, const SinkhornOptions& options) {
  SETFORMER_CHECK(scores.defined() && scores.dim() >= 2,
                  "sinkhorn: scores must have shape [..., n, m], got {}",
                  scores.defined() ? shape_string(scores.sizes()) : "undefined");
  SETFORMER_CHECK(options.iterations() >= 1, "sinkhorn: iterations must be >= 1, got {}",
                  options.iterations());
  check_padding(row_padding, "row_padding");
  check_padding(col_padding, "col_padding");
  const int64_t n = scores.size(-2), m = scores.size(-1);
  const auto opts = scores.options();
  const Marginal a = uniform_marginal(row_padding, n, opts);
  const Marginal b = uniform_marginal(col_padding, m, opts);
  std::optional<detail::FusedSinkhorn> fused;
  if (options.fused())
    fused = detail::sinkhorn_fused(scores, a.weights, b.weights, options.iterations(),
                                   options.backward(), options.stop_tolerance());

  SinkhornResult result;
  double error;
  if (fused) {
    result.plan = fused->plan;
    error = fused->max_marginal_error;
  } else {
    result.plan = log_domain_plan(scores, a, b, options.iterations());
    error = max_marginal_error(result.plan, a, b);
  }
  result.report =
      sinkhorn_report(error, options.tolerance(), fused ? fused->iterations : options.iterations(),
                      fused.has_value());
  return result;
}

torch::Tensor sinkhorn_scaling_reference(const torch::Tensor& scores,
                                         const torch::Tensor& row_padding,
                                         const torch::Tensor& col_padding, int64_t iterations) {
  const int64_t n = scores.size(-2), m = scores.size(-1);
  const auto opts = scores.options();
  const auto a = uniform_marginal(row_padding, n, opts).weights;
  const auto b = uniform_marginal(col_padding, m, opts).weights;
  const auto kernel = torch::exp(scores);
  torch::Tensor u;
  auto v = torch::ones_like(scores.select(-2, 0));  // [..., m]
  for (int64_t t = 0; t < iterations; ++t) {
    u = a / torch::matmul(kernel, v.unsqueeze(-1)).squeeze(-1);
    v = b / torch::matmul(kernel.transpose(-2, -1), u.unsqueeze(-1)).squeeze(-1);
  }
  return u.unsqueeze(-1) * kernel * v.unsqueeze(-2);
}

}  // namespace setformer::attention

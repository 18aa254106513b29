#include "setformer/attention/sinkhorn.h"

#include "setformer/attention/sinkhorn_fused.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <limits>
#include <memory>
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

struct LogDomainPlan {
  torch::Tensor plan;
  int64_t iterations = 0;  // iterations done
};

/// The reference: T log-domain iterations from g = 0, unrolled by autograd.
/// log_a [..., n] and log_b [..., m] (broadcastable; −inf on padding). With stop_tolerance > 0
/// it stops once every valid row is within that relative error of its marginal. That error is
/// read off the next row update at no extra pass: the plan's rows sum to a · exp(f − f_next).
LogDomainPlan log_domain_plan(const torch::Tensor& scores, const torch::Tensor& log_a,
                              const torch::Tensor& log_b, int64_t iterations,
                              double stop_tolerance = 0.0) {
  torch::Tensor f;
  auto g = torch::zeros({1}, scores.options());
  int64_t done = 0;
  for (; done < iterations; ++done) {
    auto f_next = log_a - torch::logsumexp(scores + g.unsqueeze(-2), -1);
    if (stop_tolerance > 0.0 && f.defined()) {
      const auto error = torch::where(torch::isfinite(f_next), torch::expm1(f - f_next).abs(),
                                      torch::zeros({1}, scores.options()));
      if (error.max().item<double>() <= stop_tolerance) break;
    }
    f = std::move(f_next);
    g = log_b - torch::logsumexp(scores + f.unsqueeze(-1), -2);
  }
  return {torch::exp(scores + f.unsqueeze(-1) + g.unsqueeze(-2)), done};
}

/// The log-domain iterations without autograd's tape, differentiated at the fixed point: the
/// implicit backward where the fused CPU kernel does not run (other devices, wide score rows).
/// The graph holds P only, so memory does not grow with T.
class ImplicitLogDomainSinkhorn : public torch::autograd::Function<ImplicitLogDomainSinkhorn> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& scores,
                               const torch::Tensor& log_a, const torch::Tensor& log_b,
                               int64_t iterations, double stop_tolerance,
                               std::shared_ptr<int64_t> iterations_done) {
    auto result = log_domain_plan(scores, log_a, log_b, iterations, stop_tolerance);
    *iterations_done = result.iterations;
    ctx->save_for_backward({result.plan});
    return result.plan;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto plan = ctx->get_saved_variables()[0];
    return {detail::implicit_backward_batched(plan, grads[0]),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

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
  int64_t iterations = 0;
  if (fused) {
    result.plan = fused->plan;
    error = fused->max_marginal_error;
    iterations = fused->iterations;
  } else {
    // As the fused kernel: the fast path stops early where the iterates are not kept (no
    // gradient, or the implicit backward); the reference (fused off) runs all T.
    const bool graph = torch::GradMode::is_enabled() && scores.requires_grad();
    const bool implicit = options.fused() && options.backward() == SinkhornBackward::implicit;
    const double stop = options.fused() && (implicit || !graph) ? options.stop_tolerance() : 0.0;
    if (implicit && graph) {
      const auto done = std::make_shared<int64_t>(0);
      result.plan = ImplicitLogDomainSinkhorn::apply(scores, a.log_weights, b.log_weights,
                                                     options.iterations(), stop, done);
      iterations = *done;
    } else {
      auto plan = log_domain_plan(scores, a.log_weights, b.log_weights, options.iterations(), stop);
      result.plan = plan.plan;
      iterations = plan.iterations;
    }
    error = max_marginal_error(result.plan, a, b);
  }
  result.report = sinkhorn_report(error, options.tolerance(), iterations, fused.has_value());
  return result;
}

namespace detail {

torch::Tensor implicit_backward_batched(const torch::Tensor& plan, const torch::Tensor& grad) {
  SETFORMER_CHECK(plan.dim() >= 2 && grad.sizes() == plan.sizes(),
                  "sinkhorn implicit backward: plan and gradient must share a shape [..., n, m], "
                  "got {} and {}",
                  shape_string(plan.sizes()), shape_string(grad.sizes()));
  const auto dtype = plan.scalar_type();
  const auto zero = torch::zeros({1}, plan.options());
  const auto h = grad * plan;
  const auto r = h.sum(-1), c = h.sum(-2);  // [..., n], [..., m]
  const auto a = plan.sum(-1), b = plan.sum(-2);
  const auto row_valid = a > 0, col_valid = b > 0;
  const auto inv_a = torch::where(row_valid, 1.0 / a, zero);
  // Schur complement diag(b) − Pᵀ diag(1/a) P + γ11ᵀ over the valid columns, identity on the
  // padded ones (their β is 0); solved in double, as the CPU kernel does.
  const auto x = plan * inv_a.sqrt().unsqueeze(-1);
  const auto valid_count = col_valid.sum(-1, /*keepdim=*/true).clamp_min(1);
  const auto gamma = torch::where(col_valid, b, zero).sum(-1, /*keepdim=*/true) / valid_count;
  auto schur = torch::diag_embed(b) - torch::matmul(x.transpose(-2, -1), x) + gamma.unsqueeze(-1);
  const auto both_valid = col_valid.unsqueeze(-1).logical_and(col_valid.unsqueeze(-2));
  schur = torch::where(both_valid, schur, torch::diag_embed(col_valid.logical_not().to(dtype)));
  const auto rhs = torch::where(
      col_valid, c - torch::matmul(plan.transpose(-2, -1), (r * inv_a).unsqueeze(-1)).squeeze(-1),
      zero);
  // Only a degenerate plan (a row or column set without mass) fails the factorisation. Its
  // factor is replaced by the identity so that the solve stays finite, and its gradient by 0.
  const auto [factor, info] = torch::linalg_cholesky_ex(schur.to(torch::kDouble));
  const auto solved = (info == 0).unsqueeze(-1);
  const auto safe_factor =
      torch::where(solved.unsqueeze(-1), factor, torch::eye(factor.size(-1), factor.options()));
  const auto beta = torch::cholesky_solve(rhs.to(torch::kDouble).unsqueeze(-1), safe_factor)
                        .squeeze(-1)
                        .to(dtype);
  const auto alpha = (r - torch::matmul(plan, beta.unsqueeze(-1)).squeeze(-1)) * inv_a;  // [..., n]
  const auto out = h - plan * (alpha.unsqueeze(-1) + beta.unsqueeze(-2));
  return torch::where(solved.unsqueeze(-1), out, zero);
}

}  // namespace detail

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

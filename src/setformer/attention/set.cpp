#include "setformer/attention/set.h"

#include "setformer/attention/positions.h"
#include "setformer/attention/set_fused.h"
#include "setformer/attention/similarity.h"
#include "setformer/core/error.h"

#include "setformer/core/batched_matmul.h"

#include <torch/torch.h>

namespace setformer::attention {

namespace {

/// 1 on valid tokens, 0 on padding: [B, n] from padding [B, n], or [1, n] without padding.
torch::Tensor valid_tokens(int64_t n, const torch::Tensor& padding,
                           const torch::TensorOptions& options) {
  return padding.defined() ? padding.logical_not().to(options.dtype())
                           : torch::ones({1, n}, options);
}

}  // namespace

void validate(const SetOptions& o, int64_t dim, int64_t heads) {
  SETFORMER_CHECK(o.num_references() >= 1, "set.m (number of references) must be >= 1, got {}",
                  o.num_references());
  SETFORMER_CHECK(o.epsilon() > 0.0 && std::isfinite(o.epsilon()),
                  "set.epsilon must be > 0 (entropic regularisation), got {}", o.epsilon());
  SETFORMER_CHECK(o.iterations() >= 1, "set.iterations (Sinkhorn T) must be >= 1, got {}",
                  o.iterations());
  SETFORMER_CHECK(o.alpha() > 0.0, "set.alpha must be > 0, got {}", o.alpha());
  SETFORMER_CHECK(o.sigma() > 0.0, "set.sigma (LPE width) must be > 0, got {}", o.sigma());
  SETFORMER_CHECK(o.tolerance() > 0.0, "set.tolerance must be > 0, got {}", o.tolerance());
  SETFORMER_CHECK(o.stop_tolerance() >= 0.0, "set.stop_tolerance must be >= 0 (0: off), got {}",
                  o.stop_tolerance());
  SETFORMER_CHECK(o.nystrom_eigen_floor() > 0.0, "set.nystrom_eigen_floor must be > 0, got {}",
                  o.nystrom_eigen_floor());
  SETFORMER_CHECK(dim % heads == 0, "attention dim = {} is not divisible by heads = {}", dim,
                  heads);
  const auto& grid = o.grid();
  SETFORMER_CHECK(grid.empty() || (grid.size() == 2 && grid[0] >= 1 && grid[1] >= 1),
                  "set.grid must be empty (1-D) or {{H, W}} with H, W >= 1, got {} entries",
                  grid.size());
  const auto& ref_grid = o.reference_grid();
  if (!ref_grid.empty()) {
    SETFORMER_CHECK(ref_grid.size() == 2 && ref_grid[0] >= 1 && ref_grid[1] >= 1,
                    "set.reference_grid must be {{m_h, m_w}} with m_h, m_w >= 1");
    SETFORMER_CHECK(ref_grid[0] * ref_grid[1] == o.num_references(),
                    "set.reference_grid {}x{} has {} cells but set.m = {}", ref_grid[0],
                    ref_grid[1], ref_grid[0] * ref_grid[1], o.num_references());
    SETFORMER_CHECK(!grid.empty(), "set.reference_grid needs set.grid (2-D token positions)");
  }
  SETFORMER_CHECK(o.positions() != Positions::ape || o.max_positions() >= 1,
                  "set.max_positions must be >= 1 with positions = ape, got {}", o.max_positions());
  SETFORMER_CHECK(o.values() != Values::nystrom || o.references() == References::learned,
                  "set.values = nystrom needs set.references = learned (Nyström features are "
                  "taken against the references)");
}

SetAttentionImpl::SetAttentionImpl(const AttentionOptions& options) : AttentionImpl(options) {
  const SetOptions& o = options.set();
  validate(o, options.dim(), options.heads());
  const int64_t d = options.dim(), h = options.heads(), m = o.num_references();
  w_q_ = projection("w_q");
  if (o.values() == Values::linear) w_v_ = projection("w_v");
  w_o_ = projection("w_o");
  if (o.references() == References::learned) {
    references_ = register_parameter("references", torch::randn({h, m, head_dim_}));
  }
  if (o.positions() == Positions::ape) {
    absolute_ =
        register_parameter("absolute_positions", 0.02 * torch::randn({o.max_positions(), d}));
  }
  if (o.values() == Values::nystrom) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(m));
    nystrom_weight_ = register_parameter("nystrom_weight",
                                         torch::empty({h, m, head_dim_}).uniform_(-bound, bound));
    nystrom_bias_ = register_parameter("nystrom_bias", torch::zeros({h, 1, head_dim_}));
  }
}

torch::Tensor SetAttentionImpl::with_positions(const torch::Tensor& x) const {
  if (set_options().positions() != Positions::ape) return x;
  const int64_t n = x.size(1);
  SETFORMER_CHECK(n <= set_options().max_positions(),
                  "SeT attention: {} tokens exceed set.max_positions = {} of the absolute "
                  "position table",
                  n, set_options().max_positions());
  return x + absolute_.slice(0, 0, n);
}

torch::Tensor SetAttentionImpl::position_filter(int64_t n, const torch::Tensor& padding,
                                                const torch::TensorOptions& options) const {
  const SetOptions& o = set_options();
  if (o.positions() != Positions::lpe) return {};
  torch::Tensor tokens, refs;
  if (o.grid().empty()) {
    tokens = sequence_positions(n, padding, options);
    if (o.references() == References::learned)
      refs = sequence_positions(o.num_references(), {}, options);
  } else {
    const int64_t rows = o.grid()[0], cols = o.grid()[1];
    SETFORMER_CHECK(rows * cols == n,
                    "SeT attention: set.grid {}x{} has {} cells but the input has {} tokens", rows,
                    cols, rows * cols, n);
    tokens = grid_positions(rows, cols, options);
    if (o.references() == References::learned) {
      auto [mh, mw] = square_factors(o.num_references());
      if (!o.reference_grid().empty())
        std::tie(mh, mw) = std::pair(o.reference_grid()[0], o.reference_grid()[1]);
      refs = grid_positions(mh, mw, options);
    }
  }
  if (o.references() == References::none) refs = tokens;
  return lpe_filter(tokens, refs, o.sigma()).unsqueeze(1);
}

torch::Tensor SetAttentionImpl::score_weight(int64_t n, const torch::Tensor& padding,
                                             const torch::TensorOptions& options) const {
  if (set_options().positions() != Positions::lpe) return {};
  const auto& cached = cached_score_weight_;
  const bool cacheable = !padding.defined();
  if (cacheable && cached.defined() && cached.size(-2) == n &&
      cached.device() == options.device() && cached.dtype() == options.dtype())
    return cached;
  torch::NoGradGuard no_grad;  // π has no parameters
  auto weight = position_filter(n, padding, options) / set_options().epsilon();
  if (cacheable) cached_score_weight_ = weight;
  return weight;
}

SetAttentionImpl::Transport SetAttentionImpl::transport(const torch::Tensor& q,
                                                        const torch::Tensor& padding) const {
  const SetOptions& o = set_options();
  const int64_t n = q.size(2);
  const bool learned = o.references() == References::learned;
  Transport t;
  t.kernel = similarity(q, learned ? references_.unsqueeze(0) : q, o.kernel(), o.alpha());
  const auto weight = score_weight(n, padding, q.options());
  const auto scores = weight.defined() ? t.kernel * weight : t.kernel / o.epsilon();
  // Padding [B, n] -> [B, 1, n], broadcast over heads; without references the columns are
  // tokens too and share the mask.
  const auto row_padding = padding.defined() ? padding.unsqueeze(1) : torch::Tensor();
  const auto col_padding = learned ? torch::Tensor() : row_padding;
  auto result = sinkhorn(scores, row_padding, col_padding,
                         SinkhornOptions()
                             .iterations(o.iterations())
                             .tolerance(o.tolerance())
                             .fused(o.fused_sinkhorn())
                             .backward(o.sinkhorn_backward())
                             .stop_tolerance(o.stop_tolerance()));
  t.plan = result.plan;
  t.report = result.report;
  const auto opts = q.options();
  t.row_count = valid_tokens(n, padding, opts).sum(1).view({-1, 1, 1, 1});
  t.col_count =
      learned ? torch::full({1}, static_cast<double>(o.num_references()), opts) : t.row_count;
  return t;
}

double SetAttentionImpl::flops(int64_t n_q, int64_t n_ctx) const {
  const SetOptions& o = set_options();
  const double d = static_cast<double>(options_.dim()), h = static_cast<double>(options_.heads());
  const double q = static_cast<double>(n_q), k = static_cast<double>(n_ctx);
  const bool self = n_q == n_ctx;
  const auto m_of = [&](double n) {
    return o.references() == References::learned ? static_cast<double>(o.num_references()) : n;
  };
  // One plan per side: similarity (n·m·d) and 2T half-steps over n×m per head.
  const auto plan = [&](double n) {
    return n * m_of(n) * d + 2.0 * static_cast<double>(o.iterations()) * n * m_of(n) * h;
  };
  double total = (self ? 1.0 : 2.0) * q * d * d;  // W_q on queries (and context)
  total += q * d * d;                             // W_o
  total += plan(k) + (self ? 0.0 : plan(q));
  if (o.values() == Values::linear) {
    total += k * d * d;
  } else {  // ψ = κ·κ(Z,Z)^{-1/2} (n·m² per head), then m -> d_h per head
    const double m = m_of(k);
    total += k * m * m * h + k * m * d;
  }
  total += k * m_of(k) * d + q * m_of(k) * d;  // aggregation Pᵀ V and redistribution P C
  return total;
}

torch::Tensor SetAttentionImpl::values(const torch::Tensor& x, const Transport& t) {
  const SetOptions& o = set_options();
  if (o.values() == Values::linear) return split_heads(w_v_(x));
  // ψ(x_i) = κ(Z,Z)^{-1/2} κ(Z, x_i) (m-dimensional), then a per-head linear map to d_h.
  const auto inv_sqrt =
      kernel_inverse_sqrt(references_, o.kernel(), o.alpha(), o.nystrom_eigen_floor());
  const auto psi = batched_matmul(t.kernel, inv_sqrt.unsqueeze(0));
  return batched_matmul(psi, nystrom_weight_.unsqueeze(0)) + nystrom_bias_.unsqueeze(0);
}

std::optional<torch::Tensor> SetAttentionImpl::fused_self_attention(const torch::Tensor& x,
                                                                    const torch::Tensor& padding) {
  const SetOptions& o = set_options();
  if (!o.fused_sinkhorn() || o.kernel() != SimilarityKernel::spherical_gaussian ||
      o.references() != References::learned || o.values() != Values::linear ||
      (is_training() && options_.dropout() > 0.0) || !x.device().is_cpu())
    return std::nullopt;
  namespace F = torch::nn::functional;
  const auto unit = F::NormalizeFuncOptions().dim(-1).eps(kNormFloor);
  const int64_t batch = x.size(0), n = x.size(1), m = o.num_references();
  const auto opts = x.options();
  detail::SetCoreInputs in;
  in.q = split_heads(w_q_(x));  // normalised inside the core
  in.z_scaled = o.alpha() * F::normalize(references_, unit);
  in.values = split_heads(w_v_(x));
  const auto weight = score_weight(n, padding, opts);
  in.weight =
      weight.defined() ? weight.squeeze(1) : torch::full({1, n, m}, 1.0 / o.epsilon(), opts);
  const auto valid = valid_tokens(n, padding, opts).expand({batch, n});
  const auto count = valid.sum(1, /*keepdim=*/true);
  in.row_weights = valid / count;
  in.scale = count.squeeze(1) * static_cast<double>(m);
  in.alpha = o.alpha();
  in.iterations = o.iterations();
  in.backward = o.sinkhorn_backward();
  in.stop_tolerance = o.stop_tolerance();
  auto result = detail::set_core_fused(in);
  if (!result) return std::nullopt;
  last_sinkhorn_ =
      sinkhorn_report(result->max_marginal_error, o.tolerance(), result->iterations, true);
  return result->output;
}

torch::Tensor SetAttentionImpl::attend(const torch::Tensor& query, const torch::Tensor& context,
                                       const Mask& mask, bool self) {
  SETFORMER_CHECK(self || set_options().references() == References::learned,
                  "SeT attention with set.references = none supports self-attention only");
  const auto xq = with_positions(query);
  std::optional<torch::Tensor> merged;  // heads merged, [B, n_q, d]
  if (self) merged = fused_self_attention(xq, mask.padding());
  last_fused_core_ = merged.has_value();
  if (!merged) merged = composed_attention(xq, self ? xq : with_positions(context), mask, self);
  auto out = w_o_(*merged);
  if (mask.query_padding().defined())
    out = out.masked_fill(mask.query_padding().unsqueeze(-1), 0.0);
  return out;
}

torch::Tensor SetAttentionImpl::composed_attention(const torch::Tensor& xq, const torch::Tensor& xc,
                                                   const Mask& mask, bool self) {
  const auto q = split_heads(w_q_(xq));
  const Transport ctx = transport(self ? q : split_heads(w_q_(xc)), mask.padding());
  const Transport qry = self ? ctx : transport(q, mask.query_padding());

  const auto v = values(xc, ctx);
  const auto cells =
      batched_matmul(ctx.plan.transpose(-2, -1), v) * ctx.col_count;  // [B, H, m, d_h]
  const auto weights = torch::dropout(qry.plan, options_.dropout(), is_training());
  last_sinkhorn_ = ctx.report;
  if (!self) {
    last_sinkhorn_.max_marginal_error =
        std::max(ctx.report.max_marginal_error, qry.report.max_marginal_error);
    last_sinkhorn_.converged = ctx.report.converged && qry.report.converged;
  }
  return merge_heads(batched_matmul(weights, cells) * qry.row_count);
}

torch::Tensor SetAttentionImpl::plan(const torch::Tensor& x, const torch::Tensor& padding) {
  check_shape(x, "SeT plan input", {-1, -1, options_.dim()}, "[B, n, d]");
  if (padding.defined()) check_shape(padding, "SeT plan padding", {x.size(0), x.size(1)}, "[B, n]");
  torch::NoGradGuard no_grad;
  return transport(split_heads(w_q_(with_positions(x))), padding).plan;
}

double SetAttentionImpl::init_references(const torch::Tensor& samples,
                                         const KMeansOptions& options) {
  SETFORMER_CHECK(references_.defined(),
                  "SeT attention with set.references = none has no references to initialise");
  check_shape(samples, "reference samples", {-1, options_.dim()}, "[N, d]");
  torch::NoGradGuard no_grad;
  const auto q = w_q_(samples.to(references_.device(), references_.scalar_type()))
                     .view({samples.size(0), options_.heads(), head_dim_});
  const bool spherical = set_options().kernel() == SimilarityKernel::spherical_gaussian;
  double similarity_sum = 0.0;
  for (int64_t h = 0; h < options_.heads(); ++h) {
    const auto result = spherical_kmeans(q.select(1, h), set_options().num_references(),
                                         KMeansOptions(options).seed(options.seed() + h));
    references_[h].copy_(spherical ? result.centroids : result.means);
    similarity_sum += result.mean_similarity;
  }
  return similarity_sum / static_cast<double>(options_.heads());
}

}  // namespace setformer::attention

#include "setformer/nn/set_blocks.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace setformer::nn {

Pooling parse_pooling(const std::string& field, const std::string& text) {
  if (text == "mean") return Pooling::mean;
  if (text == "sum") return Pooling::sum;
  if (text == "max") return Pooling::max;
  throw std::invalid_argument(field + " = '" + text + "' is not valid; expected mean | sum | max");
}

namespace {

void check_set(const torch::Tensor& x, const torch::Tensor& padding, const char* name) {
  check_shape(x, name, {-1, -1, -1}, "[B, n, d]");
  check_set_padding(padding, x.size(0), x.size(1));
}

/// [d] parameter initialised like the authors' inducing points and seeds (Xavier uniform over a
/// [rows, d] matrix).
torch::Tensor xavier_rows(int64_t rows, int64_t d) {
  auto t = torch::empty({rows, d});
  torch::nn::init::xavier_uniform_(t);
  return t;
}

}  // namespace

void check_set_padding(const torch::Tensor& padding, int64_t batch, int64_t n) {
  if (!padding.defined()) return;
  check_shape(padding, "set padding mask", {batch, n}, "[B, n]");
  SETFORMER_CHECK(padding.scalar_type() == torch::kBool,
                  "set padding mask must be bool (true = padding), got {}",
                  c10::toString(padding.scalar_type()));
}

torch::Tensor zero_padding(const torch::Tensor& x, const torch::Tensor& padding) {
  return padding.defined() ? x.masked_fill(padding.unsqueeze(-1), 0.0) : x;
}

torch::Tensor pool_set(const torch::Tensor& x, Pooling pooling, const torch::Tensor& padding) {
  check_set(x, padding, "pooled set");
  if (!padding.defined()) {
    switch (pooling) {
      case Pooling::mean:
        return x.mean(1);
      case Pooling::sum:
        return x.sum(1);
      case Pooling::max:
        return std::get<0>(x.max(1));
    }
  }
  const auto pad = padding.unsqueeze(-1);
  switch (pooling) {
    case Pooling::mean: {
      const auto count = padding.logical_not().sum(1, /*keepdim=*/true).clamp_min(1).to(x.dtype());
      return x.masked_fill(pad, 0.0).sum(1) / count;
    }
    case Pooling::sum:
      return x.masked_fill(pad, 0.0).sum(1);
    case Pooling::max:
      return std::get<0>(x.masked_fill(pad, -std::numeric_limits<double>::infinity()).max(1));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------

MabImpl::MabImpl(const MabOptions& options_) : options(options_) {
  const int64_t d = options.attention().dim();
  attn = register_module("attn", attention::make_attention(options.attention()));
  ff = register_module("ff", torch::nn::Linear(d, d));
  if (options.layer_norm()) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  }
}

torch::Tensor MabImpl::forward(const torch::Tensor& x, const torch::Tensor& y,
                               const torch::Tensor& x_padding, const torch::Tensor& y_padding) {
  check_set(x, x_padding, "MAB input X");
  check_set(y, y_padding, "MAB input Y");
  attention::Mask mask;
  mask.padding(y_padding).query_padding(x_padding);
  auto h = x + attn(x, y, mask);
  if (norm1) h = norm1(h);
  auto out = h + torch::relu(ff(h));
  if (norm2) out = norm2(out);
  return zero_padding(out, x_padding);
}

double MabImpl::flops(int64_t n_x, int64_t n_y) const {
  const double d = static_cast<double>(options.attention().dim());
  return attn->flops(n_x, n_y) + static_cast<double>(n_x) * d * d;
}

SabImpl::SabImpl(const MabOptions& options) {
  mab = register_module("mab", Mab(options));
}

torch::Tensor SabImpl::forward(const torch::Tensor& x, const torch::Tensor& padding) {
  return mab(x, x, padding, padding);
}

IsabImpl::IsabImpl(const MabOptions& options, int64_t inducing_points) {
  SETFORMER_CHECK(inducing_points >= 1, "ISAB needs at least one inducing point, got {}",
                  inducing_points);
  inducing =
      register_parameter("inducing", xavier_rows(inducing_points, options.attention().dim()));
  summarize = register_module("summarize", Mab(options));
  broadcast = register_module("broadcast", Mab(options));
}

torch::Tensor IsabImpl::forward(const torch::Tensor& x, const torch::Tensor& padding) {
  check_set(x, padding, "ISAB input");
  const auto i = inducing.unsqueeze(0).expand({x.size(0), -1, -1});
  const auto h = summarize->forward(i, x, /*x_padding=*/{}, padding);
  return broadcast->forward(x, h, padding, /*y_padding=*/{});
}

double IsabImpl::flops(int64_t n) const {
  const int64_t m = inducing.size(0);
  return summarize->flops(m, n) + broadcast->flops(n, m);
}

PmaImpl::PmaImpl(const MabOptions& options, int64_t k) {
  SETFORMER_CHECK(k >= 1, "PMA needs at least one seed vector, got {}", k);
  seeds = register_parameter("seeds", xavier_rows(k, options.attention().dim()));
  mab = register_module("mab", Mab(options));
}

torch::Tensor PmaImpl::forward(const torch::Tensor& z, const torch::Tensor& padding) {
  check_set(z, padding, "PMA input");
  return mab->forward(seeds.unsqueeze(0).expand({z.size(0), -1, -1}), z, /*x_padding=*/{}, padding);
}

double PmaImpl::flops(int64_t n) const {
  return mab->flops(seeds.size(0), n);
}

EquivariantImpl::EquivariantImpl(const EquivariantOptions& options_) : options(options_) {
  SETFORMER_CHECK(options.in() >= 1 && options.out() >= 1,
                  "equivariant layer widths must be >= 1, got {} -> {}", options.in(),
                  options.out());
  gamma = register_module("gamma", torch::nn::Linear(options.in(), options.out()));
  lambda = register_module(
      "lambda",
      torch::nn::Linear(torch::nn::LinearOptions(options.in(), options.out()).bias(false)));
}

torch::Tensor EquivariantImpl::forward(const torch::Tensor& x, const torch::Tensor& padding) {
  check_set(x, padding, "equivariant layer input");
  auto y = gamma(x) - lambda(pool_set(x, options.pooling(), padding)).unsqueeze(1);
  if (options.relu()) y = torch::relu(y);
  return zero_padding(y, padding);
}

DotprodPoolImpl::DotprodPoolImpl(int64_t dim) {
  SETFORMER_CHECK(dim >= 1, "Dotprod pooling width must be >= 1, got {}", dim);
  query = register_parameter("query", xavier_rows(1, dim).squeeze(0));
  key = register_module("key", torch::nn::Linear(dim, dim));
}

torch::Tensor DotprodPoolImpl::forward(const torch::Tensor& z, const torch::Tensor& padding) {
  check_set(z, padding, "Dotprod pooling input");
  auto scores = torch::matmul(key(z), query) / std::sqrt(static_cast<double>(z.size(2)));
  if (padding.defined())
    scores = scores.masked_fill(padding, -std::numeric_limits<double>::infinity());
  const auto weights = torch::softmax(scores, 1);  // [B, n]
  return torch::matmul(weights.unsqueeze(1), z).squeeze(1);
}

}  // namespace setformer::nn

#include "setformer/nn/transformer_layers.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

namespace setformer::nn {

ResidualImpl::ResidualImpl(int64_t dim, double dropout_p, NormPlacement norm_placement, double eps)
    : placement(norm_placement) {
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps)));
  dropout = register_module("dropout", torch::nn::Dropout(dropout_p));
}

torch::Tensor ResidualImpl::input(const torch::Tensor& x) {
  return placement == NormPlacement::pre ? norm(x) : x;
}

torch::Tensor ResidualImpl::output(const torch::Tensor& x, const torch::Tensor& y) {
  const auto sum = x + dropout(y);
  return placement == NormPlacement::post ? norm(sum) : sum;
}

namespace {

void check_layer_options(const TransformerLayerOptions& o) {
  SETFORMER_CHECK(o.ffn_dim() >= 1, "transformer ffn_dim must be >= 1, got {}", o.ffn_dim());
  SETFORMER_CHECK(o.dropout() >= 0 && o.dropout() < 1,
                  "transformer dropout must be in [0, 1), got {}", o.dropout());
  SETFORMER_CHECK(o.self_attention().dim() == o.cross_attention().dim() &&
                      o.self_attention().heads() == o.cross_attention().heads(),
                  "transformer self- and cross-attention must share dim and heads");
}

Mlp make_ffn(const TransformerLayerOptions& o) {
  const int64_t d = o.self_attention().dim();
  return Mlp(MlpOptions(d)
                 .ratio(static_cast<double>(o.ffn_dim()) / static_cast<double>(d))
                 .activation(Activation::relu));
}

Residual make_residual(const TransformerLayerOptions& o) {
  return Residual(o.self_attention().dim(), o.dropout(), o.norm(), o.layer_norm_eps());
}

}  // namespace

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(const TransformerLayerOptions& options_)
    : options(options_) {
  check_layer_options(options);
  self_attention =
      register_module("self_attention", attention::make_attention(options.self_attention()));
  ffn = register_module("ffn", make_ffn(options));
  attention_residual = register_module("attention_residual", make_residual(options));
  ffn_residual = register_module("ffn_residual", make_residual(options));
}

torch::Tensor TransformerEncoderLayerImpl::forward(const torch::Tensor& x,
                                                   const torch::Tensor& padding) {
  const auto h = attention_residual->input(x);
  const auto y =
      attention_residual->output(x, self_attention(h, h, attention::Mask().padding(padding)));
  return ffn_residual->output(y, ffn(ffn_residual->input(y)));
}

double TransformerEncoderLayerImpl::flops(int64_t n) const {
  return self_attention->flops(n, n) + ffn->flops(n);
}

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(const TransformerLayerOptions& options_)
    : options(options_) {
  check_layer_options(options);
  self_attention =
      register_module("self_attention", attention::make_attention(options.self_attention()));
  SETFORMER_CHECK(self_attention->supports_causal(),
                  "decoder self-attention kernel '{}' does not support causal masks; use "
                  "softmax, linear or performer",
                  options.self_attention().kernel());
  cross_attention =
      register_module("cross_attention", attention::make_attention(options.cross_attention()));
  SETFORMER_CHECK(cross_attention->supports_cross_attention(),
                  "decoder cross-attention kernel '{}' is self-attention only",
                  options.cross_attention().kernel());
  ffn = register_module("ffn", make_ffn(options));
  self_residual = register_module("self_residual", make_residual(options));
  cross_residual = register_module("cross_residual", make_residual(options));
  ffn_residual = register_module("ffn_residual", make_residual(options));
}

torch::Tensor TransformerDecoderLayerImpl::forward(const torch::Tensor& y,
                                                   const torch::Tensor& memory,
                                                   const torch::Tensor& target_padding,
                                                   const torch::Tensor& memory_padding) {
  const auto h = self_residual->input(y);
  auto x = self_residual->output(
      y, self_attention(h, h, attention::Mask().padding(target_padding).causal(true)));
  x = cross_residual->output(
      x, cross_attention(cross_residual->input(x), memory,
                         attention::Mask().padding(memory_padding).query_padding(target_padding)));
  return ffn_residual->output(x, ffn(ffn_residual->input(x)));
}

torch::Tensor TransformerDecoderLayerImpl::step(const torch::Tensor& y, DecoderLayerCache& cache,
                                                const torch::Tensor& memory,
                                                const torch::Tensor& memory_padding) {
  check_shape(y, "decoder step input", {-1, 1, options.self_attention().dim()}, "[B, 1, d]");
  const auto h = self_residual->input(y);
  // The new position attends to every cached one and itself: the causal view.
  const auto attended = self_attention->forward_cached(h, h, cache.self);
  auto x = self_residual->output(y, attended);
  x = cross_residual->output(
      x, cross_attention->forward_cached(cross_residual->input(x),
                                         cache.cross.empty() ? memory : torch::Tensor(),
                                         cache.cross, memory_padding));
  return ffn_residual->output(x, ffn(ffn_residual->input(x)));
}

double TransformerDecoderLayerImpl::flops(int64_t n, int64_t s) const {
  return self_attention->flops(n, n) + cross_attention->flops(n, s) + ffn->flops(n);
}

}  // namespace setformer::nn

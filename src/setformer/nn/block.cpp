#include "setformer/nn/block.h"

#include <torch/torch.h>

namespace setformer::nn {

PreNormBlockImpl::PreNormBlockImpl(const BlockOptions& options_) : options(options_) {
  const int64_t d = options.attention().dim();
  const auto norm = torch::nn::LayerNormOptions({d}).eps(options.layer_norm_eps());
  norm1 = register_module("norm1", torch::nn::LayerNorm(norm));
  attn = register_module("attn", attention::make_attention(options.attention()));
  norm2 = register_module("norm2", torch::nn::LayerNorm(norm));
  mlp = register_module("mlp",
                        Mlp(MlpOptions(d).ratio(options.mlp_ratio()).dropout(options.dropout())));
  drop_path = register_module("drop_path", DropPath(options.drop_path()));
}

torch::Tensor PreNormBlockImpl::forward(const torch::Tensor& x, const attention::Mask& mask) {
  const auto h = norm1(x);
  const auto y = x + drop_path(attn(h, h, mask));
  return y + drop_path(mlp(norm2(y)));
}

}  // namespace setformer::nn

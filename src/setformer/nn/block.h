// The pre-norm transformer block the SeTformer backbone (paper §4, after Swin) and the text
// encoder are built from, with any attention kernel:
//   x = x + DropPath(Attention(LN(x)))
//   x = x + DropPath(MLP(LN(x)))
#pragma once

#include "setformer/attention/attention.h"
#include "setformer/nn/drop_path.h"
#include "setformer/nn/mlp.h"

#include <torch/nn/modules/normalization.h>

namespace setformer::nn {

struct BlockOptions {
  /* implicit */ BlockOptions(attention::AttentionOptions attention)
      : attention_(std::move(attention)) {}
  TORCH_ARG(attention::AttentionOptions, attention);
  TORCH_ARG(double, mlp_ratio) = 4.0;
  /// Dropout inside the MLP.
  TORCH_ARG(double, dropout) = 0.0;
  /// Stochastic depth of both residual branches.
  TORCH_ARG(double, drop_path) = 0.0;
  TORCH_ARG(double, layer_norm_eps) = 1e-5;
};

/// [B, n, d] -> [B, n, d]. Padding (mask.padding, true = padding) keeps padded tokens from
/// influencing valid ones; their own outputs are not meaningful.
class PreNormBlockImpl : public torch::nn::Module {
 public:
  explicit PreNormBlockImpl(const BlockOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const attention::Mask& mask = {});
  /// Multiply-adds of attention and MLP on n tokens (LayerNorms and residuals not counted).
  double flops(int64_t n) const { return attn->flops(n, n) + mlp->flops(n); }

  BlockOptions options;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  attention::Attention attn{nullptr};
  Mlp mlp{nullptr};
  DropPath drop_path{nullptr};
};

TORCH_MODULE(PreNormBlock);

}  // namespace setformer::nn

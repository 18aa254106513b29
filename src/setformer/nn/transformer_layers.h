// The encoder and decoder layers of the Transformer (Vaswani et al. 2017, §3.1, Figure 1), with
// the attention kernels taken from configuration (a SeT encoder may feed a softmax decoder), the
// paper's post-norm or the pre-norm variant, and a decoder that steps one token at a time over
// cached context (incremental decoding).
#pragma once

#include "setformer/attention/attention.h"
#include "setformer/attention/options.h"
#include "setformer/nn/mlp.h"

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

namespace setformer::nn {

/// Where the LayerNorms sit: `post` LN(x + Sublayer(x)) as in the paper; `pre`
/// x + Sublayer(LN(x)) (Xiong et al. 2020), steadier without warm-up, with a final LN per stack.
enum class NormPlacement { post, pre };

struct TransformerLayerOptions {
  TransformerLayerOptions(int64_t dim, int64_t heads)
      : self_attention_(dim, heads), cross_attention_(dim, heads), ffn_dim_(4 * dim) {}
  /// Self-attention of the layer (its kernel, heads, attention dropout); dim and heads are the
  /// layer's.
  TORCH_ARG(attention::AttentionOptions, self_attention);
  /// Decoder only: attention to the encoder's output.
  TORCH_ARG(attention::AttentionOptions, cross_attention);
  /// d_ff: width of the position-wise feed-forward network (ReLU).
  TORCH_ARG(int64_t, ffn_dim);
  /// P_drop: dropout on each sub-layer's output before the residual sum (§5.4).
  TORCH_ARG(double, dropout) = 0.1;
  TORCH_ARG(NormPlacement, norm) = NormPlacement::post;
  TORCH_ARG(double, layer_norm_eps) = 1e-5;
};

/// One residual sub-layer around `f`: post LN(x + drop(f(x))), pre x + drop(f(LN(x))).
/// Shared by both layers.
class ResidualImpl : public torch::nn::Module {
 public:
  ResidualImpl(int64_t dim, double dropout, NormPlacement norm, double eps);
  /// The input the sub-layer sees: LN(x) in pre-norm, x in post-norm.
  torch::Tensor input(const torch::Tensor& x);
  /// x combined with the sub-layer's output y.
  torch::Tensor output(const torch::Tensor& x, const torch::Tensor& y);

  NormPlacement placement;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};

TORCH_MODULE(Residual);

/// Self-attention and feed-forward, each in a Residual. x [B, n, d] -> [B, n, d]; padding
/// [B, n] (true = padding).
class TransformerEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit TransformerEncoderLayerImpl(const TransformerLayerOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding = {});
  /// Multiply-adds on n tokens (attention and feed-forward).
  double flops(int64_t n) const;

  TransformerLayerOptions options;
  attention::Attention self_attention{nullptr};
  Mlp ffn{nullptr};
  Residual attention_residual{nullptr}, ffn_residual{nullptr};
};

TORCH_MODULE(TransformerEncoderLayer);

/// What one decoder layer keeps between incremental steps.
struct DecoderLayerCache {
  attention::AttentionCache self, cross;
};

/// Masked self-attention, attention to the encoder output, feed-forward (§3.1).
class TransformerDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit TransformerDecoderLayerImpl(const TransformerLayerOptions& options);
  /// Teacher forcing: y [B, T, d] with a causal mask, memory [B, S, d] -> [B, T, d].
  /// target_padding [B, T], memory_padding [B, S] (true = padding), optional.
  torch::Tensor forward(const torch::Tensor& y, const torch::Tensor& memory,
                        const torch::Tensor& target_padding = {},
                        const torch::Tensor& memory_padding = {});
  /// One step: y [B, 1, d], the next target position, attending to the positions cached before
  /// it and to `memory` [B, S, d] (given on the first step, then cached) -> [B, 1, d]. Equals
  /// the last row of forward() over the whole prefix.
  torch::Tensor step(const torch::Tensor& y, DecoderLayerCache& cache,
                     const torch::Tensor& memory = {}, const torch::Tensor& memory_padding = {});
  /// Multiply-adds on n target and s memory tokens.
  double flops(int64_t n, int64_t s) const;

  TransformerLayerOptions options;
  attention::Attention self_attention{nullptr}, cross_attention{nullptr};
  Mlp ffn{nullptr};
  Residual self_residual{nullptr}, cross_residual{nullptr}, ffn_residual{nullptr};
};

TORCH_MODULE(TransformerDecoderLayer);

}  // namespace setformer::nn

// Set-input networks composed from configuration (Set Transformer, Lee et al. ICML 2019, §3.3 and
// supplement §2): an encoder of row-wise, equivariant or attention layers and a decoder that pools
// the set into k output vectors. Every architecture of the paper's tables is one option list:
//   rFF + Pooling        encoder {fc, fc, fc, fc-linear}, decoder mean | sum | max
//   rFFp-mean + Pooling  encoder {eqmean, eqmean, eqmean, eqmean-linear}, decoder mean
//   rFF + Dotprod        encoder {fc, ...}, decoder dotprod
//   SAB + PMA            encoder {sab, sab}, decoder pma (+ decoder_sabs SABs when k > 1)
//   ISAB_m + PMA         encoder {isab, isab}, inducing_points m
// The encoder's attention blocks take any permutation-equivariant kernel (`softmax`, or `set`
// without positions), so a SeT encoder is one option away.
#pragma once

#include "setformer/attention/options.h"
#include "setformer/nn/set_blocks.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include <string>
#include <vector>

namespace setformer::models {

struct SetTransformerOptions {
  TORCH_ARG(std::string, name) = "set-transformer";
  /// Features per element of vector inputs [B, n, input_dim].
  TORCH_ARG(int64_t, input_dim) = 1;
  /// > 0: elements are 1×S×S images [B, n, 1, S, S], each encoded by `conv_layers` layers
  /// Conv(dim, 3, stride 2) → BatchNorm → ReLU and a global average pool (supplement Table 3).
  TORCH_ARG(int64_t, image_size) = 0;
  TORCH_ARG(int64_t, conv_layers) = 4;
  /// Width d of every layer.
  TORCH_ARG(int64_t, dim) = 64;
  TORCH_ARG(int64_t, heads) = 4;
  /// Encoder layers in order: fc (Linear+ReLU), fc-linear (Linear), eqmean, eqmax (DeepSets
  /// equivariant layer + ReLU), eqmean-linear, eqmax-linear, sab, isab.
  TORCH_ARG(std::vector<std::string>, encoder) = std::vector<std::string>{"sab", "sab"};
  /// m of every ISAB.
  TORCH_ARG(int64_t, inducing_points) = 16;
  /// pma, mean, sum, max, dotprod.
  TORCH_ARG(std::string, decoder) = "pma";
  /// k: output vectors (PMA seeds).
  TORCH_ARG(int64_t, outputs) = 1;
  /// SABs after the PMA, modelling interactions among the k outputs (Eq. 15).
  TORCH_ARG(int64_t, decoder_sabs) = 0;
  /// FC(d, ReLU) layers after pooling, before the output layer.
  TORCH_ARG(int64_t, decoder_layers) = 0;
  /// Features of each output vector.
  TORCH_ARG(int64_t, output_dim) = 1;
  /// Attention kernel of the encoder's SABs and ISABs, and of the decoder's PMA and SABs.
  TORCH_ARG(std::string, kernel) = "softmax";
  TORCH_ARG(std::string, decoder_kernel) = "softmax";
  /// Options of `set` kernels; positions must stay `none` (sets have no order).
  TORCH_ARG(attention::SetOptions,
            set) = attention::SetOptions().num_references(16).positions(attention::Positions::none);
  TORCH_ARG(bool, layer_norm) = true;
};

/// The encoder layer names, in a stable order (for errors and docs).
const std::vector<std::string>& set_encoder_layers();
/// The decoder names.
const std::vector<std::string>& set_decoders();

/// Sets -> k output vectors.
class SetTransformerImpl : public torch::nn::Module {
 public:
  /// Throws naming the option when a layer name, kernel or size is invalid.
  explicit SetTransformerImpl(const SetTransformerOptions& options);

  /// x [B, n, input_dim] (or images [B, n, 1, S, S]) -> [B, k, output_dim]. padding [B, n]
  /// (true = padding) lets sets of different sizes share a batch; the outputs do not depend on
  /// padded elements. Invariant to the order of the elements.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding = {});

  /// The encoder alone: [B, n, input_dim] -> [B, n, d], equivariant; padded rows are zero.
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& padding = {});

  /// Multiply-adds of one forward pass on one set of n elements (attention by its kernel's own
  /// count; image encoders included).
  double flops(int64_t n) const;

  const SetTransformerOptions& options() const { return options_; }

 private:
  SetTransformerOptions options_;
  torch::nn::Sequential image_encoder_{nullptr};
  torch::nn::Linear embed_{nullptr};
  torch::nn::ModuleList encoder_{nullptr};
  std::vector<std::string> encoder_kinds_;
  nn::Pma pma_{nullptr};
  nn::DotprodPool dotprod_{nullptr};
  torch::nn::ModuleList decoder_sabs_{nullptr};
  torch::nn::Sequential decoder_mlp_{nullptr};
  torch::nn::Linear output_{nullptr};
};
TORCH_MODULE(SetTransformer);

}  // namespace setformer::models

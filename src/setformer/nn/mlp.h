// The position-wise feed-forward block of transformer layers: Linear(d, r·d) → GELU → dropout →
// Linear(r·d, d) → dropout (Vaswani et al. 2017 §3.3 with ReLU; GELU as in ViT, Swin and the
// SeTformer backbone).
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace setformer::nn {

enum class Activation { gelu, relu };

struct MlpOptions {
  /* implicit */ MlpOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);
  /// r: hidden width = ratio · dim (4 in the Transformer, Swin and SeTformer).
  TORCH_ARG(double, ratio) = 4.0;
  TORCH_ARG(Activation, activation) = Activation::gelu;
  TORCH_ARG(double, dropout) = 0.0;
};

/// [..., d] -> [..., d].
class MlpImpl : public torch::nn::Cloneable<MlpImpl> {
 public:
  explicit MlpImpl(const MlpOptions& options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  /// Multiply-adds on n tokens: 2·n·d·hidden.
  double flops(int64_t n) const;

  MlpOptions options;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::Dropout dropout{nullptr};
};

TORCH_MODULE(Mlp);

}  // namespace setformer::nn

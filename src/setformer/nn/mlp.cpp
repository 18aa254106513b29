#include "setformer/nn/mlp.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

namespace setformer::nn {

MlpImpl::MlpImpl(const MlpOptions& options_) : options(options_) {
  reset();
}

void MlpImpl::reset() {
  SETFORMER_CHECK(options.dim() >= 1, "mlp dim must be >= 1, got {}", options.dim());
  SETFORMER_CHECK(options.ratio() > 0.0, "mlp ratio must be > 0, got {}", options.ratio());
  SETFORMER_CHECK(options.dropout() >= 0.0 && options.dropout() < 1.0,
                  "mlp dropout must be in [0, 1), got {}", options.dropout());
  const auto hidden =
      std::max<int64_t>(1, std::llround(options.ratio() * static_cast<double>(options.dim())));
  fc1 = register_module("fc1", torch::nn::Linear(options.dim(), hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, options.dim()));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

double MlpImpl::flops(int64_t n) const {
  return 2.0 * static_cast<double>(n) * static_cast<double>(fc1->options.in_features()) *
         static_cast<double>(fc1->options.out_features());
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  SETFORMER_CHECK(x.dim() >= 1 && x.size(-1) == options.dim(),
                  "mlp input has shape {}; expected [..., {}]", shape_string(x.sizes()),
                  options.dim());
  auto h = fc1(x);
  h = options.activation() == Activation::gelu ? torch::gelu(h) : torch::relu(h);
  return dropout(fc2(dropout(h)));
}

}  // namespace setformer::nn

#include "setformer/nn/drop_path.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

namespace setformer::nn {

DropPathImpl::DropPathImpl(const DropPathOptions& options_) : options(options_) {
  SETFORMER_CHECK(options.probability() >= 0.0 && options.probability() < 1.0,
                  "drop_path probability must be in [0, 1), got {}", options.probability());
}

torch::Tensor DropPathImpl::forward(const torch::Tensor& x) {
  if (!is_training() || options.probability() == 0.0) return x;
  const double keep = 1.0 - options.probability();
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  const auto mask = torch::empty(shape, x.options()).bernoulli_(keep);
  return x * mask / keep;
}

}  // namespace setformer::nn

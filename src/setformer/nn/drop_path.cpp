#include "setformer/nn/drop_path.h"

#include "setformer/core/error.h"
#include "setformer/core/shards.h"

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
  // Batch shards (core/shards.h) each draw from their own generator, so runs stay deterministic.
  const auto generator = x.is_cpu() ? shard_generator() : c10::nullopt;
  const auto mask = torch::empty(shape, x.options()).bernoulli_(keep, generator);
  return x * mask / keep;
}

}  // namespace setformer::nn

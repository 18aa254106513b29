// Stochastic depth (Huang et al., ECCV 2016), as Swin and the SeTformer backbone use it on each
// residual branch: in training, a sample's whole branch is dropped with probability p and kept
// branches are scaled by 1/(1 − p), so the expectation is unchanged; in evaluation, identity.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace setformer::nn {

struct DropPathOptions {
  /* implicit */ DropPathOptions(double probability = 0.0) : probability_(probability) {}
  TORCH_ARG(double, probability);
};

/// [B, ...] -> [B, ...]: per-sample Bernoulli(1 − p) mask over the leading dimension.
class DropPathImpl : public torch::nn::Cloneable<DropPathImpl> {
 public:
  explicit DropPathImpl(const DropPathOptions& options = {});
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);

  DropPathOptions options;
};

TORCH_MODULE(DropPath);

}  // namespace setformer::nn

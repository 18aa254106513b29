// Gradient checking against central finite differences, in double precision (STYLE.md §7).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

namespace setformer::testing {

struct GradcheckResult {
  /// max over checked entries of |analytic − numeric| / (atol + rtol·|numeric|); <= 1 passes.
  double worst_ratio = 0.0;
  double max_abs_error = 0.0;
  int64_t checked = 0;
  std::string worst;  // which input and entry, for the failure message
};

/// Checks d f / d inputs[k] for every k: autograd (one backward of f) against
/// (f(x + h e_i) − f(x − h e_i)) / 2h on up to `max_entries` entries of each input, spread
/// evenly. Inputs must be double tensors with requires_grad; f must return a scalar.
GradcheckResult gradcheck(const std::function<torch::Tensor()>& f,
                          const std::vector<torch::Tensor>& inputs, double atol = 1e-7,
                          double rtol = 1e-5, double h = 1e-6, int64_t max_entries = 48);

/// {x, every parameter of `module`}: the inputs of a layer's gradient check.
std::vector<torch::Tensor> input_and_parameters(const torch::Tensor& x,
                                                const torch::nn::Module& module);

/// A fixed pseudo-random weighting so that Σ w ⊙ y has informative gradients everywhere.
torch::Tensor probe_weights(at::IntArrayRef sizes, uint64_t seed = 7);

}  // namespace setformer::testing

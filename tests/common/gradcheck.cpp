#include "common/gradcheck.h"

#include <torch/torch.h>

#include <fmt/format.h>

namespace setformer::testing {

GradcheckResult gradcheck(const std::function<torch::Tensor()>& f,
                          const std::vector<torch::Tensor>& inputs, double atol, double rtol,
                          double h, int64_t max_entries) {
  for (const auto& x : inputs) {
    if (x.grad().defined()) x.mutable_grad().zero_();
  }
  f().backward();
  std::vector<torch::Tensor> analytic;
  for (const auto& x : inputs) {
    analytic.push_back(x.grad().defined() ? x.grad().clone() : torch::zeros_like(x));
  }
  GradcheckResult result;
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto flat = inputs[k].view(-1);
    const auto grad = analytic[k].reshape(-1);
    const int64_t n = flat.numel();
    const int64_t step = std::max<int64_t>(1, n / max_entries);
    for (int64_t i = 0; i < n; i += step) {
      const double original = flat[i].item<double>();
      flat[i].fill_(original + h);
      const double plus = f().item<double>();
      flat[i].fill_(original - h);
      const double minus = f().item<double>();
      flat[i].fill_(original);
      const double numeric = (plus - minus) / (2.0 * h);
      const double a = grad[i].item<double>();
      const double err = std::abs(a - numeric);
      const double ratio = err / (atol + rtol * std::abs(numeric));
      ++result.checked;
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (ratio > result.worst_ratio) {
        result.worst_ratio = ratio;
        result.worst = fmt::format("input {} entry {}: autograd {:.10g}, finite difference {:.10g}",
                                   k, i, a, numeric);
      }
    }
  }
  return result;
}

std::vector<torch::Tensor> input_and_parameters(const torch::Tensor& x,
                                                const torch::nn::Module& module) {
  std::vector<torch::Tensor> inputs{x};
  for (const auto& p : module.parameters()) inputs.push_back(p);
  return inputs;
}

torch::Tensor probe_weights(at::IntArrayRef sizes, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randn(sizes, gen, torch::kDouble);
}

}  // namespace setformer::testing

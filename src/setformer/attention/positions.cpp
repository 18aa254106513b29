#include "setformer/attention/positions.h"

#include <torch/torch.h>

namespace setformer::attention {

torch::Tensor sequence_positions(int64_t n, const torch::Tensor& padding,
                                 const torch::TensorOptions& options) {
  if (!padding.defined()) {
    return (torch::arange(n, options) / static_cast<double>(n)).view({1, n, 1});
  }
  const auto valid = padding.logical_not().to(options.dtype());
  const auto rank = valid.cumsum(1) - 1.0;  // rank among valid tokens; padded ones are masked later
  const auto count = valid.sum(1, /*keepdim=*/true).clamp_min(1.0);
  return (rank / count).unsqueeze(-1);
}

torch::Tensor grid_positions(int64_t rows, int64_t cols, const torch::TensorOptions& options) {
  const auto r = torch::arange(rows, options) / static_cast<double>(rows);
  const auto c = torch::arange(cols, options) / static_cast<double>(cols);
  const auto grid = torch::stack(
      {r.view({rows, 1}).expand({rows, cols}), c.view({1, cols}).expand({rows, cols})}, -1);
  return grid.reshape({1, rows * cols, 2});
}

torch::Tensor lpe_filter(const torch::Tensor& token_positions,
                         const torch::Tensor& reference_positions, double sigma) {
  const auto diff = token_positions.unsqueeze(-2) - reference_positions.unsqueeze(-3);
  return torch::exp(-diff.square().sum(-1) / (sigma * sigma));
}

std::pair<int64_t, int64_t> square_factors(int64_t m) {
  int64_t a = static_cast<int64_t>(std::sqrt(static_cast<double>(m)));
  while (a > 1 && m % a != 0) --a;
  return {a, m / a};
}

}  // namespace setformer::attention

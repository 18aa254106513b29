#include "setformer/core/hungarian.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace setformer {

namespace {

/// rows <= cols. Potentials u (rows) and v (cols) keep cost − u − v >= 0 with equality on the
/// matching; each row is added by a Dijkstra-like search for the cheapest augmenting path.
std::vector<int64_t> assign_rows(const std::vector<double>& cost, int64_t rows, int64_t cols) {
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based, with column 0 a virtual column that holds the row being added.
  std::vector<double> u(rows + 1, 0.0), v(cols + 1, 0.0);
  std::vector<int64_t> owner(cols + 1, 0), way(cols + 1, 0);
  for (int64_t row = 1; row <= rows; ++row) {
    owner[0] = row;
    int64_t col0 = 0;
    std::vector<double> min_slack(cols + 1, inf);
    std::vector<char> used(cols + 1, 0);
    do {
      used[col0] = 1;
      const int64_t i0 = owner[col0];
      double delta = inf;
      int64_t col1 = 0;
      for (int64_t j = 1; j <= cols; ++j) {
        if (used[j]) continue;
        const double slack = cost[(i0 - 1) * cols + (j - 1)] - u[i0] - v[j];
        if (slack < min_slack[j]) {
          min_slack[j] = slack;
          way[j] = col0;
        }
        if (min_slack[j] < delta) {
          delta = min_slack[j];
          col1 = j;
        }
      }
      for (int64_t j = 0; j <= cols; ++j) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          min_slack[j] -= delta;
        }
      }
      col0 = col1;
    } while (owner[col0] != 0);
    do {  // flip the augmenting path
      const int64_t col1 = way[col0];
      owner[col0] = owner[col1];
      col0 = col1;
    } while (col0 != 0);
  }
  std::vector<int64_t> assignment(rows, -1);
  for (int64_t j = 1; j <= cols; ++j) {
    if (owner[j] != 0) assignment[owner[j] - 1] = j - 1;
  }
  return assignment;
}

}  // namespace

std::vector<int64_t> hungarian(const std::vector<double>& cost, int64_t rows, int64_t cols) {
  SETFORMER_CHECK(rows >= 0 && cols >= 0 && static_cast<int64_t>(cost.size()) == rows * cols,
                  "hungarian: cost has {} entries, expected rows × cols = {} × {}", cost.size(),
                  rows, cols);
  for (const double c : cost) {
    SETFORMER_CHECK(std::isfinite(c), "hungarian: every cost must be finite, got {}", c);
  }
  if (rows <= cols) return assign_rows(cost, rows, cols);
  // More rows than columns: assign the columns to rows in the transposed problem.
  std::vector<double> transposed(cost.size());
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) transposed[j * rows + i] = cost[i * cols + j];
  }
  const auto by_col = assign_rows(transposed, cols, rows);
  std::vector<int64_t> assignment(rows, -1);
  for (int64_t j = 0; j < cols; ++j) assignment[by_col[j]] = j;
  return assignment;
}

torch::Tensor hungarian_batch(const torch::Tensor& cost) {
  check_shape(cost, "assignment cost", {-1, -1, -1}, "[B, n, m]");
  SETFORMER_CHECK(cost.is_floating_point(), "assignment cost must be floating point, got {}",
                  c10::toString(cost.scalar_type()));
  const auto c = cost.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t batch = c.size(0), n = c.size(1), m = c.size(2);
  auto out = torch::empty({batch, n}, torch::kLong);
  const double* data = c.data_ptr<double>();
  auto* dst = out.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const std::vector<double> one(data + b * n * m, data + (b + 1) * n * m);
    const auto assignment = hungarian(one, n, m);
    std::copy(assignment.begin(), assignment.end(), dst + b * n);
  }
  return out;
}

}  // namespace setformer

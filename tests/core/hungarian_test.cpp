// The Hungarian method against brute force over every permutation on small random matrices,
// square and rectangular, with ties; and its batched form.
#include "setformer/core/hungarian.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <set>

namespace setformer {
namespace {

double total(const std::vector<double>& cost, int64_t cols, const std::vector<int64_t>& rows_to) {
  double sum = 0;
  for (size_t i = 0; i < rows_to.size(); ++i) {
    if (rows_to[i] >= 0) sum += cost[i * cols + rows_to[i]];
  }
  return sum;
}

/// Minimum over every injective assignment of min(rows, cols) pairs.
double brute_force(const std::vector<double>& cost, int64_t rows, int64_t cols) {
  const int64_t big = std::max(rows, cols);
  std::vector<int64_t> perm(big);
  std::iota(perm.begin(), perm.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double sum = 0;
    for (int64_t i = 0; i < rows; ++i) {
      if (perm[i] < cols) sum += cost[i * cols + perm[i]];
    }
    best = std::min(best, sum);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

TEST(Hungarian, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(-5, 5);
  std::uniform_int_distribution<int> small(0, 3);
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t rows = 1 + trial % 6, cols = 1 + (trial / 6) % 6;
    std::vector<double> cost(rows * cols);
    // Every third matrix has small integer costs, so that ties are frequent.
    for (auto& c : cost) c = trial % 3 == 0 ? small(rng) : uniform(rng);
    const auto assignment = hungarian(cost, rows, cols);
    ASSERT_EQ(static_cast<int64_t>(assignment.size()), rows);
    std::set<int64_t> used;
    int64_t assigned = 0;
    for (const int64_t j : assignment) {
      if (j < 0) continue;
      ASSERT_LT(j, cols);
      EXPECT_TRUE(used.insert(j).second) << "column " << j << " used twice";
      ++assigned;
    }
    EXPECT_EQ(assigned, std::min(rows, cols));
    EXPECT_NEAR(total(cost, cols, assignment), brute_force(cost, rows, cols), 1e-9)
        << rows << "x" << cols << " trial " << trial;
  }
}

TEST(Hungarian, BatchedFormAssignsEveryMatrix) {
  torch::manual_seed(2);
  const auto cost = torch::rand({4, 5, 5});
  const auto assignment = hungarian_batch(cost);
  ASSERT_EQ(assignment.sizes(), (std::vector<int64_t>{4, 5}));
  for (int64_t b = 0; b < 4; ++b) {
    const auto c = cost[b].to(torch::kDouble).contiguous();
    const std::vector<double> flat(c.data_ptr<double>(), c.data_ptr<double>() + 25);
    const auto expected = hungarian(flat, 5, 5);
    for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(assignment[b][i].item<int64_t>(), expected[i]);
  }
  // An identity-like cost is matched on its diagonal.
  const auto eye = 1 - torch::eye(6).unsqueeze(0);
  EXPECT_TRUE(hungarian_batch(eye).equal(torch::arange(6).unsqueeze(0)));
}

TEST(Hungarian, RejectsBadInput) {
  testing::expect_invalid_argument([] { hungarian({1, 2, 3}, 2, 2); }, "rows × cols");
  testing::expect_invalid_argument(
      [] {
        hungarian({1, std::numeric_limits<double>::infinity()}, 1, 2);
      },
      "finite");
  testing::expect_invalid_argument([] { hungarian_batch(torch::rand({3, 3})); }, "[B, n, m]");
}

}  // namespace
}  // namespace setformer

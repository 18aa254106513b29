// batched_matmul against torch::matmul in double precision: every transposed/contiguous layout
// of both operands, broadcast leading dimensions, empty and single-matrix batches, and gradients.
#include "setformer/core/batched_matmul.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer {
namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return a.numel() == 0 ? 0.0 : (a - b).abs().max().item<double>();
}

/// [lead..., rows, cols], stored either row-major or as the transpose of a row-major buffer.
torch::Tensor matrix(std::vector<int64_t> lead, int64_t rows, int64_t cols, bool transposed,
                     torch::Dtype dtype = torch::kDouble) {
  auto shape = lead;
  shape.push_back(transposed ? cols : rows);
  shape.push_back(transposed ? rows : cols);
  auto t = torch::randn(shape, dtype);
  return transposed ? t.transpose(-2, -1) : t;
}

TEST(BatchedMatmul, UsesBlasOnCpuForFloatAndDouble) {
  // This build links a BLAS (scripts/setup.sh installs one); otherwise every test below compares
  // torch::matmul with itself and proves nothing.
  EXPECT_TRUE(batched_matmul_uses_blas(torch::zeros({1}, torch::kDouble)));
  EXPECT_TRUE(batched_matmul_uses_blas(torch::zeros({1}, torch::kFloat)));
  EXPECT_FALSE(batched_matmul_uses_blas(torch::zeros({1}, torch::kLong)));
}

TEST(BatchedMatmul, MatchesTorchMatmulForEveryLayout) {
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      const auto a = matrix({3, 4}, 5, 7, ta);
      const auto b = matrix({3, 4}, 7, 6, tb);
      EXPECT_LT(max_abs_diff(batched_matmul(a, b), torch::matmul(a, b)), 1e-12)
          << "a transposed " << ta << ", b transposed " << tb;
    }
  }
  // A strided view that is neither layout is copied first.
  const auto a = torch::randn({2, 5, 14}, torch::kDouble).slice(2, 0, 14, 2);
  const auto b = torch::randn({2, 7, 3}, torch::kDouble);
  EXPECT_LT(max_abs_diff(batched_matmul(a, b), torch::matmul(a, b)), 1e-12);
}

TEST(BatchedMatmul, BroadcastsLeadingDimensionsAndHandlesEdges) {
  const auto q = torch::randn({4, 3, 9, 8}, torch::kDouble);
  const auto z = torch::randn({1, 3, 5, 8}, torch::kDouble);  // shared over the batch
  EXPECT_LT(
      max_abs_diff(batched_matmul(q, z.transpose(-2, -1)), torch::matmul(q, z.transpose(-2, -1))),
      1e-12);
  const auto single = torch::randn({6, 4}, torch::kDouble),
             other = torch::randn({4, 2}, torch::kDouble);
  EXPECT_LT(max_abs_diff(batched_matmul(single, other), single.mm(other)), 1e-12);
  const auto empty = batched_matmul(torch::randn({0, 3, 4}), torch::randn({0, 4, 2}));
  EXPECT_EQ(empty.sizes(), (std::vector<int64_t>{0, 3, 2}));
  const auto no_inner = batched_matmul(torch::randn({2, 3, 0}), torch::randn({2, 0, 2}));
  EXPECT_TRUE(no_inner.equal(torch::zeros({2, 3, 2})));
  // Float, with matrices large enough to use BLAS's own threads.
  const auto big_a = torch::randn({2, 300, 200}), big_b = torch::randn({2, 200, 100});
  EXPECT_LT(max_abs_diff(batched_matmul(big_a, big_b), torch::matmul(big_a, big_b)), 1e-3);
}

TEST(BatchedMatmul, GradientsMatchTorchMatmul) {
  for (const bool ta : {false, true}) {
    const auto a0 = matrix({2, 3}, 4, 5, ta), b0 = matrix({1, 3}, 5, 6, !ta);
    const auto w = torch::randn({2, 3, 4, 6}, torch::kDouble);
    auto a = a0.detach().requires_grad_(true), b = b0.detach().requires_grad_(true);
    (batched_matmul(a, b) * w).sum().backward();
    auto ar = a0.detach().requires_grad_(true), br = b0.detach().requires_grad_(true);
    (torch::matmul(ar, br) * w).sum().backward();
    EXPECT_LT(max_abs_diff(a.grad(), ar.grad()), 1e-12);
    EXPECT_LT(max_abs_diff(b.grad(), br.grad()), 1e-12);  // summed over the broadcast batch
  }
}

TEST(BatchedMatmul, RejectsShapesThatDoNotChain) {
  testing::expect_invalid_argument(
      [] {
        batched_matmul(torch::randn({2, 3, 4}), torch::randn({2, 5, 6}));
      },
      "do not chain");
  testing::expect_invalid_argument(
      [] {
        batched_matmul(torch::randn({3}), torch::randn({3, 2}));
      },
      "needs [..., r, k]");
}

}  // namespace
}  // namespace setformer

TEST(Gemm, MatchesTorchOnStridedRowsWithAlphaAndBeta) {
  // Operands live inside wider buffers (row strides larger than their rows), as the fused SeT
  // core reads heads in place; every transpose combination, with alpha and beta.
  torch::manual_seed(2);
  const int64_t r = 5, c = 7, k = 3, pad = 4;
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      const auto a_buf = torch::randn({ta ? k : r, (ta ? r : k) + pad}, torch::kDouble);
      const auto b_buf = torch::randn({tb ? c : k, (tb ? k : c) + pad}, torch::kDouble);
      auto out = torch::randn({r, c + pad}, torch::kDouble);
      const auto a = a_buf.slice(1, 0, ta ? r : k), b = b_buf.slice(1, 0, tb ? k : c);
      const auto want =
          0.5 * torch::matmul(ta ? a.t() : a, tb ? b.t() : b) + 2.0 * out.slice(1, 0, c);
      const auto untouched = out.slice(1, c).clone();
      setformer::gemm<double>(ta, tb, r, c, k, 0.5, a_buf.data_ptr<double>(), a_buf.size(1),
                              b_buf.data_ptr<double>(), b_buf.size(1), 2.0, out.data_ptr<double>(),
                              out.size(1));
      EXPECT_LT((out.slice(1, 0, c) - want).abs().max().item<double>(), 1e-12) << ta << tb;
      EXPECT_TRUE(torch::equal(out.slice(1, c), untouched)) << "wrote outside its rows";
    }
  }
}

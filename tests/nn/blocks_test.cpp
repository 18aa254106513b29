// DropPath and the MLP block: the formulas written out, per-sample dropping, and evaluation mode.
#include "setformer/nn/drop_path.h"
#include "setformer/nn/mlp.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::nn {
namespace {

TEST(DropPath, DropsWholeSamplesAndKeepsTheExpectation) {
  DropPath drop(0.25);
  const auto x = torch::ones({4000, 3, 5});
  const auto y = drop(x);
  // Each sample is either all zero or all 1/(1 − p).
  const auto per_sample = y.view({4000, -1});
  const auto zero = (per_sample == 0).all(1), kept = (per_sample == 1.0f / 0.75f).all(1);
  EXPECT_TRUE(zero.logical_or(kept).all().item<bool>());
  const double dropped = zero.to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(dropped, 0.25, 0.035);                // Binomial(4000, 0.25): sd 0.0068, 5 sigma
  EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.05);  // expectation preserved
  drop->eval();
  EXPECT_TRUE(drop(x).equal(x));
  testing::expect_invalid_argument([] { DropPath(1.0); }, "drop_path probability");
}

TEST(Mlp, MatchesTheFormula) {
  Mlp mlp(MlpOptions(6).ratio(2.0));
  const auto x = torch::randn({3, 4, 6});
  const auto hidden = torch::gelu(x.matmul(mlp->fc1->weight.t()) + mlp->fc1->bias);
  const auto expected = hidden.matmul(mlp->fc2->weight.t()) + mlp->fc2->bias;
  EXPECT_TRUE(torch::allclose(mlp(x), expected, 1e-5, 1e-6));
  EXPECT_EQ(mlp->fc1->weight.size(0), 12);
  Mlp relu(MlpOptions(6).activation(Activation::relu));
  const auto h2 = torch::relu(x.matmul(relu->fc1->weight.t()) + relu->fc1->bias);
  EXPECT_TRUE(
      torch::allclose(relu(x), h2.matmul(relu->fc2->weight.t()) + relu->fc2->bias, 1e-5, 1e-6));
}

TEST(Mlp, RejectsBadOptionsAndInputs) {
  testing::expect_invalid_argument([] { Mlp(MlpOptions(4).ratio(0.0)); }, "mlp ratio");
  testing::expect_invalid_argument([] { Mlp(MlpOptions(4).dropout(1.0)); }, "mlp dropout");
  Mlp mlp(MlpOptions(4));
  testing::expect_invalid_argument([&] { mlp(torch::randn({2, 5})); }, "expected [..., 4]");
}

}  // namespace
}  // namespace setformer::nn

// The pre-norm block: its formula, padding and permutation properties with every kernel.
#include "setformer/nn/block.h"

#include "common/attention_helpers.h"

namespace setformer::nn {
namespace {

class BlockWithEveryKernel : public ::testing::TestWithParam<std::string> {};

TEST_P(BlockWithEveryKernel, MatchesThePreNormFormula) {
  PreNormBlock block(BlockOptions(testing::small_options(GetParam())));
  block->eval();
  const auto x = torch::randn({2, 7, 16});
  const auto h = block->norm1(x);
  const auto y = x + block->attn(h, h);
  EXPECT_TRUE(torch::allclose(block(x), y + block->mlp(block->norm2(y)), 1e-5, 1e-6));
}

TEST_P(BlockWithEveryKernel, PaddingAndPermutationLeaveValidTokensAlone) {
  auto options = testing::small_options(GetParam());
  PreNormBlock block{BlockOptions(options)};
  block->eval();
  const auto x = torch::randn({1, 9, 16});
  const auto pad = testing::padding_for({6}, 9);
  const auto padded = block(x, attention::Mask().padding(pad)).slice(1, 0, 6);
  EXPECT_LT(testing::max_abs_diff(padded, block(x.slice(1, 0, 6))), 2e-5);
  // Only kernels without position information are permutation-equivariant (not "window").
  if (block->attn->permutation_equivariant()) {
    EXPECT_LT(testing::permutation_gap([&](const torch::Tensor& t) { return block(t); }, x), 1e-5);
  }
}

TEST_P(BlockWithEveryKernel, DropPathActsOnlyInTraining) {
  PreNormBlock block(BlockOptions(testing::small_options(GetParam())).drop_path(0.5));
  const auto x = torch::randn({8, 5, 16});
  block->eval();
  EXPECT_TRUE(block(x).equal(block(x)));
  block->train();
  EXPECT_FALSE(block(x).equal(block(x)));
}

INSTANTIATE_TEST_SUITE_P(Kernels, BlockWithEveryKernel,
                         ::testing::ValuesIn(attention::attention_kernels()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace setformer::nn

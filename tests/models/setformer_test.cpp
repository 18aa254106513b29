// The SeTformer backbone: the paper's parameter counts per variant, token grids, and a forward
// and backward pass on Fashion-MNIST-sized inputs with every kernel.
#include "setformer/models/setformer.h"

#include "setformer/attention/attention.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::models {
namespace {

int64_t parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

SeTformerOptions small_for_28x28(const std::string& kernel) {
  return SeTformerOptions()
      .in_channels(1)
      .classes(10)
      .image_size(28)
      .stem_strides({1, 2})
      .kernel(kernel)
      .stages({StageOptions().depth(1).dim(16).heads(2).references(16),
               StageOptions().depth(1).dim(32).heads(2).references(9)});
}

TEST(SeTformer, VariantsMatchThePapersSizes) {
  // SeTformer paper Table 1 at 224×224 with 1000 classes: parameters within 10%, FLOPs within
  // 20% (the tolerances).
  struct Size {
    std::string name;
    double parameters, flops;
  };
  for (const auto& paper : std::vector<Size>{{"setformer-miny", 16e6, 2.8e9},
                                             {"setformer-tiny", 22e6, 4.1e9},
                                             {"setformer-small", 35e6, 6.9e9},
                                             {"setformer-base", 57e6, 10.2e9}}) {
    SeTformer model(setformer_variant(paper.name));
    const double n = static_cast<double>(parameters(*model));
    EXPECT_NEAR(n / paper.parameters, 1.0, 0.10) << paper.name << " has " << n << " parameters";
    EXPECT_NEAR(model->flops() / paper.flops, 1.0, 0.20)
        << paper.name << ": " << model->flops() / 1e9 << " G";
  }
  testing::expect_invalid_argument([] { setformer_variant("setformer-huge"); },
                                   "unknown model 'setformer-huge'");
}

TEST(SeTformer, FlopsAddUpTheLayers) {
  // Stem, blocks and head of a one-stage model written out by hand.
  auto options = small_for_28x28("softmax").stages({StageOptions().depth(2).dim(16).heads(2)});
  SeTformer model(options);
  const double n = 14 * 14, d = 16;
  const double stem = 28 * 28 * 9 * 1 * 8 + 14 * 14 * 9 * 8 * 16;
  const double block = (4 * n * d * d + 2 * n * n * d) + 2 * n * d * 4 * d;
  EXPECT_DOUBLE_EQ(model->flops(), stem + 2 * block + 16 * 10);
}

TEST(SeTformer, StageGridsFollowTheStridedConvolutions) {
  SeTformer model(setformer_variant("setformer-miny"));
  const std::vector<std::pair<int64_t, int64_t>> expected{{56, 56}, {28, 28}, {14, 14}, {7, 7}};
  EXPECT_EQ(model->stage_grids(), expected);
}

class BackboneWithEveryKernel : public ::testing::TestWithParam<std::string> {};

TEST_P(BackboneWithEveryKernel, TrainsOnFashionMnistSizedInputs) {
  SeTformer model(small_for_28x28(GetParam()));
  EXPECT_EQ(model->stage_grids()[0], std::make_pair(int64_t{14}, int64_t{14}));
  const auto images = torch::randn({3, 1, 28, 28});
  const auto logits = model(images);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 10}));
  torch::nn::functional::cross_entropy(logits, torch::tensor({1, 2, 3})).backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
  model->eval();
  EXPECT_TRUE(model(images).equal(model(images)));
  testing::expect_invalid_argument([&] { model(torch::randn({1, 1, 32, 32})); }, "[B, C, S, S]");
}

INSTANTIATE_TEST_SUITE_P(Kernels, BackboneWithEveryKernel,
                         ::testing::ValuesIn(attention::attention_kernels()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace setformer::models

// Set models composed from configuration: every architecture of the paper's tables is
// permutation-invariant (Proposition 1) and blind to padding, with softmax and SeT encoders;
// image sets; FLOPs that grow as the blocks' costs do; errors that name the option.
#include "setformer/models/set_transformer.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::models {
namespace {

struct Architecture {
  std::string name;
  std::vector<std::string> encoder;
  std::string decoder;
  std::string kernel = "softmax";
  int64_t decoder_sabs = 0;
};

SetTransformerOptions options_for(const Architecture& a) {
  return SetTransformerOptions()
      .input_dim(2)
      .dim(16)
      .heads(2)
      .encoder(a.encoder)
      .decoder(a.decoder)
      .kernel(a.kernel)
      .inducing_points(4)
      .outputs(3)
      .output_dim(5)
      .decoder_sabs(a.decoder_sabs)
      .decoder_layers(1);
}

class EveryArchitecture : public ::testing::TestWithParam<Architecture> {};

TEST_P(EveryArchitecture, IsPermutationInvariantAndBlindToPadding) {
  torch::manual_seed(7);
  SetTransformer model(options_for(GetParam()));
  model->eval();
  const auto x = torch::randn({2, 10, 2});
  const auto out = model(x);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 3, 5}));
  const auto perm = torch::randperm(10);
  EXPECT_LT(testing::max_abs_diff(model(x.index_select(1, perm)), out), 2e-5);
  // Set 0 has 6 elements, set 1 all 10; garbage in the padding.
  const auto pad = testing::padding_for({6, 10}, 10);
  const auto noisy = x.masked_fill(pad.unsqueeze(-1), 1e3);
  const auto batched = model(noisy, pad);
  EXPECT_LT(testing::max_abs_diff(batched[0], model(x.slice(0, 0, 1).slice(1, 0, 6))[0]), 2e-5);
  EXPECT_LT(testing::max_abs_diff(batched[1], out[1]), 2e-5);
  // The encoder alone is equivariant.
  EXPECT_LT(testing::permutation_gap([&](const torch::Tensor& t) { return model->encode(t); }, x),
            2e-5);
}

INSTANTIATE_TEST_SUITE_P(
    PaperRows, EveryArchitecture,
    ::testing::Values(Architecture{"rff_mean", {"fc", "fc", "fc", "fc-linear"}, "mean"},
                      Architecture{"rff_sum", {"fc", "fc-linear"}, "sum"},
                      Architecture{"rff_max", {"fc", "fc-linear"}, "max"},
                      Architecture{"rffp_mean", {"eqmean", "eqmean-linear"}, "mean"},
                      Architecture{"rffp_max", {"eqmax", "eqmax-linear"}, "mean"},
                      Architecture{"rff_dotprod", {"fc", "fc-linear"}, "dotprod"},
                      Architecture{"rff_pma", {"fc", "fc-linear"}, "pma", "softmax", 1},
                      Architecture{"sab_pooling", {"sab", "sab"}, "mean"},
                      Architecture{"sab_pma", {"sab", "sab"}, "pma", "softmax", 1},
                      Architecture{"isab_pma", {"isab", "isab"}, "pma", "softmax", 1},
                      Architecture{"set_sab_pma", {"sab", "sab"}, "pma", "set", 1},
                      Architecture{"set_isab_pma", {"isab"}, "pma", "set", 0},
                      Architecture{"no_encoder", {}, "pma"}),
    [](const auto& p) { return p.param.name; });

TEST(SetTransformer, EncodesSetsOfImages) {
  torch::manual_seed(8);
  SetTransformer model(
      SetTransformerOptions().image_size(28).dim(8).heads(2).encoder({"sab"}).decoder("pma"));
  model->eval();
  const auto x = torch::randn({2, 5, 1, 28, 28});
  EXPECT_EQ(model(x).sizes(), (std::vector<int64_t>{2, 1, 1}));
  const auto pad = testing::padding_for({3, 5}, 5);
  EXPECT_LT(testing::max_abs_diff(model(x, pad)[0], model(x.slice(0, 0, 1).slice(1, 0, 3))[0]),
            2e-5);
  testing::expect_invalid_argument(
      [&] {
        model(torch::randn({2, 5, 1, 14, 14}));
      },
      "[B, n, 1, S, S]");
}

TEST(SetTransformer, FlopsGrowQuadraticallyForSabAndLinearlyForIsab) {
  SetTransformer sab(options_for({"", {"sab", "sab"}, "pma"}));
  SetTransformer isab(options_for({"", {"isab", "isab"}, "pma"}));
  // Doubling n four times: SAB's n² term dominates, ISAB stays linear.
  EXPECT_GT(sab->flops(4096) / sab->flops(256), 100.0);
  EXPECT_LT(isab->flops(4096) / isab->flops(256), 17.0);
  EXPECT_GT(isab->flops(4096) / isab->flops(256), 15.0);
}

TEST(SetTransformer, RejectsBadOptionsNamingThem) {
  testing::expect_invalid_argument(
      [] {
        SetTransformer(options_for({"", {"sab", "conv"}, "pma"}));
      },
      "model.encoder[1] = 'conv'");
  testing::expect_invalid_argument(
      [] {
        SetTransformer(options_for({"", {"sab"}, "median"}));
      },
      "model.decoder = 'median'");
  testing::expect_invalid_argument(
      [] {
        SetTransformer(options_for({"", {"sab"}, "mean", "softmax", 1}));
      },
      "model.decoder_sabs");
  auto lpe = options_for({"", {"sab"}, "pma", "set"});
  lpe.set().positions(attention::Positions::lpe);
  testing::expect_invalid_argument([&] { SetTransformer{lpe}; }, "not permutation-equivariant");
  testing::expect_invalid_argument(
      [] {
        SetTransformer(options_for({"", {"sab"}, "pma", "window"}));
      },
      "model.kernel");
  SetTransformer model(options_for({"", {"sab"}, "pma"}));
  testing::expect_invalid_argument([&] { model(torch::randn({2, 4, 3})); }, "[B, n, input_dim]");
}

}  // namespace
}  // namespace setformer::models

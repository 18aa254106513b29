// The Slot Attention paper's models: the position grid of appendix E.2, masks normalised over the
// slots and the reconstruction they combine, a decoder equivariant in the slots, K and T changed
// at test time, the Slot MLP baseline, the shapes of the CLEVR configuration, and the
// Hungarian-matched Huber loss against brute force over every permutation.
#include "setformer/models/slot_models.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

namespace setformer::models {
namespace {

using testing::max_abs_diff;

ObjectDiscoveryOptions tiny_discovery(Grouping grouping = Grouping::slot_attention) {
  return ObjectDiscoveryOptions()
      .encoder(SlotEncoderOptions()
                   .image_size(16)
                   .channels(8)
                   .grouping(grouping)
                   .mlp_hidden({32})
                   .mlp_resize(4)
                   .slots(nn::SlotAttentionOptions(8).slot_dim(12).mlp_hidden(16).num_slots(3)))
      .decoder_channels(8)
      .decoder_layers(2);
}

TEST(SlotModels, PositionGridMeasuresDistancesToTheFourBorders) {
  const auto grid = position_grid(3, 5);
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{3, 5, 4}));
  EXPECT_TRUE(grid[0][0].allclose(torch::tensor({0.f, 0.f, 1.f, 1.f})));
  EXPECT_TRUE(grid[2][4].allclose(torch::tensor({1.f, 1.f, 0.f, 0.f})));
  EXPECT_TRUE(grid[1][1].allclose(torch::tensor({0.5f, 0.25f, 0.5f, 0.75f})));
}

TEST(SlotModels, MasksSumToOneAndCombineTheSlotPictures) {
  torch::manual_seed(0);
  ObjectDiscovery model(tiny_discovery());
  const auto images = torch::rand({2, 3, 16, 16}) * 2 - 1;
  const auto out = model->forward(images);
  ASSERT_EQ(out.masks.sizes(), (std::vector<int64_t>{2, 3, 1, 16, 16}));
  EXPECT_LT(max_abs_diff(out.masks.sum(1), torch::ones({2, 1, 16, 16})), 1e-5);
  EXPECT_LT(max_abs_diff(out.reconstruction, (out.masks * out.rgb).sum(1)), 1e-6);
  ASSERT_EQ(out.grouped.attention.size(), 3u);
  EXPECT_EQ(out.grouped.attention[0].sizes(), (std::vector<int64_t>{2, 256, 3}));
  // K and T at test time.
  const auto more = model->forward(images, 6, 5);
  EXPECT_EQ(more.masks.size(1), 6);
  EXPECT_EQ(more.grouped.attention.size(), 5u);
}

TEST(SlotModels, DecoderIsEquivariantInTheSlots) {
  torch::manual_seed(1);
  ObjectDiscovery model(tiny_discovery());
  const auto slots = torch::randn({2, 3, 12});
  const auto perm = torch::tensor({2, 0, 1});
  const auto [rgb, logits] = model->decode(slots);
  const auto [rgb_p, logits_p] = model->decode(slots.index_select(1, perm));
  EXPECT_LT(max_abs_diff(rgb_p, rgb.index_select(1, perm)), 1e-5);
  EXPECT_LT(max_abs_diff(logits_p, logits.index_select(1, perm)), 1e-5);
}

// The decoder's first layer is one product per slot instead of a convolution of the broadcast
// grid (first_decoder_layer); the paper's convolution is the reference, in double precision, for
// the output and for the gradients of the slots and of every decoder weight, with and without
// the upsampling (transposed) first layer.
TEST(SlotModels, FirstDecoderLayerShortcutMatchesConvolvingTheBroadcastGrid) {
  for (const int64_t resolution : {0, 4}) {
    SCOPED_TRACE(resolution);
    torch::manual_seed(3);
    auto options = tiny_discovery();
    options.decoder_resolution(resolution).decoder_layers(3);
    ObjectDiscovery model(options);
    model->to(torch::kFloat64);
    const auto slots = torch::randn({2, 3, 12}, torch::kFloat64).requires_grad_(true);
    const auto weights = torch::randn({2, 3, 4, 16, 16}, torch::kFloat64);

    const auto gradients = [&](bool reference) {
      model->zero_grad();
      slots.mutable_grad() = torch::Tensor();
      const auto [rgb, logits] = reference ? model->decode_reference(slots) : model->decode(slots);
      const auto out = torch::cat({rgb, logits}, 2);
      (out * weights).sum().backward();
      std::vector<torch::Tensor> all{out.detach(), slots.grad().clone()};
      for (const auto& p : model->decoder->parameters()) all.push_back(p.grad().clone());
      for (const auto& p : model->decoder_position->parameters()) all.push_back(p.grad().clone());
      return all;
    };
    const auto fast = gradients(false), reference = gradients(true);
    ASSERT_EQ(fast.size(), reference.size());
    for (size_t i = 0; i < fast.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_GT(reference[i].abs().max().item<double>(), 1e-3);  // the comparison has substance
      EXPECT_LT(max_abs_diff(fast[i], reference[i]), 1e-10);
    }
  }
}

TEST(SlotModels, UpsamplingDecoderReachesTheImageSize) {
  auto options = tiny_discovery();
  options.decoder_resolution(4).decoder_layers(3);
  ObjectDiscovery model(options);
  EXPECT_EQ(model->forward(torch::zeros({1, 3, 16, 16})).masks.sizes(),
            (std::vector<int64_t>{1, 3, 1, 16, 16}));
  options.decoder_resolution(5);
  testing::expect_invalid_argument([&] { ObjectDiscovery bad(options); },
                                   "model.decoder_resolution");
}

TEST(SlotModels, SlotMlpBaselineHasAFixedNumberOfSlots) {
  torch::manual_seed(2);
  ObjectDiscovery model(tiny_discovery(Grouping::slot_mlp));
  const auto out = model->forward(torch::rand({2, 3, 16, 16}));
  EXPECT_EQ(out.masks.sizes(), (std::vector<int64_t>{2, 3, 1, 16, 16}));
  EXPECT_TRUE(out.grouped.attention.empty());
  testing::expect_invalid_argument(
      [&] {
        model->forward(torch::rand({2, 3, 16, 16}), 5);
      },
      "fixed number of slots");
  EXPECT_GT(model->flops(), 0.0);
}

TEST(SlotModels, SetPredictionOutputsOneVectorPerSlot) {
  torch::manual_seed(3);
  SetPrediction model{SetPredictionOptions()};
  EXPECT_EQ(model->encoder->feature_size, 16);  // 64 halved twice (Table 4's strides)
  const auto out = model->forward(torch::rand({2, 3, 64, 64}));
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 10, 18}));
  EXPECT_GT(out.min().item<float>(), 0.0f);
  EXPECT_LT(out.max().item<float>(), 1.0f);
}

TEST(SlotModels, SetPredictionReadsTheSlotsOfEveryIteration) {
  torch::manual_seed(3);
  SetPrediction model{SetPredictionOptions()};
  const auto images = torch::rand({2, 3, 64, 64});
  torch::manual_seed(5);
  const auto every = model->predict_every_iteration(images, 0, 4);
  torch::manual_seed(5);  // the same slot draws
  const auto grouped = model->encoder->forward(images, 0, 4);
  ASSERT_EQ(every.size(), 4u);
  for (size_t t = 0; t < every.size(); ++t) {
    EXPECT_LT(max_abs_diff(every[t], model->head->forward(grouped.iterates[t])), 1e-6) << t;
  }
  // The last is what forward predicts with T = 4.
  torch::manual_seed(5);
  EXPECT_LT(max_abs_diff(every.back(), model->forward(images, 0, 4)), 1e-6);
  auto options = SetPredictionOptions();
  options.encoder().grouping(Grouping::slot_mlp).mlp_resize(4);
  SetPrediction mlp{options};
  testing::expect_invalid_argument([&] { mlp->predict_every_iteration(images); },
                                   "only Slot Attention");
}

TEST(SlotModels, ChannelsLastConvolutionsMatchNchwWithGradients) {
  // The same weights (construction does not depend on the layout) and the same slot draws.
  auto run = [](bool channels_last) {
    torch::manual_seed(4);
    auto options = SetPredictionOptions();
    options.encoder().channels_last(channels_last);
    SetPrediction model{options};
    const auto images = torch::rand({2, 3, 64, 64}) * 2 - 1;
    const auto out = model->forward(images);
    (out * torch::linspace(0, 1, out.numel()).view_as(out)).sum().backward();
    const auto& conv = model->encoder->cnn[0]->as<torch::nn::Conv2dImpl>()->weight;
    return std::make_pair(out.detach(), conv.grad().clone());
  };
  const auto [nchw, nchw_grad] = run(false);
  const auto [last, last_grad] = run(true);
  // The two layouts may sum in another order: float32 rounding, outputs in (0, 1).
  EXPECT_LT(max_abs_diff(last, nchw), 1e-5) << "outputs";
  EXPECT_LT(max_abs_diff(last_grad, nchw_grad), 1e-4 * nchw_grad.abs().max().item<double>())
      << "first convolution's weight gradient";
  EXPECT_GT(nchw_grad.abs().max().item<double>(), 0.0);
}

/// The loss minimised over every assignment, by enumeration.
double brute_force_loss(const torch::Tensor& predicted, const torch::Tensor& target) {
  const int64_t batch = predicted.size(0), k = predicted.size(1);
  double total = 0;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int64_t> perm(static_cast<size_t>(k));
    std::iota(perm.begin(), perm.end(), 0);
    double best = 1e300;
    do {
      double sum = 0;
      for (int64_t i = 0; i < k; ++i) {
        const auto d = (predicted[b][i] - target[b][perm[static_cast<size_t>(i)]]).abs();
        sum += torch::where(d < 1, 0.5 * d * d, d - 0.5).sum().item<double>();
      }
      best = std::min(best, sum);
    } while (std::next_permutation(perm.begin(), perm.end()));
    total += best;
  }
  return total / static_cast<double>(batch * k);
}

TEST(SlotModels, MatchedHuberLossIsTheMinimumOverAssignments) {
  torch::manual_seed(4);
  const auto predicted = torch::randn({3, 4, 5}, torch::kDouble).requires_grad_();
  const auto target = torch::randn({3, 4, 5}, torch::kDouble) * 2;
  const auto loss = matched_huber_loss(predicted, target);
  EXPECT_NEAR(loss.item<double>(), brute_force_loss(predicted.detach(), target), 1e-12);
  // Invariant to the order of the targets.
  const auto perm = torch::tensor({3, 1, 0, 2});
  EXPECT_NEAR(matched_huber_loss(predicted, target.index_select(1, perm)).item<double>(),
              loss.item<double>(), 1e-12);
  loss.backward();
  EXPECT_GT(predicted.grad().abs().sum().item<double>(), 0.0);
  testing::expect_invalid_argument([&] { matched_huber_loss(predicted, target.slice(1, 0, 3)); },
                                   "padded to the K slots");
}

}  // namespace
}  // namespace setformer::models

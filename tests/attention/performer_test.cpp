// Performer (FAVOR+): the random features estimate the softmax kernel, so the layer converges to
// softmax attention with the same projections as the features grow; the orthogonal blocks; the
// stored draw and redrawing; and padding that cannot disturb the keys' shift.
#include "setformer/attention/performer.h"

#include "setformer/attention/softmax.h"

#include "common/attention_helpers.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

/// A performer with m features and a softmax layer with the same projections, in double.
std::pair<Attention, Attention> twins(int64_t features) {
  torch::manual_seed(8);
  auto softmax = make_attention(AttentionOptions(16, 2).kernel("softmax"));
  auto options = AttentionOptions(16, 2).kernel("performer");
  options.performer().features(features);
  auto performer = make_attention(options);
  softmax->to(torch::kDouble);
  performer->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  for (const auto& item : softmax->named_parameters()) {
    performer->named_parameters()[item.key()].copy_(item.value());
  }
  return {softmax, performer};
}

TEST(Performer, ConvergesToSoftmaxAsFeaturesGrow) {
  const auto x = 0.5 * torch::randn({2, 10, 16}, torch::kDouble);
  const auto padding = testing::padding_for({10, 7}, 10);
  double previous = 1e9;
  for (const int64_t m : {16, 256, 16384}) {
    auto [softmax, performer] = twins(m);
    const auto expected = softmax(x, x, Mask().padding(padding));
    const double error = max_abs_diff(performer(x, x, Mask().padding(padding)), expected);
    EXPECT_LT(error, previous) << "m = " << m;
    previous = error;
  }
  EXPECT_LT(previous, 0.03);  // m = 16384
}

TEST(Performer, FeaturesAreOrthogonalInBlocksAndStoredWithTheModel) {
  torch::manual_seed(1);
  auto options = AttentionOptions(16, 2).kernel("performer");
  options.performer().features(20);  // blocks of d_h = 8: 8 + 8 + 4 rows
  PerformerAttention layer(options);
  const auto w = layer->omega;
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{20, 8}));
  const auto directions = w / w.norm(2, 1, true);
  const auto gram = directions.slice(0, 0, 8).mm(directions.slice(0, 0, 8).t());
  EXPECT_LT(max_abs_diff(gram, torch::eye(8)), 1e-5);
  EXPECT_TRUE(layer->named_buffers().contains("omega"));
  // Evaluation keeps the draw; training with redraw takes a new one.
  const auto x = torch::randn({1, 5, 16});
  layer->eval();
  EXPECT_TRUE(layer(x, x).equal(layer(x, x)));
  options.performer().redraw(true);
  PerformerAttention redrawing(options);
  const auto before = redrawing->omega.clone();
  redrawing->train();
  redrawing(x, x);
  EXPECT_GT(max_abs_diff(redrawing->omega, before), 1e-3);
}

TEST(Performer, HugePaddedKeysDoNotDisturbTheShift) {
  auto [softmax, performer] = twins(64);
  auto x = torch::randn({1, 8, 16}, torch::kDouble);
  const auto padding = testing::padding_for({5}, 8);
  const auto clean = performer(x, x, Mask().padding(padding));
  x.slice(1, 5).fill_(1e3);
  const auto dirty = performer(x, x, Mask().padding(padding));
  EXPECT_LT(max_abs_diff(dirty.slice(1, 0, 5), clean.slice(1, 0, 5)), 1e-12);
}

}  // namespace
}  // namespace setformer::attention

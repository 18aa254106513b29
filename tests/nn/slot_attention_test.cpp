// Slot Attention (Locatello et al. 2020): the module against Algorithm 1 written out by hand in
// double precision (softmax, LayerNorm and GRU from their formulas), Proposition 1 (invariance in
// the inputs, equivariance in the slots), weights that sum to one over the slots, padding that
// changes nothing, K and T changed at test time, each ablation, and the transport variant's
// balanced columns.
#include "setformer/nn/slot_attention.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::nn {
namespace {

using testing::max_abs_diff;

/// LayerNorm over the last dimension by its formula.
torch::Tensor layer_norm(const torch::Tensor& x, torch::nn::LayerNorm& norm) {
  const auto mean = x.mean(-1, true);
  const auto var = (x - mean).pow(2).mean(-1, true);
  return (x - mean) / (var + norm->options.eps()).sqrt() * norm->weight + norm->bias;
}

/// One GRU step from Cho et al.'s equations, gates in PyTorch's order (r, z, n).
torch::Tensor gru_step(const torch::Tensor& x, const torch::Tensor& h, torch::nn::GRUCell& cell) {
  const auto gi = x.matmul(cell->weight_ih.t()) + cell->bias_ih;
  const auto gh = h.matmul(cell->weight_hh.t()) + cell->bias_hh;
  const auto i = gi.chunk(3, -1), g = gh.chunk(3, -1);
  const auto r = torch::sigmoid(i[0] + g[0]);
  const auto z = torch::sigmoid(i[1] + g[1]);
  const auto n = torch::tanh(i[2] + r * g[2]);
  return (1 - z) * n + z * h;
}

/// Algorithm 1 for one example, the softmax over slots and the weighted mean written as loops.
/// inputs [N, D_in], slots [K, D] -> [K, D].
torch::Tensor algorithm1(SlotAttentionImpl& sa, const torch::Tensor& inputs, torch::Tensor slots,
                         int64_t iterations) {
  const int64_t n = inputs.size(0), k = slots.size(0), d = slots.size(1);
  const auto x = layer_norm(inputs, sa.norm_inputs);
  const auto keys = x.matmul(sa.project_k->weight.t());
  const auto values = x.matmul(sa.project_v->weight.t());
  for (int64_t t = 0; t < iterations; ++t) {
    const auto previous = slots;
    const auto q = layer_norm(slots, sa.norm_slots).matmul(sa.project_q->weight.t());
    auto attn = torch::zeros({n, k}, torch::kDouble);
    for (int64_t i = 0; i < n; ++i) {
      double total = 0;
      for (int64_t j = 0; j < k; ++j) {
        const double logit = keys[i].dot(q[j]).item<double>() / std::sqrt(static_cast<double>(d));
        attn[i][j] = std::exp(logit);
        total += std::exp(logit);
      }
      attn[i] /= total;
    }
    auto updates = torch::zeros({k, d}, torch::kDouble);
    for (int64_t j = 0; j < k; ++j) {
      double mass = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double w = attn[i][j].item<double>() + sa.options.epsilon();
        updates[j] += w * values[i];
        mass += w;
      }
      updates[j] /= mass;
    }
    slots = gru_step(updates, previous, sa.gru);
    const auto hidden =
        torch::relu(layer_norm(slots, sa.norm_mlp).matmul(sa.mlp1->weight.t()) + sa.mlp1->bias);
    slots = slots + hidden.matmul(sa.mlp2->weight.t()) + sa.mlp2->bias;
  }
  return slots;
}

SlotAttention small_module(SlotNormalisation normalisation = SlotNormalisation::slots) {
  torch::manual_seed(3);
  SlotAttention sa(
      SlotAttentionOptions(6).slot_dim(8).mlp_hidden(12).num_slots(4).normalisation(normalisation));
  sa->to(torch::kDouble);
  return sa;
}

TEST(SlotAttention, MatchesAlgorithm1InDoublePrecision) {
  auto sa = small_module();
  const auto inputs = torch::randn({2, 9, 6}, torch::kDouble);
  const auto slots = sa->sample_slots(2, 4);
  const auto out = sa->forward(inputs, slots).slots;
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 4, 8}));
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_LT(max_abs_diff(out[b], algorithm1(*sa, inputs[b], slots[b], 3)), 1e-12);
  }
}

TEST(SlotAttention, InvariantToInputOrderAndEquivariantInSlots) {
  for (const auto normalisation :
       {SlotNormalisation::slots, SlotNormalisation::inputs, SlotNormalisation::transport}) {
    auto sa = small_module(normalisation);
    const auto inputs = torch::randn({2, 11, 6}, torch::kDouble);
    const auto slots = sa->sample_slots(2, 4);
    const auto base = sa->forward(inputs, slots).slots;
    const auto input_perm = torch::randperm(11);
    const auto slot_perm = torch::tensor({2, 0, 3, 1});
    const auto moved =
        sa->forward(inputs.index_select(1, input_perm), slots.index_select(1, slot_perm)).slots;
    EXPECT_LT(max_abs_diff(moved, base.index_select(1, slot_perm)), 1e-10) << normalisation;
  }
}

TEST(SlotAttention, WeightsSumToOneOverSlotsAndTransportBalancesThem) {
  const auto inputs = torch::randn({3, 10, 6}, torch::kDouble);
  auto sa = small_module();
  for (const auto& attn : sa->forward(inputs).attention) {
    EXPECT_LT(max_abs_diff(attn.sum(-1), torch::ones({3, 10}, torch::kDouble)), 1e-12);
  }
  auto balanced = small_module(SlotNormalisation::transport);
  const auto out = balanced->forward(inputs);
  ASSERT_EQ(out.attention.size(), 3u);
  for (const auto& attn : out.attention) {
    // Each slot receives N/K of the N units; each input spreads about one unit.
    EXPECT_LT(max_abs_diff(attn.sum(1), torch::full({3, 4}, 10.0 / 4, torch::kDouble)), 1e-9);
    EXPECT_LT(max_abs_diff(attn.sum(-1), torch::ones({3, 10}, torch::kDouble)), 0.1);
  }
  // Softmax over inputs (ablation): columns sum to one instead.
  auto columns = small_module(SlotNormalisation::inputs);
  const auto attn = columns->forward(inputs).attention.back();
  EXPECT_LT(max_abs_diff(attn.sum(1), torch::ones({3, 4}, torch::kDouble)), 1e-12);
}

TEST(SlotAttention, PaddedInputsChangeNothing) {
  for (const auto normalisation :
       {SlotNormalisation::slots, SlotNormalisation::inputs, SlotNormalisation::transport}) {
    auto sa = small_module(normalisation);
    const auto inputs = torch::randn({2, 7, 6}, torch::kDouble);
    const auto slots = sa->sample_slots(2, 4);
    // Example 0 keeps 7 inputs, example 1 keeps 4, padded with garbage.
    auto padded = torch::cat({inputs, 100 * torch::randn({2, 3, 6}, torch::kDouble)}, 1);
    auto padding = torch::zeros({2, 10}, torch::kBool);
    padding.slice(1, 7).fill_(true);
    padding[1].slice(0, 4).fill_(true);
    const auto out = sa->forward(padded, slots, padding);
    EXPECT_LT(max_abs_diff(out.slots[0],
                           sa->forward(inputs.slice(0, 0, 1), slots.slice(0, 0, 1)).slots[0]),
              1e-10)
        << normalisation;
    EXPECT_LT(max_abs_diff(
                  out.slots[1],
                  sa->forward(inputs.slice(0, 1, 2).slice(1, 0, 4), slots.slice(0, 1, 2)).slots[0]),
              1e-10)
        << normalisation;
    EXPECT_EQ(out.attention.back().masked_select(padding.unsqueeze(-1)).abs().max().item<double>(),
              0.0);
  }
}

TEST(SlotAttention, SlotsAndIterationsChangeAtTestTime) {
  auto sa = small_module();
  const auto inputs = torch::randn({2, 9, 6}, torch::kDouble);
  const auto slots = sa->sample_slots(2, 6);
  const auto out = sa->forward(inputs, slots, {}, 5);
  EXPECT_EQ(out.slots.sizes(), (std::vector<int64_t>{2, 6, 8}));
  EXPECT_EQ(out.attention.size(), 5u);
  EXPECT_LT(max_abs_diff(out.slots[1], algorithm1(*sa, inputs[1], slots[1], 5)), 1e-12);
  // Sampled slots follow N(μ, σ²) per dimension.
  torch::manual_seed(0);
  const auto many = sa->sample_slots(4000, 5).reshape({-1, 8});
  EXPECT_LT(max_abs_diff(many.mean(0), sa->mu), 0.05);
  EXPECT_LT(max_abs_diff(many.std(0), sa->log_sigma.exp()), 0.05);
}

TEST(SlotAttention, KeepsTheSlotsOfEveryIteration) {
  auto sa = small_module();
  const auto inputs = torch::randn({2, 9, 6}, torch::kDouble);
  const auto slots = sa->sample_slots(2, 4);
  const auto out = sa->forward(inputs, slots, {}, 4);
  ASSERT_EQ(out.iterates.size(), 4u);
  EXPECT_TRUE(out.iterates.back().equal(out.slots));
  // The slots after iteration t are Algorithm 1 run for t iterations from the same slots.
  for (int64_t t = 1; t <= 4; ++t) {
    EXPECT_LT(max_abs_diff(out.iterates[static_cast<size_t>(t - 1)][0],
                           algorithm1(*sa, inputs[0], slots[0], t)),
              1e-12)
        << "t = " << t;
  }
  EXPECT_GT(max_abs_diff(out.iterates[0], out.iterates[1]), 1e-3);
}

TEST(SlotAttention, AblationsFollowTheirDefinitions) {
  torch::manual_seed(4);
  const auto inputs = torch::randn({2, 9, 6}, torch::kDouble);
  // Without GRU and MLP one iteration returns the update itself: the weighted mean of v(inputs).
  SlotAttention bare(
      SlotAttentionOptions(6).slot_dim(8).num_slots(3).iterations(1).gru(false).mlp(false));
  bare->to(torch::kDouble);
  const auto out = bare->forward(inputs);
  const auto values = bare->project_v(bare->norm_inputs(inputs));
  const auto w = out.attention[0] + 1e-8;
  EXPECT_LT(max_abs_diff(out.slots, (w / w.sum(1, true)).transpose(1, 2).bmm(values)), 1e-12);
  EXPECT_TRUE(bare->gru.is_empty());
  // The weighted sum leaves the weights unnormalised.
  SlotAttention sum(SlotAttentionOptions(6)
                        .slot_dim(8)
                        .num_slots(3)
                        .iterations(1)
                        .gru(false)
                        .mlp(false)
                        .weighted_mean(false));
  sum->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  for (const auto& item : bare->named_parameters()) {
    sum->named_parameters()[item.key()].copy_(item.value());
  }
  const auto slots = bare->sample_slots(2, 3);
  const auto summed = sum->forward(inputs, slots);
  EXPECT_LT(max_abs_diff(summed.slots, (summed.attention[0] + 1e-8).transpose(1, 2).bmm(values)),
            1e-12);
}

TEST(SlotAttention, GradientsReachEveryParameter) {
  auto sa = small_module();
  const auto inputs = torch::randn({2, 9, 6}, torch::kDouble);
  sa->forward(inputs).slots.pow(2).sum().backward();
  for (const auto& item : sa->named_parameters()) {
    const auto grad = item.value().grad();
    ASSERT_TRUE(grad.defined()) << item.key();
    EXPECT_GT(grad.abs().sum().item<double>(), 0.0) << item.key();
  }
}

TEST(SlotAttention, RejectsBadShapes) {
  auto sa = small_module();
  testing::expect_invalid_argument(
      [&] {
        sa->forward(torch::randn({2, 9, 5}));
      },
      "slot attention inputs");
  testing::expect_invalid_argument(
      [&] {
        sa->forward(torch::randn({2, 9, 6}, torch::kDouble), torch::randn({3, 4, 8}));
      },
      "initial slots");
  testing::expect_invalid_argument(
      [&] {
        sa->forward(torch::randn({2, 9, 6}, torch::kDouble), {}, torch::zeros({2, 9}));
      },
      "bool");
}

}  // namespace
}  // namespace setformer::nn

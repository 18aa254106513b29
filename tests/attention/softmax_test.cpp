// Scaled dot-product attention against the formula written out per head in double precision,
// and its causal mask.
#include "setformer/attention/softmax.h"

#include "common/attention_helpers.h"

#include <gtest/gtest.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

/// softmax(Q Kᵀ/√d_h + mask) V for one sequence, head by head, with explicit loops for the mask.
torch::Tensor reference(SoftmaxAttentionImpl& layer, const torch::Tensor& xq,
                        const torch::Tensor& xc, const torch::Tensor& key_padding, bool causal) {
  auto p = layer.named_parameters();
  const auto proj = [&](const std::string& name, const torch::Tensor& x) {
    return x.mm(p[name + ".weight"].t()) + p[name + ".bias"];
  };
  const auto q = proj("w_q", xq), k = proj("w_k", xc), v = proj("w_v", xc);
  const int64_t heads = layer.options().heads(), dh = layer.options().dim() / heads;
  const int64_t nq = xq.size(0), nk = xc.size(0);
  std::vector<torch::Tensor> outs;
  for (int64_t h = 0; h < heads; ++h) {
    const auto cols = torch::indexing::Slice(h * dh, (h + 1) * dh);
    auto scores = q.index({torch::indexing::Slice(), cols})
                      .mm(k.index({torch::indexing::Slice(), cols}).t()) /
                  std::sqrt(static_cast<double>(dh));
    for (int64_t i = 0; i < nq; ++i) {
      for (int64_t j = 0; j < nk; ++j) {
        const bool hidden =
            (key_padding.defined() && key_padding[j].item<bool>()) || (causal && j > i + (nk - nq));
        if (hidden) scores[i][j] = -INFINITY;
      }
    }
    outs.push_back(torch::softmax(scores, 1).mm(v.index({torch::indexing::Slice(), cols})));
  }
  return proj("w_o", torch::cat(outs, 1));
}

TEST(SoftmaxAttention, MatchesPerHeadFormulaInDouble) {
  SoftmaxAttention layer(AttentionOptions(12, 3));
  layer->to(torch::kDouble);
  const auto xq = torch::randn({1, 5, 12}, torch::kDouble);
  const auto xc = torch::randn({1, 7, 12}, torch::kDouble);
  auto pad = torch::zeros({1, 7}, torch::kBool);
  pad[0][2] = true;
  pad[0][6] = true;
  for (const bool causal : {false, true}) {
    const auto got = layer(xq, xc, Mask().padding(pad).causal(causal))[0];
    const auto want = reference(*layer, xq[0], xc[0], pad[0], causal);
    EXPECT_LT(max_abs_diff(got, want), 1e-12) << "causal = " << causal;
  }
}

TEST(SoftmaxAttention, FlopsFollowTheFormula) {
  SoftmaxAttention layer(AttentionOptions(12, 3));
  // Projections of 5 queries (W_q, W_o) and 7 context tokens (W_k, W_v), scores and sum.
  EXPECT_DOUBLE_EQ(layer->flops(5, 7), 2 * 5 * 144 + 2 * 7 * 144 + 2 * 5 * 7 * 12);
}

TEST(SoftmaxAttention, CausalOutputIgnoresTheFuture) {
  SoftmaxAttention layer(AttentionOptions(16, 4));
  layer->eval();
  auto x = torch::randn({2, 9, 16});
  const auto before = layer(x, x, Mask().causal(true));
  auto changed = x.clone();
  changed.slice(1, 5).normal_();  // rewrite tokens 5..8
  const auto after = layer(changed, changed, Mask().causal(true));
  EXPECT_LT(max_abs_diff(before.slice(1, 0, 5), after.slice(1, 0, 5)), 1e-6);
  EXPECT_GT(max_abs_diff(before.slice(1, 5), after.slice(1, 5)), 1e-3);
}

TEST(SoftmaxAttention, UniformValuesPassThrough) {
  // Attention weights are a probability distribution: equal values come out unchanged.
  SoftmaxAttention layer(AttentionOptions(8, 2));
  torch::NoGradGuard no_grad;
  layer->named_parameters()["w_v.weight"].zero_();
  const auto x = torch::randn({2, 6, 8});
  const auto expected =
      layer->named_parameters()["w_o.bias"] +
      layer->named_parameters()["w_v.bias"].matmul(layer->named_parameters()["w_o.weight"].t());
  EXPECT_LT(max_abs_diff(layer(x, x, Mask().causal(true)), expected.expand({2, 6, 8})), 1e-6);
}

}  // namespace
}  // namespace setformer::attention

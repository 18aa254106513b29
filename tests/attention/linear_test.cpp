// Linear attention (Katharopoulos et al. 2020) against its defining formula written as a dense
// n_q×n_ctx matrix of φ(q_i)ᵀφ(k_j), normalised per row, in double precision; with padding, with
// the causal mask, and the causal form's independence from later tokens.
#include "setformer/attention/linear.h"

#include "common/attention_helpers.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

/// The dense formula for one sequence: A_ij = φ(q_i)·φ(k_j) over the visible j, rows normalised.
torch::Tensor dense_reference(LinearAttentionImpl& layer, const torch::Tensor& xq,
                              const torch::Tensor& xc, const torch::Tensor& key_padding,
                              bool causal) {
  auto p = layer.named_parameters();
  const auto proj = [&](const std::string& name, const torch::Tensor& x) {
    return x.mm(p[name + ".weight"].t()) + p[name + ".bias"];
  };
  const auto phi = [](const torch::Tensor& x) {  // elu(x) + 1 written out
    return torch::where(x > 0, x + 1, torch::exp(x));
  };
  const auto q = proj("w_q", xq), k = proj("w_k", xc), v = proj("w_v", xc);
  const int64_t heads = layer.options().heads(), dh = layer.options().dim() / heads;
  const int64_t nq = xq.size(0), nk = xc.size(0);
  std::vector<torch::Tensor> outs;
  for (int64_t h = 0; h < heads; ++h) {
    const auto cols = torch::indexing::Slice(h * dh, (h + 1) * dh);
    auto a = phi(q.index({torch::indexing::Slice(), cols}))
                 .mm(phi(k.index({torch::indexing::Slice(), cols})).t());
    for (int64_t i = 0; i < nq; ++i) {
      for (int64_t j = 0; j < nk; ++j) {
        if ((key_padding.defined() && key_padding[j].item<bool>()) || (causal && j > i)) {
          a[i][j] = 0.0;
        }
      }
    }
    a = a / a.sum(1, /*keepdim=*/true);
    outs.push_back(a.mm(v.index({torch::indexing::Slice(), cols})));
  }
  return proj("w_o", torch::cat(outs, 1));
}

LinearAttention make_layer() {
  torch::manual_seed(5);
  LinearAttention layer(AttentionOptions(16, 4).kernel("linear"));
  layer->to(torch::kDouble);
  return layer;
}

TEST(LinearAttention, MatchesTheDenseFormulaWithPadding) {
  auto layer = make_layer();
  const auto xq = torch::randn({2, 5, 16}, torch::kDouble);
  const auto xc = torch::randn({2, 7, 16}, torch::kDouble);
  const auto padding = testing::padding_for({7, 4}, 7);
  const auto out = layer->forward(xq, xc, Mask().padding(padding));
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_LT(max_abs_diff(out[b], dense_reference(*layer, xq[b], xc[b], padding[b], false)),
              1e-12);
  }
}

TEST(LinearAttention, CausalFormIsThePrefixOfTheDenseFormula) {
  auto layer = make_layer();
  const auto x = torch::randn({2, 9, 16}, torch::kDouble);
  const auto out = layer->forward(x, x, Mask().causal(true));
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_LT(max_abs_diff(out[b], dense_reference(*layer, x[b], x[b], {}, true)), 1e-12);
  }
  // Changing later tokens leaves earlier outputs alone.
  auto changed = x.clone();
  changed.slice(1, 6).normal_();
  const auto again = layer->forward(changed, changed, Mask().causal(true));
  EXPECT_LT(max_abs_diff(again.slice(1, 0, 6), out.slice(1, 0, 6)), 1e-12);
  EXPECT_GT(max_abs_diff(again.slice(1, 6), out.slice(1, 6)), 1e-3);
}

TEST(LinearAttention, FeatureMapIsPositive) {
  const auto x = torch::linspace(-30, 30, 101, torch::kDouble);
  const auto phi = LinearAttentionImpl::feature_map(x);
  EXPECT_GT(phi.min().item<double>(), 0.0);
  EXPECT_LT(max_abs_diff(phi.slice(0, 51), x.slice(0, 51) + 1), 1e-15);
}

}  // namespace
}  // namespace setformer::attention

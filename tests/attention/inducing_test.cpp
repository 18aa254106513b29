// The `isab` kernel: two hops of softmax attention through learned inducing points, checked
// against the formula written out head by head in double precision.
#include "setformer/attention/inducing.h"

#include "common/attention_helpers.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

/// Multi-head softmax attention of `queries` [n_q, d] over `context` [n_ctx, d] with the
/// projections named prefix.w_q ... prefix.w_o, context tokens where `hidden` is true left out.
torch::Tensor dense_attention(const torch::OrderedDict<std::string, torch::Tensor>& p,
                              const std::string& prefix, const torch::Tensor& queries,
                              const torch::Tensor& context, const torch::Tensor& hidden,
                              int64_t heads) {
  const auto project = [&](const std::string& w, const torch::Tensor& t) {
    return torch::addmm(p[prefix + w + ".bias"], t, p[prefix + w + ".weight"].t());
  };
  const auto q = project("w_q", queries), k = project("w_k", context), v = project("w_v", context);
  const int64_t dh = q.size(1) / heads;
  std::vector<torch::Tensor> out;
  for (int64_t h = 0; h < heads; ++h) {
    const auto scores = q.slice(1, h * dh, (h + 1) * dh)
                            .mm(k.slice(1, h * dh, (h + 1) * dh).t())
                            .div(std::sqrt(static_cast<double>(dh)))
                            .masked_fill(hidden.unsqueeze(0), -1e300);
    out.push_back(torch::softmax(scores, -1).mm(v.slice(1, h * dh, (h + 1) * dh)));
  }
  return project("w_o", torch::cat(out, 1));
}

TEST(InducingAttention, IsTwoSoftmaxHopsThroughTheInducingPoints) {
  torch::manual_seed(4);
  auto options = AttentionOptions(16, 2).kernel("isab");
  options.inducing().points(5);
  auto attn = make_attention(options);
  attn->to(torch::kDouble);
  const auto query = torch::randn({2, 7, 16}, torch::kDouble);
  const auto context = torch::randn({2, 9, 16}, torch::kDouble);
  const auto padding = testing::padding_for({9, 4}, 9);
  const auto got = attn(query, context, Mask().padding(padding));
  const auto p = attn->named_parameters();
  for (int64_t b = 0; b < 2; ++b) {
    const auto gathered = dense_attention(p, "gather.", p["inducing"], context[b], padding[b], 2);
    const auto expected =
        dense_attention(p, "spread.", query[b], gathered, torch::zeros({5}, torch::kBool), 2);
    EXPECT_LT(max_abs_diff(got[b], expected), 1e-10) << "batch element " << b;
  }
}

TEST(InducingAttention, HasItsInducingPointsAndRejectsNone) {
  auto options = AttentionOptions(16, 2).kernel("isab");
  options.inducing().points(7);
  InducingAttention attn(options);
  EXPECT_EQ(attn->inducing.sizes(), (std::vector<int64_t>{7, 16}));
  EXPECT_TRUE(attn->named_parameters().contains("inducing"));
  options.inducing().points(0);
  EXPECT_THROW(make_attention(options), std::invalid_argument);
}

}  // namespace
}  // namespace setformer::attention

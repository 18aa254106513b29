// Set blocks (Set Transformer §3, DeepSets Eq. 4): MAB against its formula computed by hand in
// double precision, Property 1 (SAB/ISAB equivariance) and PMA invariance with every
// equivariant kernel, padding invariance, Lemma 1 (a zero seed pools by the mean), the
// equivariant layer and Dotprod pooling against their formulas, and masked pooling.
#include "setformer/nn/set_blocks.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::nn {
namespace {

torch::Tensor param(torch::nn::Module& m, const std::string& name) {
  return m.named_parameters()[name];
}

/// LayerNorm over the last dimension with the module's gain and bias, by hand.
torch::Tensor layer_norm(const torch::Tensor& x, torch::nn::LayerNorm& norm) {
  const auto mean = x.mean(-1, true);
  const auto var = (x - mean).pow(2).mean(-1, true);
  return (x - mean) / (var + norm->options.eps()).sqrt() * norm->weight + norm->bias;
}

TEST(Mab, MatchesTheFormulaInDoublePrecision) {
  torch::manual_seed(1);
  Mab mab(MabOptions(attention::AttentionOptions(8, 2)));
  mab->to(torch::kDouble);
  mab->eval();
  const auto x = torch::randn({2, 3, 8}, torch::kDouble);
  const auto y = torch::randn({2, 5, 8}, torch::kDouble);
  // Multihead(X, Y, Y) by hand: per head h, softmax(Q_h K_hᵀ / √d_h) V_h, then W_O.
  const auto lin = [&](const torch::Tensor& t, const std::string& w) {
    return t.matmul(param(*mab, "attn." + w + ".weight").t()) + param(*mab, "attn." + w + ".bias");
  };
  const auto q = lin(x, "w_q"), k = lin(y, "w_k"), v = lin(y, "w_v");
  std::vector<torch::Tensor> heads;
  for (int64_t h = 0; h < 2; ++h) {
    const auto qh = q.slice(2, 4 * h, 4 * h + 4), kh = k.slice(2, 4 * h, 4 * h + 4),
               vh = v.slice(2, 4 * h, 4 * h + 4);
    heads.push_back(torch::softmax(qh.matmul(kh.transpose(1, 2)) / 2.0, -1).matmul(vh));
  }
  const auto attn = lin(torch::cat(heads, 2), "w_o");
  const auto h = layer_norm(x + attn, mab->norm1);
  const auto ff = torch::relu(h.matmul(mab->ff->weight.t()) + mab->ff->bias);
  const auto expected = layer_norm(h + ff, mab->norm2);
  EXPECT_LT(testing::max_abs_diff(mab(x, y), expected), 1e-12);

  // Without LayerNorms: H = X + Multihead, out = H + rFF(H).
  Mab plain(MabOptions(attention::AttentionOptions(8, 2)).layer_norm(false));
  EXPECT_FALSE(plain->norm1);
  plain->eval();
  const auto xf = x.to(torch::kFloat), yf = y.to(torch::kFloat);
  const auto hp = xf + plain->attn(xf, yf);
  EXPECT_LT(testing::max_abs_diff(plain(xf, yf), hp + torch::relu(plain->ff(hp))), 1e-6);
}

class SetBlocksWithKernel : public ::testing::TestWithParam<std::string> {};

MabOptions small_mab(const std::string& kernel) {
  return MabOptions(testing::small_options(kernel));
}

TEST_P(SetBlocksWithKernel, SabAndIsabAreEquivariantAndPmaInvariant) {
  torch::manual_seed(2);
  Sab sab(small_mab(GetParam()));
  Isab isab(small_mab(GetParam()), 4);
  Pma pma(small_mab(GetParam()), 3);
  for (auto* m : std::initializer_list<torch::nn::Module*>{sab.get(), isab.get(), pma.get()})
    m->eval();
  const auto x = torch::randn({2, 9, 16});
  EXPECT_LT(testing::permutation_gap([&](const torch::Tensor& t) { return sab(t); }, x), 1e-5);
  EXPECT_LT(testing::permutation_gap([&](const torch::Tensor& t) { return isab(t); }, x), 1e-5);
  const auto perm = torch::randperm(9);
  EXPECT_LT(testing::max_abs_diff(pma(x.index_select(1, perm)), pma(x)), 1e-5);
  EXPECT_EQ(pma(x).sizes(), (std::vector<int64_t>{2, 3, 16}));
}

TEST_P(SetBlocksWithKernel, PaddedElementsChangeNothing) {
  torch::manual_seed(3);
  Sab sab(small_mab(GetParam()));
  Isab isab(small_mab(GetParam()), 4);
  Pma pma(small_mab(GetParam()), 2);
  for (auto* m : std::initializer_list<torch::nn::Module*>{sab.get(), isab.get(), pma.get()})
    m->eval();
  // Two sets of sizes 5 and 8 in one batch of 8 rows; the padding holds garbage.
  const auto x = torch::randn({2, 8, 16}) * 10;
  const auto pad = testing::padding_for({5, 8}, 8);
  const auto small = x.slice(0, 0, 1).slice(1, 0, 5);
  const auto check = [&](const torch::Tensor& batched, const torch::Tensor& alone,
                         const char* what) {
    EXPECT_LT(testing::max_abs_diff(batched, alone), 2e-5) << what;
  };
  const auto s = sab(x, pad), i = isab(x, pad);
  check(s[0].slice(0, 0, 5), sab(small)[0], "SAB");
  check(i[0].slice(0, 0, 5), isab(small)[0], "ISAB");
  check(pma(x, pad)[0], pma(small)[0], "PMA");
  check(s[1], sab(x.slice(0, 1, 2))[0], "SAB, full set");
  // Padded rows are zero.
  EXPECT_EQ(s[0].slice(0, 5).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(i[0].slice(0, 5).abs().max().item<float>(), 0.0f);
}

INSTANTIATE_TEST_SUITE_P(EquivariantKernels, SetBlocksWithKernel,
                         ::testing::ValuesIn(testing::kernels_where([](const auto& a) {
                           return a.permutation_equivariant();
                         })),
                         [](const auto& p) { return p.param; });

TEST(Pma, ZeroSeedPoolsByTheMean) {
  // Lemma 1: with s = 0 (and no query bias) every score is 0, the weights are uniform and
  // attention returns the mean of the values: PMA(Z) = MAB built on W_O(W_V mean(Z)).
  torch::manual_seed(4);
  Pma pma(MabOptions(attention::AttentionOptions(8, 2)), 1);
  pma->eval();
  {
    torch::NoGradGuard no_grad;
    pma->seeds.zero_();
    param(*pma, "mab.attn.w_q.bias").zero_();
  }
  const auto z = torch::randn({3, 7, 8});
  const auto pad = testing::padding_for({7, 4, 1}, 7);
  auto& mab = pma->mab;
  const auto lin = [&](const torch::Tensor& t, const std::string& w) {
    return t.matmul(param(*mab, "attn." + w + ".weight").t()) + param(*mab, "attn." + w + ".bias");
  };
  const auto mean = pool_set(z, Pooling::mean, pad).unsqueeze(1);  // [3, 1, 8]
  const auto h = layer_norm(lin(lin(mean, "w_v"), "w_o"), mab->norm1);
  const auto expected = layer_norm(h + torch::relu(mab->ff(h)), mab->norm2);
  EXPECT_LT(testing::max_abs_diff(pma(z, pad), expected), 1e-5);
}

TEST(Equivariant, MatchesDeepSetsEquation4) {
  torch::manual_seed(5);
  const auto x = torch::randn({2, 6, 3});
  const auto pad = testing::padding_for({6, 3}, 6);
  for (const auto pooling : {Pooling::mean, Pooling::max}) {
    Equivariant layer(EquivariantOptions(3, 5).pooling(pooling));
    const auto y = layer(x, pad);
    for (int64_t b = 0; b < 2; ++b) {
      const int64_t n = b == 0 ? 6 : 3;
      const auto xs = x[b].slice(0, 0, n);
      const auto stat = pooling == Pooling::mean ? xs.mean(0) : std::get<0>(xs.max(0));
      const auto expected = torch::relu(xs.matmul(layer->gamma->weight.t()) + layer->gamma->bias -
                                        stat.matmul(layer->lambda->weight.t()));
      EXPECT_LT(testing::max_abs_diff(y[b].slice(0, 0, n), expected), 1e-5);
      EXPECT_EQ(y[b].slice(0, n).abs().sum().item<float>(), 0.0f);
    }
    EXPECT_LT(testing::permutation_gap([&](const torch::Tensor& t) { return layer(t); }, x), 1e-5);
  }
  Equivariant linear(EquivariantOptions(3, 5).relu(false));
  EXPECT_LT(linear(x).min().item<float>(), 0.0f);
}

TEST(DotprodPool, IsASoftmaxWeightedSum) {
  torch::manual_seed(6);
  DotprodPool pool(4);
  const auto z = torch::randn({2, 5, 4});
  const auto pad = testing::padding_for({5, 2}, 5);
  const auto out = pool(z, pad);
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t n = b == 0 ? 5 : 2;
    const auto zs = z[b].slice(0, 0, n);
    const auto scores =
        (zs.matmul(pool->key->weight.t()) + pool->key->bias).matmul(pool->query) / 2.0;
    const auto expected = torch::softmax(scores, 0).unsqueeze(0).matmul(zs).squeeze(0);
    EXPECT_LT(testing::max_abs_diff(out[b], expected), 1e-5);
  }
}

TEST(PoolSet, MasksPaddingForEveryPooling) {
  const auto x = torch::tensor({1.0f, -2.0f, 7.0f, 100.0f}).view({1, 4, 1}).repeat({2, 1, 1});
  const auto pad = testing::padding_for({3, 4}, 4);
  EXPECT_TRUE(pool_set(x, Pooling::mean, pad).view({-1}).equal(torch::tensor({2.0f, 26.5f})));
  EXPECT_TRUE(pool_set(x, Pooling::sum, pad).view({-1}).equal(torch::tensor({6.0f, 106.0f})));
  EXPECT_TRUE(pool_set(x, Pooling::max, pad).view({-1}).equal(torch::tensor({7.0f, 100.0f})));
  EXPECT_TRUE(pool_set(x, Pooling::max).view({-1}).equal(torch::tensor({100.0f, 100.0f})));
  testing::expect_invalid_argument([] { parse_pooling("model.decoder", "median"); },
                                   "model.decoder = 'median'");
  testing::expect_invalid_argument(
      [&] {
        pool_set(x, Pooling::mean, torch::zeros({2, 4}));
      },
      "must be bool");
}

}  // namespace
}  // namespace setformer::nn

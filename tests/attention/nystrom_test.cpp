// Nyströmformer: landmarks against a loop over the valid tokens, the iterative pseudo-inverse
// against LibTorch's SVD-based one, the whole layer against the paper's formula computed densely,
// and exactness when every token is its own landmark.
#include "setformer/attention/nystrom.h"

#include "common/attention_helpers.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

/// A Nyström layer with m landmarks and a softmax layer with the same projections, in double.
std::pair<Attention, Attention> twins(int64_t landmarks, int64_t pinv_iterations) {
  torch::manual_seed(5);
  auto softmax = make_attention(AttentionOptions(16, 2).kernel("softmax"));
  auto options = AttentionOptions(16, 2).kernel("nystrom");
  options.nystrom().landmarks(landmarks).pinv_iterations(pinv_iterations);
  auto nystrom = make_attention(options);
  softmax->to(torch::kDouble);
  nystrom->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  for (const auto& item : softmax->named_parameters()) {
    nystrom->named_parameters()[item.key()].copy_(item.value());
  }
  return {softmax, nystrom};
}

TEST(Nystrom, SegmentMeansMatchALoopOverTheValidTokens) {
  const int64_t m = 4;
  const auto x = torch::randn({2, 3, 11, 5}, torch::kDouble);
  auto padding = torch::zeros({2, 11}, torch::kBool);
  for (const int64_t i : {0, 4, 5, 10}) padding[1][i] = true;  // 7 valid tokens, anywhere
  const auto [means, exists] = NystromAttentionImpl::segment_means(x, padding, m);
  ASSERT_EQ(means.sizes(), (std::vector<int64_t>{2, 3, m, 5}));
  for (int64_t b = 0; b < 2; ++b) {
    std::vector<int64_t> valid;
    for (int64_t i = 0; i < 11; ++i)
      if (!padding[b][i].item<bool>()) valid.push_back(i);
    const auto count = static_cast<int64_t>(valid.size());
    for (int64_t s = 0; s < m; ++s) {
      // Segment s holds the valid tokens of rank r with s·c/m <= r < (s+1)·c/m.
      auto sum = torch::zeros({3, 5}, torch::kDouble);
      int64_t size = 0;
      for (int64_t r = 0; r < count; ++r) {
        if (r * m / count != s) continue;
        sum += x[b].select(1, valid[static_cast<size_t>(r)]);
        ++size;
      }
      ASSERT_GT(size, 0);
      EXPECT_TRUE(exists[b][s].item<bool>());
      EXPECT_LT(max_abs_diff(means[b].select(1, s), sum / size), 1e-12) << b << " " << s;
    }
  }
}

TEST(Nystrom, FewerTokensThanLandmarksLeaveEmptySegments) {
  const auto x = torch::randn({1, 1, 3, 2}, torch::kDouble);
  const auto [means, exists] = NystromAttentionImpl::segment_means(x, {}, 5);
  EXPECT_EQ(exists.sum().item<int64_t>(), 3);
  // Each token is its own landmark, in order.
  EXPECT_LT(max_abs_diff(means[0][0].index({exists[0]}), x[0][0]), 1e-12);
}

TEST(Nystrom, IterativePseudoInverseConvergesToTheSvdOne) {
  torch::manual_seed(2);
  // Softmax kernels as the layer makes them, and one with a zero row and column (an empty
  // landmark), whose pseudo-inverse must keep it apart.
  auto a = torch::softmax(torch::randn({3, 6, 6}, torch::kDouble), -1);
  a[2].select(0, 5).zero_();
  a[2].select(1, 5).zero_();
  const auto expected = torch::linalg::pinv(a);
  double previous = 1e9;
  for (const int64_t iterations : {2, 6, 12, 40}) {
    const double error =
        max_abs_diff(NystromAttentionImpl::iterative_pinv(a, iterations), expected);
    EXPECT_LT(error, previous) << iterations << " iterations";
    previous = error;
  }
  EXPECT_LT(previous, 1e-9);
  const auto z = NystromAttentionImpl::iterative_pinv(a, 40);
  EXPECT_EQ(z[2].select(0, 5).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(z[2].select(1, 5).abs().sum().item<double>(), 0.0);
}

TEST(Nystrom, EqualsSoftmaxWhenEveryTokenIsALandmark) {
  // The paper's §3.3: with m = n the approximation is exact. Also for a padded sequence with
  // fewer valid tokens than landmarks.
  auto [softmax, nystrom] = twins(/*landmarks=*/9, /*pinv_iterations=*/40);
  const auto x = torch::randn({2, 9, 16}, torch::kDouble);
  const auto padding = testing::padding_for({9, 6}, 9);
  EXPECT_LT(
      max_abs_diff(nystrom(x, x, Mask().padding(padding)), softmax(x, x, Mask().padding(padding))),
      1e-8);
}

TEST(Nystrom, MatchesThePapersFormulaComputedDensely) {
  // Eq. 14 with reshape-means over n/m equal segments and the SVD pseudo-inverse, written out
  // with the layer's weights; the layer converges to it as the pseudo-inverse iterations grow.
  auto [softmax, nystrom] = twins(/*landmarks=*/3, /*pinv_iterations=*/60);
  const int64_t n = 12, m = 3, heads = 2, dh = 8;
  const auto x = torch::randn({1, n, 16}, torch::kDouble);
  auto p = nystrom->named_parameters();
  const auto project = [&](const std::string& w) {
    return torch::addmm(p[w + ".bias"], x[0], p[w + ".weight"].t());
  };
  const auto q = project("w_q"), k = project("w_k"), v = project("w_v");
  std::vector<torch::Tensor> heads_out;
  for (int64_t h = 0; h < heads; ++h) {
    const auto qh = q.slice(1, h * dh, (h + 1) * dh) / std::pow(dh, 0.25);
    const auto kh = k.slice(1, h * dh, (h + 1) * dh) / std::pow(dh, 0.25);
    const auto vh = v.slice(1, h * dh, (h + 1) * dh);
    const auto q_tilde = qh.view({m, n / m, dh}).mean(1);
    const auto k_tilde = kh.view({m, n / m, dh}).mean(1);
    const auto f = torch::softmax(qh.mm(k_tilde.t()), -1);
    const auto a = torch::softmax(q_tilde.mm(k_tilde.t()), -1);
    const auto b = torch::softmax(q_tilde.mm(kh.t()), -1);
    heads_out.push_back(f.mm(torch::linalg::pinv(a)).mm(b.mm(vh)));
  }
  const auto expected =
      torch::addmm(p["w_o.bias"], torch::cat(heads_out, 1), p["w_o.weight"].t()).unsqueeze(0);
  EXPECT_LT(max_abs_diff(nystrom(x, x), expected), 1e-8);
  // ...and it is an approximation: not softmax itself.
  EXPECT_GT(max_abs_diff(nystrom(x, x), softmax(x, x)), 1e-3);
}

TEST(Nystrom, RejectsBadOptions) {
  auto options = AttentionOptions(16, 2).kernel("nystrom");
  options.nystrom().landmarks(0);
  EXPECT_THROW(make_attention(options), std::invalid_argument);
  options.nystrom().landmarks(4).pinv_iterations(0);
  EXPECT_THROW(make_attention(options), std::invalid_argument);
}

}  // namespace
}  // namespace setformer::attention

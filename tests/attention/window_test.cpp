// Shifted-window attention against a dense formulation in double precision: full n×n softmax
// per head in which token i may see token j iff both fall in the same shifted window, written
// directly as ⌊(r − s)/w⌋ equality per axis (no roll, no partition, no region labels).
#include "setformer/attention/window.h"

#include "common/attention_helpers.h"
#include "common/errors.h"

#include <gtest/gtest.h>

namespace setformer::attention {
namespace {

using testing::max_abs_diff;

int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// Dense reference for one sequence x [n, d] on a rows×cols grid with (already clamped) window
/// wh×ww and shift sh, sw; key_padding [n] bool or undefined.
torch::Tensor reference(WindowAttentionImpl& layer, const torch::Tensor& x, int64_t rows,
                        int64_t cols, int64_t wh, int64_t ww, int64_t sh, int64_t sw,
                        const torch::Tensor& key_padding) {
  auto p = layer.named_parameters();
  const auto proj = [&](const std::string& name, const torch::Tensor& t) {
    return t.mm(p[name + ".weight"].t()) + p[name + ".bias"];
  };
  const auto q = proj("w_q", x), k = proj("w_k", x), v = proj("w_v", x);
  const int64_t heads = layer.options().heads(), dh = layer.options().dim() / heads;
  const int64_t n = rows * cols;
  auto visible = torch::zeros({n, n}, torch::kBool);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const bool same_window = floor_div(i / cols - sh, wh) == floor_div(j / cols - sh, wh) &&
                               floor_div(i % cols - sw, ww) == floor_div(j % cols - sw, ww);
      const bool padded = key_padding.defined() && key_padding[j].item<bool>();
      visible[i][j] = same_window && !padded;
    }
  }
  std::vector<torch::Tensor> outs;
  for (int64_t h = 0; h < heads; ++h) {
    const auto cols_h = torch::indexing::Slice(h * dh, (h + 1) * dh);
    const auto qh = q.index({torch::indexing::Slice(), cols_h});
    const auto kh = k.index({torch::indexing::Slice(), cols_h});
    auto scores = qh.mm(kh.t()) / std::sqrt(static_cast<double>(dh));
    scores = scores.masked_fill(visible.logical_not(), -INFINITY);
    outs.push_back(torch::softmax(scores, 1).mm(v.index({torch::indexing::Slice(), cols_h})));
  }
  return proj("w_o", torch::cat(outs, 1));
}

struct Case {
  int64_t rows, cols, size, shift;
};

TEST(WindowAttention, MatchesDenseShiftedWindowMaskInDouble) {
  // Grids that are and are not multiples of the window, shifted and not, a window larger than
  // one axis (clamped, unshifted there), and a 1-D sequence.
  const std::vector<Case> cases{{6, 6, 3, 0}, {6, 6, 3, 1}, {5, 7, 3, 1},
                                {5, 7, 4, 2}, {2, 9, 4, 2}, {1, 11, 4, 2}};
  for (const auto& c : cases) {
    torch::manual_seed(5);
    auto options = AttentionOptions(12, 3).kernel("window");
    options.window().size(c.size).shift(c.shift).grid({c.rows, c.cols});
    WindowAttention layer(options);
    layer->to(torch::kDouble);
    const int64_t n = c.rows * c.cols;
    const auto x = torch::randn({2, n, 12}, torch::kDouble);
    auto pad = torch::zeros({2, n}, torch::kBool);
    pad[1][0] = pad[1][n - 1] = pad[1][n / 2] = true;
    const auto got = layer(x, x, Mask().padding(pad));
    const auto l = layer->layout(n);
    const std::string name =
        fmt::format("{}x{} window {} shift {}", c.rows, c.cols, c.size, c.shift);
    EXPECT_EQ(l.window_rows, std::min(c.size, c.rows)) << name;
    EXPECT_EQ(l.shift_cols, c.size < c.cols ? c.shift : 0) << name;
    for (int64_t b = 0; b < 2; ++b) {
      const auto want = reference(*layer, x[b], c.rows, c.cols, l.window_rows, l.window_cols,
                                  l.shift_rows, l.shift_cols, pad[b]);
      const auto valid = pad[b].logical_not().nonzero().flatten();
      EXPECT_LT(max_abs_diff(got[b].index_select(0, valid), want.index_select(0, valid)), 1e-12)
          << name << ", sequence " << b;
    }
  }
}

TEST(WindowAttention, OneWindowCoveringTheGridIsGlobalSoftmax) {
  auto options = AttentionOptions(16, 2).kernel("window");
  options.window().size(8).shift(3).grid({4, 5});  // clamped to 4×5, so never shifted
  WindowAttention window(options);
  SoftmaxAttention global(AttentionOptions(16, 2));
  // Same parameter names: the window kernel is softmax attention with a partition.
  torch::NoGradGuard no_grad;
  auto target = global->named_parameters();
  for (const auto& p : window->named_parameters()) target[p.key()].copy_(p.value());
  const auto x = torch::randn({2, 20, 16});
  EXPECT_LT(max_abs_diff(window(x, x), global(x, x)), 1e-5);
}

TEST(WindowAttention, TokensOutsideAWindowDoNotReachIt) {
  auto options = AttentionOptions(8, 2).kernel("window");
  options.window().size(2).grid({4, 4});
  WindowAttention layer(options);
  auto x = torch::randn({1, 16, 8});
  const auto before = layer(x, x);
  auto changed = x.clone();
  changed[0][15] += 5.0;  // bottom-right window: rows 2-3, cols 2-3
  const auto after = layer(changed, changed);
  const auto moved = (after - before).abs().sum(-1)[0];
  for (int64_t i = 0; i < 16; ++i) {
    const bool same_window = i / 4 >= 2 && i % 4 >= 2;
    EXPECT_EQ(moved[i].item<double>() > 0, same_window) << "token " << i;
  }
  EXPECT_FALSE(layer->permutation_equivariant());
}

TEST(WindowAttention, FlopsCountPaddedWindows) {
  auto options = AttentionOptions(12, 3).kernel("window");
  options.window().size(4).grid({5, 6});  // padded to 8×8: 4 windows of 16 tokens
  WindowAttention layer(options);
  EXPECT_DOUBLE_EQ(layer->flops(30, 30), 4.0 * 30 * 144 + 2.0 * 64 * 16 * 12);
}

TEST(WindowAttention, RejectsBadOptionsAndUses) {
  auto options = AttentionOptions(8, 2).kernel("window");
  options.window().size(4).shift(4);
  testing::expect_invalid_argument([&] { WindowAttention{options}; },
                                   "window.shift must be in [0, window.size = 4), got 4");
  options.window().shift(0).grid({3, 3});
  WindowAttention layer(options);
  const auto x = torch::randn({1, 10, 8});
  testing::expect_invalid_argument([&] { layer(x, x); }, "10 tokens do not fill the 3x3 grid");
  const auto y = torch::randn({1, 9, 8});
  testing::expect_invalid_argument([&] { layer(y, y.clone()); }, "self-attention only");
  testing::expect_invalid_argument([&] { layer(y, y, Mask().causal(true)); },
                                   "does not support causal");
}

}  // namespace
}  // namespace setformer::attention

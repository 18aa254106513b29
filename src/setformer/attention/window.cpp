#include "setformer/attention/window.h"

#include "setformer/core/error.h"

#include "setformer/core/batched_matmul.h"

#include <torch/torch.h>

namespace setformer::attention {
namespace {

/// [B, Hp, Wp, C] -> [B·n_windows, wh·ww, C], windows in row-major order.
torch::Tensor partition(const torch::Tensor& t, int64_t wh, int64_t ww) {
  const int64_t b = t.size(0), hp = t.size(1), wp = t.size(2), c = t.size(3);
  return t.view({b, hp / wh, wh, wp / ww, ww, c})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({-1, wh * ww, c});
}

/// The inverse of partition(): [B·n_windows, wh·ww, C] -> [B, Hp, Wp, C].
torch::Tensor unpartition(const torch::Tensor& w, int64_t b, int64_t hp, int64_t wp, int64_t wh,
                          int64_t ww) {
  const int64_t c = w.size(-1);
  return w.view({b, hp / wh, wp / ww, wh, ww, c})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({b, hp, wp, c});
}

}  // namespace

WindowAttentionImpl::WindowAttentionImpl(const AttentionOptions& options)
    : SoftmaxAttentionImpl(options) {
  const auto& w = options.window();
  SETFORMER_CHECK(w.size() >= 1, "window.size must be >= 1, got {}", w.size());
  SETFORMER_CHECK(w.shift() >= 0 && w.shift() < w.size(),
                  "window.shift must be in [0, window.size = {}), got {}", w.size(), w.shift());
  SETFORMER_CHECK(
      w.grid().empty() || (w.grid().size() == 2 && w.grid()[0] >= 1 && w.grid()[1] >= 1),
      "window.grid must be empty (1-D) or {{H, W}} with H, W >= 1");
}

WindowAttentionImpl::Layout WindowAttentionImpl::layout(int64_t n) const {
  const auto& w = options_.window();
  Layout l{};
  l.rows = w.grid().empty() ? 1 : w.grid()[0];
  l.cols = w.grid().empty() ? n : w.grid()[1];
  SETFORMER_CHECK(l.rows * l.cols == n, "window attention: {} tokens do not fill the {}x{} grid", n,
                  l.rows, l.cols);
  l.window_rows = std::min(w.size(), l.rows);
  l.window_cols = std::min(w.size(), l.cols);
  l.shift_rows = l.window_rows < l.rows ? w.shift() : 0;
  l.shift_cols = l.window_cols < l.cols ? w.shift() : 0;
  l.padded_rows = (l.rows + l.window_rows - 1) / l.window_rows * l.window_rows;
  l.padded_cols = (l.cols + l.window_cols - 1) / l.window_cols * l.window_cols;
  return l;
}

double WindowAttentionImpl::flops(int64_t n_q, int64_t /*n_ctx*/) const {
  const Layout l = layout(n_q);
  const double d = static_cast<double>(options_.dim());
  const double padded = static_cast<double>(l.padded_rows * l.padded_cols);
  const double window = static_cast<double>(l.window_rows * l.window_cols);
  return 4 * static_cast<double>(n_q) * d * d + 2 * padded * window * d;
}

torch::Tensor WindowAttentionImpl::attend(const torch::Tensor& x, const torch::Tensor& /*context*/,
                                          const Mask& mask, bool /*self*/) {
  const int64_t batch = x.size(0), n = x.size(1), d = options_.dim();
  const Layout l = layout(n);
  const int64_t wh = l.window_rows, ww = l.window_cols;
  const bool shifted = l.shift_rows > 0 || l.shift_cols > 0;
  // [B, n, C] -> padded, shifted windows [B·n_windows, wh·ww, C]
  const auto to_windows = [&](const torch::Tensor& t) {
    auto g = t.view({t.size(0), l.rows, l.cols, t.size(2)});
    g = torch::constant_pad_nd(g, {0, 0, 0, l.padded_cols - l.cols, 0, l.padded_rows - l.rows});
    if (shifted) g = torch::roll(g, {-l.shift_rows, -l.shift_cols}, {1, 2});
    return partition(g, wh, ww);
  };
  const auto q = split_heads(to_windows(w_q_(x)));  // [B·nW, H, L, d_h]
  const auto k = split_heads(to_windows(w_k_(x)));
  const auto v = split_heads(to_windows(w_v_(x)));

  // Keys hidden from a query: grid padding, sequence padding, and, with a shift, tokens of
  // another region of a wrapped window.
  auto valid = torch::ones({batch, n, 1}, x.options());
  if (mask.padding().defined()) valid = mask.padding().logical_not().unsqueeze(-1).to(x.dtype());
  auto blocked = (to_windows(valid) < 0.5).view({q.size(0), 1, 1, q.size(2)});
  if (shifted) {
    const auto index = x.options().dtype(torch::kLong);
    const auto group = [](const torch::Tensor& i, int64_t shift, int64_t w) {
      return torch::div(i - shift, w, "floor");
    };
    const auto rows = group(torch::arange(l.padded_rows, index), l.shift_rows, wh);
    const auto cols = group(torch::arange(l.padded_cols, index), l.shift_cols, ww);
    const auto region = (rows.view({-1, 1}) * (l.padded_cols + 2) + cols.view({1, -1}))
                            .view({1, l.padded_rows * l.padded_cols, 1})
                            .to(x.dtype());
    // The region labels travel with the tokens through the same shift and partition.
    auto labels = torch::roll(region.view({1, l.padded_rows, l.padded_cols, 1}),
                              {-l.shift_rows, -l.shift_cols}, {1, 2});
    labels = partition(labels, wh, ww);                           // [nW, L, 1]
    const auto other_region = labels.ne(labels.transpose(1, 2));  // [nW, L, L]
    const int64_t windows = labels.size(0);
    blocked = blocked | other_region.unsqueeze(0)
                            .expand({batch, windows, wh * ww, wh * ww})
                            .reshape({batch * windows, 1, wh * ww, wh * ww});
  }
  auto p = probabilities(q, k, Mask(), blocked);
  p = torch::dropout(p, options_.dropout(), is_training());
  const auto windows_out = batched_matmul(p, v).transpose(1, 2).reshape({q.size(0), wh * ww, d});
  auto grid = unpartition(windows_out, batch, l.padded_rows, l.padded_cols, wh, ww);
  if (shifted) grid = torch::roll(grid, {l.shift_rows, l.shift_cols}, {1, 2});
  grid = grid.slice(1, 0, l.rows).slice(2, 0, l.cols).reshape({batch, n, d});
  auto out = w_o_(grid);
  if (mask.query_padding().defined()) {
    out = out.masked_fill(mask.query_padding().unsqueeze(-1), 0.0);
  }
  return out;
}

}  // namespace setformer::attention

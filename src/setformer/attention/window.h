// Windowed softmax attention with shifted windows (Swin Transformer, Liu et al. ICCV 2021,
// §3.2): the local-attention twin of SeT in the SeTformer backbone, at equal depth and width.
#pragma once

#include "setformer/attention/softmax.h"

namespace setformer::attention {

/// Softmax attention restricted to non-overlapping windows of a token grid
/// (options.window(): size, shift, grid). x [B, n = H·W, d] -> [B, n, d], self-attention only.
///
/// With shift s, the partition is moved by s tokens: token (r, c) and token (r', c') attend to
/// each other iff ⌊(r − s_h)/w_h⌋ = ⌊(r' − s_h)/w_h⌋ and ⌊(c − s_w)/w_w⌋ = ⌊(c' − s_w)/w_w⌋,
/// computed as Swin does with a cyclic shift and a mask between wrapped regions. Grids that are
/// not multiples of the window are padded at the bottom and right with masked tokens. Per axis
/// the window is clamped to the grid (w = min(size, L)) and not shifted when it covers it.
/// Cost 4·n·d² + 2·n·w_h·w_w·d: linear in n for a fixed window.
class WindowAttentionImpl : public SoftmaxAttentionImpl {
 public:
  explicit WindowAttentionImpl(const AttentionOptions& options);

  std::string kernel_name() const override { return "window"; }
  bool supports_causal() const override { return false; }
  bool supports_cross_attention() const override { return false; }
  bool permutation_equivariant() const override { return false; }
  double flops(int64_t n_q, int64_t n_ctx) const override;

  struct Layout {
    int64_t rows, cols;                // the grid
    int64_t window_rows, window_cols;  // after clamping
    int64_t shift_rows, shift_cols;
    int64_t padded_rows, padded_cols;  // multiples of the window
  };
  /// The windows used for n tokens.
  Layout layout(int64_t n) const;

 protected:
  torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& context, const Mask& mask,
                       bool self) override;
};

TORCH_MODULE(WindowAttention);

}  // namespace setformer::attention

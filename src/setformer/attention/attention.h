// The common interface of attention kernels. A model holds an `Attention` built by
// make_attention(options) and never needs to know which kernel it got; every kernel takes the
// same inputs and masks and is validated in one place (AttentionImpl::forward).
#pragma once

#include "setformer/attention/options.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace setformer::attention {

/// Multi-head attention behind a kernel chosen by name.
class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  ~AttentionImpl() override = default;

  /// query [B, n_q, d], context [B, n_ctx, d] -> [B, n_q, d]. mask.padding is [B, n_ctx],
  /// mask.query_padding [B, n_q] (true = padding). Self-attention passes the same tensor twice,
  /// `attn(x, x, mask)`; then query_padding defaults to padding, so padded tokens change nothing
  /// and receive zero.
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& context,
                        const Mask& mask = {});

  /// The kernel's name, as make_attention() takes it.
  virtual std::string kernel_name() const = 0;
  /// Whether mask.causal is allowed.
  virtual bool supports_causal() const = 0;
  /// Whether query and context may differ (kernels over a spatial layout need self-attention).
  virtual bool supports_cross_attention() const { return true; }
  /// Whether permuting the tokens permutes the outputs alike (no position information), as
  /// set models (Set Transformer blocks) require.
  virtual bool permutation_equivariant() const = 0;
  /// Multiply-adds of one forward call on n_q queries and n_ctx context tokens (batch 1),
  /// counting matrix products and, for SeT, one operation per plan entry per Sinkhorn
  /// half-iteration; the convention of Swin's and the SeTformer paper's FLOPs.
  virtual double flops(int64_t n_q, int64_t n_ctx) const = 0;

  const AttentionOptions& options() const { return options_; }

 protected:
  /// Kernel-specific work on validated inputs. `self` is true when query and context are the
  /// same tokens (one transport plan suffices for SeT).
  virtual torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& context,
                               const Mask& mask, bool self) = 0;

  /// Registers a d×d input or output projection (with a bias when options.bias()).
  torch::nn::Linear projection(const std::string& name);
  /// [B, n, d] -> [B, H, n, d_h]
  torch::Tensor split_heads(const torch::Tensor& x) const;
  /// [B, H, n, d_h] -> [B, n, d]
  torch::Tensor merge_heads(const torch::Tensor& x) const;

  AttentionOptions options_;
  int64_t head_dim_;
};

TORCH_MODULE(Attention);

/// Names make_attention() accepts, in a stable order.
const std::vector<std::string>& attention_kernels();

/// Builds the kernel named by options.kernel(); throws naming the kernel and the choices when
/// it is unknown, or naming the option when the options are invalid.
Attention make_attention(const AttentionOptions& options);

}  // namespace setformer::attention

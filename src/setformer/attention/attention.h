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

/// What an attention layer keeps between the steps of incremental decoding
/// (AttentionImpl::forward_cached): the context seen so far, as the kernel needs it.
struct AttentionCache {
  /// [B, H, t, d_h]: projected keys and values, for kernels that keep them (softmax).
  torch::Tensor keys, values;
  /// [B, t, d]: the context tokens themselves, for the others.
  torch::Tensor context;
  /// [B, t] bool, true = padding; undefined when nothing is padded.
  torch::Tensor padding;

  bool empty() const { return !keys.defined() && !context.defined(); }
  /// Keeps the batch rows `index` [B'] (long), in that order: beam search reorders and
  /// repeats hypotheses.
  void select(const torch::Tensor& index);
};

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

  /// Incremental attention, for decoding: appends `new_context` [B, t_new, d] (with its padding
  /// [B, t_new], optional) to `cache`, then lets query [B, n_q, d] attend to everything cached,
  /// without a causal mask (a decoder appends only what its queries may see). `new_context`
  /// may be undefined to attend to a fixed context cached before (the encoder memory). Equals
  /// forward(query, all context so far, padding) and costs O(t_new) projections per call.
  virtual torch::Tensor forward_cached(const torch::Tensor& query, const torch::Tensor& new_context,
                                       AttentionCache& cache,
                                       const torch::Tensor& new_padding = {});

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

  /// Checks new_context [B, t, d] and new_padding [B, t] and extends cache.padding, which
  /// covers `cached_tokens` tokens, by them.
  void append_to_cache(AttentionCache& cache, const torch::Tensor& new_context,
                       const torch::Tensor& new_padding, int64_t cached_tokens) const;
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

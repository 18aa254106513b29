// Self-optimal Transport (SeT) attention, the core of SeTformer (Shamsolmoali et al., SeTformer
// paper §3; DESIGN.md §2 fixes the details the paper leaves open).
//
// Per head, tokens are compared with m learned references through a positive-definite kernel,
// the similarity is filtered by token/reference position (LPE), an entropic OT plan P between
// tokens and references is found by log-domain Sinkhorn, values are aggregated into one cell
// per reference and redistributed to the tokens through the same plan:
//   C = m · Pᵀ V        (each cell a convex combination of values)
//   Y = n · P C         (each token a combination of cells; A = n·m·P·Pᵀ is never formed)
// Cost O(n·m·(d_h + T)), memory O(n·m): linear in the sequence length.
#pragma once

#include "setformer/attention/attention.h"
#include "setformer/attention/kmeans.h"
#include "setformer/attention/sinkhorn.h"

#include <torch/nn/modules/linear.h>

#include <optional>

namespace setformer::attention {

/// SeT multi-head attention; x [B, n, d] -> [B, n, d]. Padding masks are supported, causal
/// masks are not (the plan is global). For cross-attention (query ≠ context) the context is
/// aggregated through its own plan and redistributed through the queries' plan, both against
/// the same references.
class SetAttentionImpl : public AttentionImpl {
 public:
  explicit SetAttentionImpl(const AttentionOptions& options);

  std::string kernel_name() const override { return "set"; }
  bool supports_causal() const override { return false; }
  /// Without position information (positions = none) the plan follows the tokens' order.
  bool permutation_equivariant() const override {
    return set_options().positions() == Positions::none;
  }
  /// Projections, similarity to the m references, 2T Sinkhorn half-steps per plan,
  /// aggregation and redistribution: O(n·m·(d + T·H)) beyond the projections.
  double flops(int64_t n_q, int64_t n_ctx) const override;

  /// Replaces every head's references by spherical k-means centroids of the projected features
  /// W_q x of `samples` [N, d] (layer inputs sampled from the training set). With the gaussian
  /// and dot kernels, where scale matters, the cluster means are used instead of unit centroids.
  /// Returns the mean cosine similarity of features to their centroids, averaged over heads.
  double init_references(const torch::Tensor& samples, const KMeansOptions& options = {});

  /// The transport plan of self-attention on x [B, n, d]: [B, H, n, m], for inspection.
  torch::Tensor plan(const torch::Tensor& x, const torch::Tensor& padding = {});

  /// Sinkhorn's diagnostics for the last forward call (worst over plans and heads).
  const SinkhornReport& last_sinkhorn() const { return last_sinkhorn_; }

  /// Whether the last forward call ran the fused core (set_fused.h) rather than the composition.
  bool last_fused_core() const { return last_fused_core_; }

  /// References z [H, m, d_h]; undefined when options.set().references() == none.
  const torch::Tensor& references() const { return references_; }

 protected:
  torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& context, const Mask& mask,
                       bool self) override;

 private:
  struct Transport {
    torch::Tensor plan;       // [B, H, n, m]
    torch::Tensor kernel;     // κ(q_i, z_j) before the position filter: [B, H, n, m]
    torch::Tensor row_count;  // n_valid, broadcastable to [B, 1, 1, 1]
    torch::Tensor col_count;  // m (or n_valid without references)
    SinkhornReport report;
  };

  /// APE: x + E[:n] when positions == ape.
  torch::Tensor with_positions(const torch::Tensor& x) const;
  /// Plan of tokens q [B, H, n, d_h] (padding [B, n] or undefined) against the references.
  Transport transport(const torch::Tensor& q, const torch::Tensor& padding) const;
  /// π [B|1, 1, n, m] for n tokens (padding [B, n] or undefined), or undefined without LPE.
  torch::Tensor position_filter(int64_t n, const torch::Tensor& padding,
                                const torch::TensorOptions& options) const;
  /// π/ε, the factor that turns κ into Sinkhorn's scores; undefined without LPE. Without padding
  /// it depends only on n, so it is kept between calls.
  torch::Tensor score_weight(int64_t n, const torch::Tensor& padding,
                             const torch::TensorOptions& options) const;
  /// Self-attention through the fused CPU core (set_fused.h) when it applies: the spherical
  /// kernel, learned references, linear values, no plan dropout in training, CPU float or
  /// double, fused kernels on. Returns the heads merged, [B, n, d], before W_o.
  std::optional<torch::Tensor> fused_self_attention(const torch::Tensor& x,
                                                    const torch::Tensor& padding);
  /// The composition of LibTorch operations (the reference, and every case the fused core does
  /// not take): queries xq [B, n_q, d], context xc [B, n_ctx, d] -> heads merged [B, n_q, d].
  torch::Tensor composed_attention(const torch::Tensor& xq, const torch::Tensor& xc,
                                   const Mask& mask, bool self);
  /// Values to be moved by the plan: [B, H, n, d_h].
  torch::Tensor values(const torch::Tensor& x, const Transport& t);

  const SetOptions& set_options() const { return options_.set(); }

  torch::nn::Linear w_q_{nullptr}, w_v_{nullptr}, w_o_{nullptr};
  torch::Tensor references_;      // [H, m, d_h]
  torch::Tensor absolute_;        // [max_positions, d] (positions == ape)
  torch::Tensor nystrom_weight_;  // [H, m, d_h] (values == nystrom)
  torch::Tensor nystrom_bias_;    // [H, 1, d_h]
  SinkhornReport last_sinkhorn_;
  bool last_fused_core_ = false;
  mutable torch::Tensor cached_score_weight_;  // score_weight without padding, last n
};

TORCH_MODULE(SetAttention);

/// Validates SeT options for a layer of width `dim` with `heads` heads; throws naming the
/// option, its value and what is expected.
void validate(const SetOptions& options, int64_t dim, int64_t heads);

}  // namespace setformer::attention

// The building blocks of set models (Set Transformer, Lee et al. ICML 2019, §3; DeepSets, Zaheer
// et al. NeurIPS 2017): attention blocks MAB/SAB/ISAB/PMA over any attention kernel, the
// permutation-equivariant layer of DeepSets (the paper's "rFFp"), and masked pooling.
//
// Sets are batched as [B, n, d] with a padding mask [B, n] (true = padding), so sets of different
// sizes share a batch. Every block keeps padded rows at zero and never lets them reach a valid
// row: the outputs for valid elements are exactly those of the unpadded set.
#pragma once

#include "setformer/attention/attention.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>

namespace setformer::nn {

/// Pooling over the elements of a set.
enum class Pooling { mean, sum, max };

/// "mean" | "sum" | "max"; the error names `field`.
Pooling parse_pooling(const std::string& field, const std::string& text);

/// x [B, n, d], padding [B, n] (true = padding; undefined: none) -> [B, d]: the mean, sum or
/// max over the valid elements of each set.
torch::Tensor pool_set(const torch::Tensor& x, Pooling pooling, const torch::Tensor& padding = {});

/// Throws unless padding (when defined) is a bool [batch, n] mask.
void check_set_padding(const torch::Tensor& padding, int64_t batch, int64_t n);

/// Zeroes the padded rows of x [B, n, d] (padding undefined: x unchanged).
torch::Tensor zero_padding(const torch::Tensor& x, const torch::Tensor& padding);

struct MabOptions {
  /* implicit */ MabOptions(attention::AttentionOptions attention)
      : attention_(std::move(attention)) {}
  /// Multihead(X, Y, Y) of any kernel; its dim is the block's width d.
  TORCH_ARG(attention::AttentionOptions, attention);
  /// The two LayerNorms of Eq. 6–7; the authors' code also runs without them.
  TORCH_ARG(bool, layer_norm) = true;
};

/// Multihead Attention Block (Set Transformer Eq. 6–7):
///   MAB(X, Y) = LN(H + rFF(H)),  H = LN(X + Multihead(X, Y, Y)),
/// with rFF(H) = ReLU(H W + b) (supplement §2: "FC layers with ReLU activations").
class MabImpl : public torch::nn::Module {
 public:
  explicit MabImpl(const MabOptions& options);

  /// x [B, n_x, d], y [B, n_y, d] -> [B, n_x, d]. x_padding [B, n_x] and y_padding [B, n_y]
  /// (true = padding) are optional; padded rows of the output are zero. Passing the same tensor
  /// as x and y is self-attention (one transport plan for the `set` kernel).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& y,
                        const torch::Tensor& x_padding = {}, const torch::Tensor& y_padding = {});
  /// Multiply-adds for n_x queries over n_y elements (batch 1).
  double flops(int64_t n_x, int64_t n_y) const;

  MabOptions options;
  attention::Attention attn{nullptr};
  torch::nn::Linear ff{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
};
TORCH_MODULE(Mab);

/// Set Attention Block (Eq. 8): SAB(X) = MAB(X, X). [B, n, d] -> [B, n, d]; O(n²) for softmax.
class SabImpl : public torch::nn::Module {
 public:
  explicit SabImpl(const MabOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding = {});
  double flops(int64_t n) const { return mab->flops(n, n); }

  Mab mab{nullptr};
};
TORCH_MODULE(Sab);

/// Induced Set Attention Block (Eq. 9–10) with m learned inducing points I [m, d]:
///   ISAB_m(X) = MAB(X, H),  H = MAB(I, X) in R^{m×d}.
/// [B, n, d] -> [B, n, d] in O(n·m).
class IsabImpl : public torch::nn::Module {
 public:
  IsabImpl(const MabOptions& options, int64_t inducing_points);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding = {});
  double flops(int64_t n) const;

  torch::Tensor inducing;  // I [m, d]
  Mab summarize{nullptr}, broadcast{nullptr};
};
TORCH_MODULE(Isab);

/// Pooling by Multihead Attention (Eq. 11) with k learned seed vectors S [k, d]:
///   PMA_k(Z) = MAB(S, Z).
/// The supplement (§2) drops the rFF(Z) of Eq. 16 because the encoder ends with one.
/// [B, n, d] -> [B, k, d]; invariant to the order of the n elements.
class PmaImpl : public torch::nn::Module {
 public:
  PmaImpl(const MabOptions& options, int64_t seeds);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& padding = {});
  double flops(int64_t n) const;

  torch::Tensor seeds;  // S [k, d]
  Mab mab{nullptr};
};
TORCH_MODULE(Pma);

struct EquivariantOptions {
  EquivariantOptions(int64_t in, int64_t out) : in_(in), out_(out) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  /// The set statistic subtracted from every element: mean (rFFp-mean) or max (rFFp-max).
  TORCH_ARG(Pooling, pooling) = Pooling::mean;
  /// ReLU after the layer; the last layer of an encoder is linear.
  TORCH_ARG(bool, relu) = true;
};

/// The permutation-equivariant layer of DeepSets (Zaheer et al. 2017, Eq. 4), the Set
/// Transformer's "rFFp" baseline:
///   y_i = ReLU(Γ x_i + b − Λ pool(X)),   pool over the set's valid elements.
/// [B, n, in] -> [B, n, out].
class EquivariantImpl : public torch::nn::Module {
 public:
  explicit EquivariantImpl(const EquivariantOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding = {});

  EquivariantOptions options;
  torch::nn::Linear gamma{nullptr}, lambda{nullptr};
};
TORCH_MODULE(Equivariant);

/// Dot-product attention pooling (Yang et al. 2018; Ilse et al. 2018; the paper's "Dotprod"):
///   pool(Z) = Σ_i softmax_i(<s, W z_i> / √d) z_i
/// with one learned query s. [B, n, d] -> [B, d].
class DotprodPoolImpl : public torch::nn::Module {
 public:
  explicit DotprodPoolImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& padding = {});

  torch::Tensor query;  // s [d]
  torch::nn::Linear key{nullptr};
};
TORCH_MODULE(DotprodPool);

}  // namespace setformer::nn

// Slot Attention (Locatello et al., NeurIPS 2020, §2.1 and Algorithm 1): K slots compete for N
// input features through an attention normalised over the slots, and are refined T times by a
// GRU and a residual MLP. Slots are drawn from one learned Gaussian, so K and T can change at
// test time.
#pragma once

#include "setformer/attention/options.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/rnn.h>

#include <ostream>
#include <string>
#include <vector>

namespace setformer::nn {

/// How the attention logits M = k(inputs) q(slots)ᵀ / √D [N, K] become weights.
enum class SlotNormalisation {
  /// softmax over the slots (Eq. 1): slots compete for each input. The paper's module.
  slots,
  /// softmax over the inputs, as in ordinary attention: the paper's ablation (Table 3), where
  /// nothing makes slots compete.
  inputs,
  /// the entropic optimal-transport plan between inputs and slots (Sinkhorn, uniform marginals,
  /// ε = 1 on the logits), scaled by N so that every input still spreads a unit of weight
  /// over the slots while every slot receives the same total: balanced competition.
  transport,
};

}  // namespace setformer::nn

namespace setformer::attention {
template <>
struct EnumNames<nn::SlotNormalisation> {
  static constexpr std::array<std::pair<nn::SlotNormalisation, const char*>, 3> values{
      {{nn::SlotNormalisation::slots, "slots"},
       {nn::SlotNormalisation::inputs, "inputs"},
       {nn::SlotNormalisation::transport, "transport"}}};
};
}  // namespace setformer::attention

namespace setformer::nn {

inline std::ostream& operator<<(std::ostream& os, SlotNormalisation value) {
  return os << attention::to_string(value);
}

/// The paper's defaults (appendix E: D_slots = 64, MLP hidden 128, T = 3, ε = 1e-8).
struct SlotAttentionOptions {
  explicit SlotAttentionOptions(int64_t input_dim) : input_dim_(input_dim) {}
  /// D_inputs: width of the input features.
  TORCH_ARG(int64_t, input_dim);
  /// D = D_slots: width of the slots and of the attention.
  TORCH_ARG(int64_t, slot_dim) = 64;
  /// K: slots drawn when forward() is not given initial slots.
  TORCH_ARG(int64_t, num_slots) = 7;
  /// T: refinement iterations.
  TORCH_ARG(int64_t, iterations) = 3;
  /// Hidden width of the residual MLP.
  TORCH_ARG(int64_t, mlp_hidden) = 128;
  /// The offset added to the attention weights before the weighted mean (line 8).
  TORCH_ARG(double, epsilon) = 1e-8;
  TORCH_ARG(SlotNormalisation, normalisation) = SlotNormalisation::slots;
  /// Sinkhorn iterations of the `transport` normalisation.
  TORCH_ARG(int64_t, transport_iterations) = 10;
  /// Line 8 as a weighted mean (normalised over the inputs); false: a weighted sum (ablation).
  TORCH_ARG(bool, weighted_mean) = true;
  /// Line 9's GRU; false: the updates become the slots directly (ablation).
  TORCH_ARG(bool, gru) = true;
  /// Line 10's residual MLP (the paper calls it optional; ablation).
  TORCH_ARG(bool, mlp) = true;
};

struct SlotAttentionOutput {
  torch::Tensor slots;  // [B, K, D]
  /// The weights of every iteration, after normalisation and before the weighted mean, [B, N, K]
  /// each (for the `slots` normalisation every row sums to one).
  std::vector<torch::Tensor> attention;
  /// The slots after every iteration, [B, K, D] each; the last is `slots`. A loss on each (the
  /// supplement's loss at every iteration, Figure 23) reads them.
  std::vector<torch::Tensor> iterates;
};

class SlotAttentionImpl : public torch::nn::Module {
 public:
  explicit SlotAttentionImpl(const SlotAttentionOptions& options);

  /// Algorithm 1. inputs [B, N, D_in], initial_slots [B, K, D] (undefined: K = num_slots draws
  /// from N(μ, diag(σ²))) -> slots [B, K, D]. padding [B, N] (true = padding) excludes inputs;
  /// iterations > 0 overrides T. Equivariant in the slots and, from the first iteration on,
  /// invariant to the order of the inputs (Proposition 1).
  SlotAttentionOutput forward(const torch::Tensor& inputs, const torch::Tensor& initial_slots = {},
                              const torch::Tensor& padding = {}, int64_t iterations = 0);

  /// K slots per example sampled from the shared learned Gaussian: μ + σ ⊙ z, z ~ N(0, I).
  /// [B, K, D]; differentiable in μ and σ (reparameterisation).
  torch::Tensor sample_slots(int64_t batch, int64_t num_slots) const;

  /// Multiply-adds of one forward pass over N inputs with K slots (batch 1).
  double flops(int64_t n, int64_t k) const;

  SlotAttentionOptions options;
  torch::Tensor mu, log_sigma;  // [D] each
  torch::nn::LayerNorm norm_inputs{nullptr}, norm_slots{nullptr}, norm_mlp{nullptr};
  torch::nn::Linear project_q{nullptr}, project_k{nullptr}, project_v{nullptr};
  torch::nn::GRUCell gru{nullptr};
  torch::nn::Linear mlp1{nullptr}, mlp2{nullptr};
};
TORCH_MODULE(SlotAttention);

}  // namespace setformer::nn

// The Transformer (Vaswani et al. 2017): an encoder-decoder over token sequences with sinusoidal
// or learned positions, shared embeddings, post- or pre-norm layers whose attention kernels come
// from configuration, teacher-forced training and incremental decoding (greedy and beam search,
// models/decoding.h).
#pragma once

#include "setformer/attention/options.h"
#include "setformer/nn/transformer_layers.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <vector>

namespace setformer::models {

/// `sinusoidal` PE(pos, 2i) = sin(pos / 10000^{2i/d}), PE(pos, 2i+1) = cos(...) (§3.5), or a
/// `learned` table of max_length rows.
enum class PositionEncoding { sinusoidal, learned };

struct TransformerOptions {
  TransformerOptions(int64_t source_vocab, int64_t target_vocab)
      : source_vocab_(source_vocab), target_vocab_(target_vocab) {}
  TORCH_ARG(int64_t, source_vocab);
  TORCH_ARG(int64_t, target_vocab);
  /// d_model, h, d_ff, N: the base model of Table 3.
  TORCH_ARG(int64_t, dim) = 512;
  TORCH_ARG(int64_t, heads) = 8;
  TORCH_ARG(int64_t, ffn_dim) = 2048;
  TORCH_ARG(int64_t, encoder_layers) = 6;
  TORCH_ARG(int64_t, decoder_layers) = 6;
  /// P_drop on sub-layer outputs and on the embeddings plus positions (§5.4).
  TORCH_ARG(double, dropout) = 0.1;
  /// Dropout on the attention weights.
  TORCH_ARG(double, attention_dropout) = 0.0;
  TORCH_ARG(nn::NormPlacement, norm) = nn::NormPlacement::post;
  TORCH_ARG(PositionEncoding, positions) = PositionEncoding::sinusoidal;
  /// Longest sequence the learned position table covers.
  TORCH_ARG(int64_t, max_length) = 1024;
  /// One embedding for source and target tokens (needs equal vocabularies), as in the paper's
  /// shared BPE vocabulary.
  TORCH_ARG(bool, share_embeddings) = true;
  /// The pre-softmax projection is the target embedding's transpose (§3.4).
  TORCH_ARG(bool, tie_output) = true;
  /// Attention kernels: encoder self-attention (any global kernel), decoder self-attention
  /// (causal: softmax, linear or performer) and decoder cross-attention.
  TORCH_ARG(std::string, encoder_kernel) = "softmax";
  TORCH_ARG(std::string, decoder_kernel) = "softmax";
  TORCH_ARG(std::string, cross_kernel) = "softmax";
  /// Settings of the kernels (set, performer, nystrom, inducing); its kernel, dim, heads and
  /// dropout are the model's.
  TORCH_ARG(attention::AttentionOptions, kernels) = attention::AttentionOptions(1, 1);
  /// The padding token of both vocabularies.
  TORCH_ARG(int64_t, pad_id) = 0;
};

/// Named configurations: `base` and `big` (the paper's Table 3: d 512/1024, h 8/16, d_ff
/// 2048/4096, N 6, P_drop 0.1/0.3), and `small` (d 128, h 4, d_ff 512, N 3) and `tiny` (d 64,
/// h 4, d_ff 256, N 2) for this machine. Throws naming the choices for another name.
TransformerOptions transformer_preset(const std::string& name, int64_t source_vocab,
                                      int64_t target_vocab);
const std::vector<std::string>& transformer_presets();

/// PE [n, d] of §3.5 (d even).
torch::Tensor sinusoidal_positions(int64_t n, int64_t d, const torch::TensorOptions& options = {});

/// What the decoder keeps between incremental steps: per layer the cached self-attention inputs
/// and the encoder memory's keys and values, and the next position.
struct DecoderState {
  std::vector<nn::DecoderLayerCache> layers;
  torch::Tensor memory, memory_padding;  // until the first step has cached them
  int64_t position = 0;
  /// Keeps the batch rows `index` (beam search).
  void select(const torch::Tensor& index);
};

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const TransformerOptions& options);

  /// source [B, S] (long) -> memory [B, S, d]; padding is where source == pad_id.
  torch::Tensor encode(const torch::Tensor& source);
  /// Teacher forcing: target_in [B, T] (long, starting with BOS), memory [B, S, d],
  /// source [B, S] (for its padding) -> logits [B, T, V_target]; position t sees target_in[:, ≤t].
  torch::Tensor decode(const torch::Tensor& target_in, const torch::Tensor& memory,
                       const torch::Tensor& source);
  /// source [B, S], target_in [B, T] -> logits [B, T, V_target].
  torch::Tensor forward(const torch::Tensor& source, const torch::Tensor& target_in);

  /// Starts incremental decoding over `memory` of `source`.
  DecoderState start(const torch::Tensor& memory, const torch::Tensor& source);
  /// Feeds tokens [B] (the last position of each sequence) -> log-probabilities [B, V_target] of
  /// the next token; equals the last row of decode() over the prefix.
  torch::Tensor step(const torch::Tensor& tokens, DecoderState& state);

  /// Multiply-adds of one forward pass on S source and T target tokens (batch 1): layers and
  /// the output projection.
  double flops(int64_t source_length, int64_t target_length) const;

  TransformerOptions options;
  torch::nn::Embedding source_embedding{nullptr}, target_embedding{nullptr};
  torch::nn::Embedding source_positions{nullptr}, target_positions{nullptr};  // learned only
  torch::nn::ModuleList encoder{nullptr}, decoder{nullptr};
  torch::nn::LayerNorm encoder_norm{nullptr}, decoder_norm{nullptr};  // pre-norm only
  torch::nn::Linear output{nullptr};                                  // when not tied
  torch::Tensor output_bias;
  torch::nn::Dropout dropout{nullptr};

 private:
  /// Embedding · √d + positions from `offset`, then dropout: [B, n] -> [B, n, d].
  torch::Tensor embed(const torch::Tensor& tokens, bool source, int64_t offset);
  torch::Tensor logits(const torch::Tensor& hidden);
};

TORCH_MODULE(Transformer);

}  // namespace setformer::models

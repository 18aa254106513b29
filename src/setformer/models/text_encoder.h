// The text encoder of the language experiments (issue 7; SeTformer paper §5, Tables 7 and 11):
// token embeddings, positions, pre-norm blocks with any attention kernel, a final LayerNorm, an
// MLM head tied to the embeddings (BERT, Devlin et al. 2019, §3.1) and a classification head over
// the mean of the valid tokens or over a learned [CLS] vector put in front of them.
#pragma once

#include "setformer/attention/options.h"
#include "setformer/nn/block.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

namespace setformer::models {

/// `auto`: SeT's own LPE on its similarity for `set`, sinusoidal embeddings added to the tokens
/// for every other kernel (the paper's choice); or one of sinusoidal, learned, none for all.
enum class TextPositions { automatic, sinusoidal, learned, none };
TextPositions parse_text_positions(const std::string& field, const std::string& text);

/// What the classification head reads: `mean`, the mean of the valid tokens' final states; or
/// `cls`, the final state of a learned vector put in front of the tokens (BERT's [CLS], as the
/// Long Range Arena's models pool: zero at initialisation, position 0, the tokens after it).
enum class TextPooling { mean, cls };

}  // namespace setformer::models

namespace setformer::attention {
/// Parsed with attention::parse_enum<models::TextPooling>.
template <>
struct EnumNames<models::TextPooling> {
  static constexpr std::array<std::pair<models::TextPooling, const char*>, 2> values{
      {{models::TextPooling::mean, "mean"}, {models::TextPooling::cls, "cls"}}};
};
}  // namespace setformer::attention

namespace setformer::models {

struct TextEncoderOptions {
  TextEncoderOptions(int64_t vocab, int64_t classes) : vocab_(vocab), classes_(classes) {}
  TORCH_ARG(int64_t, vocab);
  /// Outputs of the classification head (0: none).
  TORCH_ARG(int64_t, classes);
  TORCH_ARG(int64_t, dim) = 256;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, depth) = 4;
  TORCH_ARG(double, mlp_ratio) = 4.0;
  /// Dropout on the embeddings, the attention output and the MLP (BERT's hidden dropout).
  TORCH_ARG(double, dropout) = 0.1;
  /// Dropout on the attention weights (softmax's probabilities, SeT's plan). Off by default:
  /// kernels that never form the weights (performer, linear) cannot drop them, so a comparison
  /// across kernels keeps it at 0; and on the n x n softmax matrix it costs two extra passes and a
  /// mask as large as the matrix, while SeT's fused core takes no dropout.
  TORCH_ARG(double, attention_dropout) = 0.0;
  TORCH_ARG(double, drop_path) = 0.0;
  /// Attention kernel of every block, with its settings in `kernels` (set, performer, nystrom,
  /// inducing); kernel, dim, heads and dropout there are the encoder's
  /// (dropout = attention_dropout).
  TORCH_ARG(std::string, kernel) = "set";
  TORCH_ARG(attention::AttentionOptions, kernels) = attention::AttentionOptions(1, 1);
  TORCH_ARG(TextPositions, positions) = TextPositions::automatic;
  TORCH_ARG(TextPooling, pooling) = TextPooling::mean;
  /// Longest sequence (learned positions, and SeT's absolute positions when asked).
  TORCH_ARG(int64_t, max_length) = 4096;
  TORCH_ARG(int64_t, pad_id) = 0;
  /// Segment (token type) embeddings added to the tokens, as BERT's for sentence pairs: 2 for
  /// pair tasks, 0 for none (the weights then have no such table, as before issue 40).
  TORCH_ARG(int64_t, segments) = 0;
};

class TextEncoderImpl : public torch::nn::Module {
 public:
  explicit TextEncoderImpl(const TextEncoderOptions& options);

  /// tokens [B, n] (int64) -> hidden states [B, n, d]; padding is where tokens == pad_id.
  /// `segments` [B, n] (int64 in [0, options.segments)) when the encoder has segment embeddings.
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& segments = {});
  /// tokens [B, n] -> the blocks' input [B, n, d]: token embeddings plus the added positions
  /// (before dropout). Both start at the scale of BERT's tables (std 0.02 per feature): the
  /// sinusoidal table is scaled to it, since at its own scale (rms 1/√2 per feature, 35× the
  /// tokens') it swamps the token identities in the residual stream.
  torch::Tensor embed(const torch::Tensor& tokens, const torch::Tensor& segments = {});
  /// hidden [..., d] -> MLM logits [..., vocab]: dense, GELU, LayerNorm, then the token
  /// embeddings' transpose and a bias. Pre-training passes the masked positions only ([k, d]).
  torch::Tensor mlm_logits(const torch::Tensor& hidden);
  /// tokens [B, n] -> class logits [B, classes] from the mean of the valid tokens' states, or
  /// from the state of the [CLS] vector (options.pooling).
  torch::Tensor classify(const torch::Tensor& tokens, const torch::Tensor& segments = {});
  /// Multiply-adds of the encoder on n tokens (batch 1), heads excluded.
  double flops(int64_t n) const;

  TextEncoderOptions options;
  torch::nn::Embedding embedding{nullptr}, learned_positions{nullptr}, segment_embedding{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr}, mlm_norm{nullptr};
  torch::nn::Linear mlm_dense{nullptr}, classifier{nullptr};
  torch::Tensor mlm_bias;
  /// [d]: the [CLS] vector (pooling = cls with a classification head only).
  torch::Tensor cls;
  torch::nn::Dropout dropout{nullptr};

 private:
  /// x [B, n, d] -> x plus the added positions of positions 0..n-1.
  torch::Tensor add_positions(torch::Tensor x);
  /// x [B, n, d] (embedded), padding [B, n] -> final states [B, n, d].
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& padding);
  /// Checks tokens [B, n] and returns their padding mask.
  torch::Tensor padding_of(const torch::Tensor& tokens) const;
  /// The token embeddings plus the segments' (checked against tokens [B, n]).
  torch::Tensor token_embeddings(const torch::Tensor& tokens, const torch::Tensor& segments);
};

TORCH_MODULE(TextEncoder);

}  // namespace setformer::models

#include "setformer/models/text_encoder.h"

#include "setformer/core/error.h"
#include "setformer/models/transformer.h"

#include <torch/torch.h>

#include <cmath>

namespace setformer::models {

TextPositions parse_text_positions(const std::string& field, const std::string& text) {
  if (text == "auto") return TextPositions::automatic;
  if (text == "sinusoidal") return TextPositions::sinusoidal;
  if (text == "learned") return TextPositions::learned;
  if (text == "none") return TextPositions::none;
  throw std::invalid_argument(fmt::format(
      "{} = '{}' is not valid; expected auto | sinusoidal | learned | none", field, text));
}

namespace {

/// Standard deviation of the token and learned position tables at initialisation (BERT's), and
/// the per-feature rms the sinusoidal table is scaled to.
constexpr double kEmbeddingStd = 0.02;

/// Positions added to the embeddings: sinusoidal for `auto` unless the kernel is SeT.
TextPositions added_positions(const TextEncoderOptions& o) {
  if (o.positions() != TextPositions::automatic) return o.positions();
  return o.kernel() == "set" ? TextPositions::none : TextPositions::sinusoidal;
}

}  // namespace

TextEncoderImpl::TextEncoderImpl(const TextEncoderOptions& options_) : options(options_) {
  const auto& o = options;
  SETFORMER_CHECK(o.vocab() >= 1, "text encoder vocab must be >= 1, got {}", o.vocab());
  SETFORMER_CHECK(o.classes() >= 0, "text encoder classes must be >= 0, got {}", o.classes());
  SETFORMER_CHECK(o.depth() >= 1, "text encoder depth must be >= 1, got {}", o.depth());
  SETFORMER_CHECK(o.dim() % 2 == 0, "text encoder dim must be even, got {}", o.dim());
  SETFORMER_CHECK(o.pad_id() >= 0 && o.pad_id() < o.vocab(),
                  "text encoder pad_id = {} is outside the vocabulary", o.pad_id());
  const int64_t d = o.dim();
  embedding = register_module(
      "embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(o.vocab(), d).padding_idx(o.pad_id())));
  {
    torch::NoGradGuard no_grad;
    embedding->weight.normal_(0.0, kEmbeddingStd);
    embedding->weight[o.pad_id()].zero_();
  }
  if (added_positions(o) == TextPositions::learned) {
    learned_positions =
        register_module("learned_positions", torch::nn::Embedding(o.max_length(), d));
    torch::NoGradGuard no_grad;
    learned_positions->weight.normal_(0.0, kEmbeddingStd);
  }
  SETFORMER_CHECK(o.segments() >= 0, "text encoder segments must be >= 0, got {}", o.segments());
  if (o.segments() > 0) {
    segment_embedding = register_module("segment_embedding", torch::nn::Embedding(o.segments(), d));
    torch::NoGradGuard no_grad;
    segment_embedding->weight.normal_(0.0, kEmbeddingStd);
  }
  auto attention = attention::AttentionOptions(o.kernels())
                       .kernel(o.kernel())
                       .dim(d)
                       .heads(o.heads())
                       .dropout(o.attention_dropout());
  // SeT carries the positions itself only under `auto`.
  attention.set().positions(o.kernel() == "set" && o.positions() == TextPositions::automatic
                                ? attention::Positions::lpe
                                : attention::Positions::none);
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.depth(); ++i) {
    blocks->push_back(nn::PreNormBlock(nn::BlockOptions(attention)
                                           .mlp_ratio(o.mlp_ratio())
                                           .dropout(o.dropout())
                                           .drop_path(o.drop_path() * static_cast<double>(i) /
                                                      std::max<double>(1.0, o.depth() - 1.0))));
  }
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  mlm_dense = register_module("mlm_dense", torch::nn::Linear(d, d));
  mlm_norm = register_module("mlm_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  mlm_bias = register_parameter("mlm_bias", torch::zeros({o.vocab()}));
  if (o.classes() > 0) {
    classifier = register_module("classifier", torch::nn::Linear(d, o.classes()));
    if (o.pooling() == TextPooling::cls) cls = register_parameter("cls", torch::zeros({d}));
  }
  dropout = register_module("dropout", torch::nn::Dropout(o.dropout()));
}

torch::Tensor TextEncoderImpl::padding_of(const torch::Tensor& tokens) const {
  check_shape(tokens, "text tokens", {-1, -1}, "[B, n]");
  SETFORMER_CHECK(tokens.scalar_type() == torch::kLong, "text tokens must be int64, got {}",
                  c10::toString(tokens.scalar_type()));
  const auto padding = tokens.eq(options.pad_id());
  SETFORMER_CHECK(!padding.all(1).any().item<bool>(), "a text sequence holds only padding");
  return padding;
}

torch::Tensor TextEncoderImpl::encode(const torch::Tensor& x, const torch::Tensor& padding) {
  auto h = dropout(x);
  const auto mask = attention::Mask().padding(padding);
  for (const auto& block : *blocks) h = block->as<nn::PreNormBlock>()->forward(h, mask);
  return norm(h);
}

torch::Tensor TextEncoderImpl::forward(const torch::Tensor& tokens, const torch::Tensor& segments) {
  const auto padding = padding_of(tokens);
  return encode(embed(tokens, segments), padding);
}

torch::Tensor TextEncoderImpl::embed(const torch::Tensor& tokens, const torch::Tensor& segments) {
  check_shape(tokens, "text tokens", {-1, -1}, "[B, n]");
  return add_positions(token_embeddings(tokens, segments));
}

torch::Tensor TextEncoderImpl::token_embeddings(const torch::Tensor& tokens,
                                                const torch::Tensor& segments) {
  if (!segment_embedding) {
    SETFORMER_CHECK(!segments.defined(),
                    "segments given, but this text encoder has no segment embeddings "
                    "(options.segments = 0)");
    return embedding(tokens);
  }
  if (!segments.defined()) return embedding(tokens) + segment_embedding->weight[0];
  check_shape(segments, "text segments", {tokens.size(0), tokens.size(1)}, "[B, n]");
  SETFORMER_CHECK(segments.scalar_type() == torch::kLong, "text segments must be int64");
  SETFORMER_CHECK(segments.numel() == 0 || (segments.min().item<int64_t>() >= 0 &&
                                            segments.max().item<int64_t>() < options.segments()),
                  "text segments must lie in [0, {})", options.segments());
  return embedding(tokens) + segment_embedding(segments);
}

torch::Tensor TextEncoderImpl::add_positions(torch::Tensor x) {
  const int64_t n = x.size(1);
  const auto positions = added_positions(options);
  if (positions == TextPositions::sinusoidal) {
    // sin and cos have rms 1/√2 per feature.
    x = x + kEmbeddingStd * std::sqrt(2.0) * sinusoidal_positions(n, options.dim(), x.options());
  } else if (positions == TextPositions::learned) {
    SETFORMER_CHECK(n <= options.max_length(),
                    "text of {} tokens is longer than the learned positions' max_length = {}", n,
                    options.max_length());
    x = x + learned_positions(torch::arange(n, x.options().dtype(torch::kLong)));
  }
  return x;
}

torch::Tensor TextEncoderImpl::mlm_logits(const torch::Tensor& hidden) {
  const auto h = mlm_norm(torch::gelu(mlm_dense(hidden)));
  return torch::matmul(h, embedding->weight.t()) + mlm_bias;
}

torch::Tensor TextEncoderImpl::classify(const torch::Tensor& tokens,
                                        const torch::Tensor& segments) {
  SETFORMER_CHECK(classifier, "this text encoder has no classification head (classes = 0)");
  const auto padding = padding_of(tokens);
  if (options.pooling() == TextPooling::cls) {
    // [CLS] at position 0, before the positions are added, so that the tokens follow it.
    const auto words = token_embeddings(tokens, segments);
    const auto first = cls.expand({words.size(0), 1, words.size(2)});
    const auto x = add_positions(torch::cat({first, words}, 1));
    const auto with_cls = torch::cat({torch::zeros_like(padding.slice(1, 0, 1)), padding}, 1);
    return classifier(encode(x, with_cls).select(1, 0));
  }
  const auto hidden = encode(embed(tokens, segments), padding);
  const auto valid = padding.logical_not().unsqueeze(-1).to(hidden.scalar_type());
  const auto pooled = (hidden * valid).sum(1) / valid.sum(1);
  return classifier(pooled);
}

double TextEncoderImpl::flops(int64_t n) const {
  double total = 0;
  for (const auto& block : *blocks) total += block->as<nn::PreNormBlock>()->flops(n);
  return total;
}

}  // namespace setformer::models

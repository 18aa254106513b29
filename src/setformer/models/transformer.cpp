#include "setformer/models/transformer.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>

namespace setformer::models {

const std::vector<std::string>& transformer_presets() {
  static const std::vector<std::string> names{"tiny", "small", "base", "big"};
  return names;
}

TransformerOptions transformer_preset(const std::string& name, int64_t source_vocab,
                                      int64_t target_vocab) {
  auto o = TransformerOptions(source_vocab, target_vocab);
  if (name == "base") return o;
  if (name == "big") return o.dim(1024).heads(16).ffn_dim(4096).dropout(0.3);
  if (name == "small") return o.dim(128).heads(4).ffn_dim(512).encoder_layers(3).decoder_layers(3);
  if (name == "tiny") return o.dim(64).heads(4).ffn_dim(256).encoder_layers(2).decoder_layers(2);
  throw std::invalid_argument(fmt::format("unknown transformer preset '{}'; expected one of: {}",
                                          name, fmt::join(transformer_presets(), ", ")));
}

torch::Tensor sinusoidal_positions(int64_t n, int64_t d, const torch::TensorOptions& options) {
  SETFORMER_CHECK(d % 2 == 0, "sinusoidal positions need an even width, got {}", d);
  const auto opts = options.dtype(torch::kFloat);
  const auto position = torch::arange(n, opts).unsqueeze(1);                              // [n, 1]
  const auto rate = torch::exp(torch::arange(0, d, 2, opts) * (-std::log(10000.0) / d));  // [d/2]
  const auto angle = position * rate;
  // Interleaved: sin at even, cos at odd features.
  return torch::stack({angle.sin(), angle.cos()}, 2).view({n, d});
}

void DecoderState::select(const torch::Tensor& index) {
  for (auto& layer : layers) {
    layer.self.select(index);
    layer.cross.select(index);
  }
  if (memory.defined()) memory = memory.index_select(0, index);
  if (memory_padding.defined()) memory_padding = memory_padding.index_select(0, index);
}

namespace {

nn::TransformerLayerOptions layer_options(const TransformerOptions& o) {
  auto layer = nn::TransformerLayerOptions(o.dim(), o.heads())
                   .ffn_dim(o.ffn_dim())
                   .dropout(o.dropout())
                   .norm(o.norm());
  const auto attention = [&](const std::string& kernel) {
    return attention::AttentionOptions(o.kernels())
        .kernel(kernel)
        .dim(o.dim())
        .heads(o.heads())
        .dropout(o.attention_dropout());
  };
  layer.self_attention(attention(o.encoder_kernel()));
  layer.cross_attention(attention(o.cross_kernel()));
  return layer;
}

}  // namespace

TransformerImpl::TransformerImpl(const TransformerOptions& options_) : options(options_) {
  const auto& o = options;
  SETFORMER_CHECK(o.source_vocab() >= 1 && o.target_vocab() >= 1,
                  "transformer vocabularies must be >= 1, got {} and {}", o.source_vocab(),
                  o.target_vocab());
  SETFORMER_CHECK(o.dim() % 2 == 0, "transformer dim must be even, got {}", o.dim());
  SETFORMER_CHECK(o.encoder_layers() >= 1 && o.decoder_layers() >= 1,
                  "transformer needs at least one encoder and one decoder layer");
  SETFORMER_CHECK(o.pad_id() >= 0 && o.pad_id() < std::min(o.source_vocab(), o.target_vocab()),
                  "transformer pad_id = {} is outside the vocabularies", o.pad_id());
  SETFORMER_CHECK(!o.share_embeddings() || o.source_vocab() == o.target_vocab(),
                  "share_embeddings needs equal vocabularies, got {} and {}", o.source_vocab(),
                  o.target_vocab());
  const auto embedding = [&](int64_t vocab) {
    auto e =
        torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab, o.dim()).padding_idx(o.pad_id()));
    // N(0, d^-1/2): with the √d scaling the embedded tokens have unit scale.
    torch::NoGradGuard no_grad;
    e->weight.normal_(0.0, std::pow(static_cast<double>(o.dim()), -0.5));
    e->weight[o.pad_id()].zero_();
    return e;
  };
  target_embedding = register_module("target_embedding", embedding(o.target_vocab()));
  source_embedding = o.share_embeddings()
                         ? target_embedding
                         : register_module("source_embedding", embedding(o.source_vocab()));
  if (o.positions() == PositionEncoding::learned) {
    const auto table = torch::nn::EmbeddingOptions(o.max_length(), o.dim());
    source_positions = register_module("source_positions", torch::nn::Embedding(table));
    target_positions = register_module("target_positions", torch::nn::Embedding(table));
  }
  auto layer = layer_options(o);
  encoder = register_module("encoder", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.encoder_layers(); ++i)
    encoder->push_back(nn::TransformerEncoderLayer(layer));
  layer.self_attention().kernel(o.decoder_kernel());
  decoder = register_module("decoder", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.decoder_layers(); ++i)
    decoder->push_back(nn::TransformerDecoderLayer(layer));
  if (o.norm() == nn::NormPlacement::pre) {
    encoder_norm = register_module("encoder_norm",
                                   torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()})));
    decoder_norm = register_module("decoder_norm",
                                   torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()})));
  }
  if (o.tie_output()) {
    output_bias = register_parameter("output_bias", torch::zeros({o.target_vocab()}));
  } else {
    output = register_module("output", torch::nn::Linear(o.dim(), o.target_vocab()));
  }
  dropout = register_module("dropout", torch::nn::Dropout(o.dropout()));
}

torch::Tensor TransformerImpl::embed(const torch::Tensor& tokens, bool source, int64_t offset) {
  const int64_t n = tokens.size(1);
  auto x = (source ? source_embedding
                   : target_embedding)(tokens)*std::sqrt(static_cast<double>(options.dim()));
  if (options.positions() == PositionEncoding::learned) {
    SETFORMER_CHECK(offset + n <= options.max_length(),
                    "sequence of {} tokens is longer than the learned positions' max_length = {}",
                    offset + n, options.max_length());
    x = x + (source ? source_positions
                    : target_positions)(torch::arange(offset, offset + n, tokens.options()));
  } else {
    x = x + sinusoidal_positions(offset + n, options.dim(), x.options()).narrow(0, offset, n);
  }
  return dropout(x);
}

torch::Tensor TransformerImpl::logits(const torch::Tensor& hidden) {
  if (output) return output(hidden);
  return torch::matmul(hidden, target_embedding->weight.t()) + output_bias;
}

namespace {

void check_tokens(const torch::Tensor& t, const char* name, int64_t vocab) {
  check_shape(t, name, {-1, -1}, "[B, n]");
  SETFORMER_CHECK(t.scalar_type() == torch::kLong, "{} must be int64 token ids, got {}", name,
                  c10::toString(t.scalar_type()));
  SETFORMER_CHECK(t.size(1) >= 1, "{} is empty", name);
  if (t.numel() > 0) {
    const auto lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
    SETFORMER_CHECK(lo >= 0 && hi < vocab, "{} holds token id {} outside the vocabulary [0, {})",
                    name, lo < 0 ? lo : hi, vocab);
  }
}

}  // namespace

torch::Tensor TransformerImpl::encode(const torch::Tensor& source) {
  check_tokens(source, "source tokens", options.source_vocab());
  const auto padding = source.eq(options.pad_id());
  SETFORMER_CHECK(!padding.all(1).any().item<bool>(),
                  "a source sequence holds only padding (token {})", options.pad_id());
  auto x = embed(source, /*source=*/true, 0);
  for (const auto& layer : *encoder)
    x = layer->as<nn::TransformerEncoderLayer>()->forward(x, padding);
  return encoder_norm ? encoder_norm(x) : x;
}

torch::Tensor TransformerImpl::decode(const torch::Tensor& target_in, const torch::Tensor& memory,
                                      const torch::Tensor& source) {
  check_tokens(target_in, "target tokens", options.target_vocab());
  const auto memory_padding = source.eq(options.pad_id());
  // Padding after the end of a target needs no mask of its own: causal attention keeps it out
  // of every earlier position, and its own outputs are ignored by the loss.
  auto y = embed(target_in, /*source=*/false, 0);
  for (const auto& layer : *decoder)
    y = layer->as<nn::TransformerDecoderLayer>()->forward(y, memory, {}, memory_padding);
  return logits(decoder_norm ? decoder_norm(y) : y);
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& source,
                                       const torch::Tensor& target_in) {
  return decode(target_in, encode(source), source);
}

DecoderState TransformerImpl::start(const torch::Tensor& memory, const torch::Tensor& source) {
  DecoderState state;
  state.layers.resize(decoder->size());
  state.memory = memory;
  state.memory_padding = source.eq(options.pad_id());
  return state;
}

torch::Tensor TransformerImpl::step(const torch::Tensor& tokens, DecoderState& state) {
  check_shape(tokens, "decoder step tokens", {-1}, "[B]");
  auto y = embed(tokens.unsqueeze(1), /*source=*/false, state.position);
  for (size_t i = 0; i < decoder->size(); ++i) {
    y = decoder[i]->as<nn::TransformerDecoderLayer>()->step(y, state.layers[i], state.memory,
                                                            state.memory_padding);
  }
  // The caches now hold the memory's keys and values.
  state.memory = torch::Tensor();
  ++state.position;
  return torch::log_softmax(logits(decoder_norm ? decoder_norm(y) : y).squeeze(1), -1);
}

double TransformerImpl::flops(int64_t source_length, int64_t target_length) const {
  double total = 0;
  for (const auto& layer : *encoder)
    total += layer->as<nn::TransformerEncoderLayer>()->flops(source_length);
  for (const auto& layer : *decoder)
    total += layer->as<nn::TransformerDecoderLayer>()->flops(target_length, source_length);
  return total + static_cast<double>(target_length * options.dim() * options.target_vocab());
}

}  // namespace setformer::models

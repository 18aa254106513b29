#include "setformer/models/slot_models.h"

#include "setformer/core/error.h"
#include "setformer/core/hungarian.h"

#include <torch/torch.h>

#include <iterator>
#include <vector>

namespace setformer::models {

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2));
}

/// Side of a map after a 5×5 convolution with padding 2 ("SAME") and this stride.
int64_t after_stride(int64_t size, int64_t stride) {
  return (size + stride - 1) / stride;
}

}  // namespace

torch::Tensor position_grid(int64_t h, int64_t w) {
  SETFORMER_CHECK(h >= 1 && w >= 1, "position grid: need h, w >= 1, got {}×{}", h, w);
  const auto ys = torch::linspace(0, 1, h).view({h, 1}).expand({h, w});
  const auto xs = torch::linspace(0, 1, w).view({1, w}).expand({h, w});
  return torch::stack({ys, xs, 1 - ys, 1 - xs}, -1);
}

SoftPositionEmbeddingImpl::SoftPositionEmbeddingImpl(int64_t channels) {
  project = register_module("project", torch::nn::Linear(4, channels));
}

torch::Tensor SoftPositionEmbeddingImpl::forward(const torch::Tensor& x) {
  check_shape(x, "position embedding input", {-1, project->options.out_features(), -1, -1},
              "[B, C, H, W]");
  const auto grid = position_grid(x.size(2), x.size(3)).to(x.options());
  return x + project(grid).permute({2, 0, 1}).unsqueeze(0);
}

SlotEncoderImpl::SlotEncoderImpl(const SlotEncoderOptions& options_) : options(options_) {
  const int64_t c = options.channels();
  SETFORMER_CHECK(c > 0 && !options.strides().empty(),
                  "slot encoder: channels must be > 0 and strides non-empty");
  cnn = register_module("cnn", torch::nn::Sequential());
  feature_size = options.image_size();
  int64_t in = 3;
  for (const int64_t stride : options.strides()) {
    SETFORMER_CHECK(stride == 1 || stride == 2, "slot encoder: strides must be 1 or 2, got {}",
                    stride);
    cnn->push_back(conv(in, c, 5, stride));
    cnn->push_back(torch::nn::ReLU());
    feature_size = after_stride(feature_size, stride);
    in = c;
  }
  position = register_module("position", SoftPositionEmbedding(c));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c})));
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(c, c), torch::nn::ReLU(),
                                                     torch::nn::Linear(c, c)));
  auto slots = options.slots();
  slots.input_dim(c);
  options.slots(slots);
  if (options.grouping() == Grouping::slot_attention) {
    slot_attention = register_module("slot_attention", nn::SlotAttention(slots));
    return;
  }
  const int64_t d = slots.slot_dim(), k = slots.num_slots();
  slot_mlp = register_module("slot_mlp", torch::nn::Sequential());
  int64_t width = c * options.mlp_resize() * options.mlp_resize();
  for (const int64_t hidden : options.mlp_hidden()) {
    slot_mlp->push_back(torch::nn::Linear(width, hidden));
    slot_mlp->push_back(torch::nn::ReLU());
    width = hidden;
  }
  slot_mlp->push_back(torch::nn::Linear(width, k * d));
  if (options.mlp_per_slot()) {
    per_slot = register_module("per_slot",
                               torch::nn::Sequential(torch::nn::Linear(d, 64), torch::nn::ReLU(),
                                                     torch::nn::Linear(64, d)));
  }
}

Grouped SlotEncoderImpl::forward(const torch::Tensor& images, int64_t num_slots,
                                 int64_t iterations) {
  const int64_t s = options.image_size();
  check_shape(images, "images", {-1, 3, s, s}, "[B, 3, S, S]");
  // 1.13x a CLEVR training step on the CPU (docs/results/slot_attention.md, bench/slots_bench.cpp).
  const bool channels_last = options.channels_last() && images.device().is_cpu();
  const auto input = channels_last ? images.contiguous(at::MemoryFormat::ChannelsLast) : images;
  auto x = position(cnn->forward(input));  // [B, C, H, W]
  Grouped out;
  out.feature_height = x.size(2);
  out.feature_width = x.size(3);
  const int64_t batch = x.size(0);
  if (options.grouping() == Grouping::slot_mlp) {
    const int64_t k = options.slots().num_slots();
    SETFORMER_CHECK(num_slots == 0 || num_slots == k,
                    "the Slot MLP baseline has a fixed number of slots ({}); {} were asked for", k,
                    num_slots);
    // Per-location norm and MLP as for Slot Attention, then the resized map as one vector.
    auto features = mlp->forward(norm(x.flatten(2).transpose(1, 2)));
    features = features.transpose(1, 2).reshape(x.sizes());
    const int64_t r = options.mlp_resize();
    features =
        torch::nn::functional::interpolate(features, torch::nn::functional::InterpolateFuncOptions()
                                                         .size(std::vector<int64_t>{r, r})
                                                         .mode(torch::kBilinear)
                                                         .align_corners(false));
    out.slots = slot_mlp->forward(features.flatten(1)).view({batch, k, -1});
    if (!per_slot.is_empty()) out.slots = per_slot->forward(out.slots);
    return out;
  }
  const auto inputs = mlp->forward(norm(x.flatten(2).transpose(1, 2)));  // [B, H·W, C]
  const auto initial =
      slot_attention->sample_slots(batch, num_slots > 0 ? num_slots : options.slots().num_slots());
  auto result = slot_attention->forward(inputs, initial, {}, iterations);
  out.slots = result.slots;
  out.attention = std::move(result.attention);
  out.iterates = std::move(result.iterates);
  return out;
}

double SlotEncoderImpl::flops() const {
  double total = 0, side = static_cast<double>(options.image_size()), in = 3;
  const double c = static_cast<double>(options.channels());
  for (const int64_t stride : options.strides()) {
    side = static_cast<double>(after_stride(static_cast<int64_t>(side), stride));
    total += side * side * 25 * in * c;
    in = c;
  }
  const double n = side * side;
  total += n * 2 * c * c;  // per-location MLP
  if (!slot_attention.is_empty()) {
    return total + slot_attention->flops(static_cast<int64_t>(n), options.slots().num_slots());
  }
  double width = c * static_cast<double>(options.mlp_resize() * options.mlp_resize());
  for (const int64_t hidden : options.mlp_hidden()) {
    total += width * static_cast<double>(hidden);
    width = static_cast<double>(hidden);
  }
  const double k = static_cast<double>(options.slots().num_slots()),
               d = static_cast<double>(options.slots().slot_dim());
  total += width * k * d;
  if (!per_slot.is_empty()) total += k * 2 * d * 64;
  return total;
}

ObjectDiscoveryImpl::ObjectDiscoveryImpl(const ObjectDiscoveryOptions& options_)
    : options(options_) {
  encoder = register_module("encoder", SlotEncoder(options.encoder()));
  const int64_t d = encoder->options.slots().slot_dim(), c = options.decoder_channels(),
                s = options.encoder().image_size();
  const int64_t r = options.decoder_resolution() == 0 ? s : options.decoder_resolution();
  int64_t upsamplings = 0;
  for (int64_t side = r; side < s; side *= 2) ++upsamplings;
  SETFORMER_CHECK(r > 0 && (r << upsamplings) == s,
                  "object discovery: model.decoder_resolution = {} must be the image size {} "
                  "halved a whole number of times",
                  options.decoder_resolution(), s);
  SETFORMER_CHECK(options.decoder_layers() >= upsamplings,
                  "object discovery: model.decoder_layers = {} cannot double {} to {} ({} "
                  "stride-2 layers needed)",
                  options.decoder_layers(), r, s, upsamplings);
  decoder_position = register_module("decoder_position", SoftPositionEmbedding(d));
  decoder = register_module("decoder", torch::nn::Sequential());
  int64_t in = d;
  for (int64_t layer = 0; layer < options.decoder_layers(); ++layer) {
    if (layer < upsamplings) {
      decoder->push_back(torch::nn::ConvTranspose2d(
          torch::nn::ConvTranspose2dOptions(in, c, 5).stride(2).padding(2).output_padding(1)));
    } else {
      decoder->push_back(conv(in, c, 5, 1));
    }
    decoder->push_back(torch::nn::ReLU());
    in = c;
  }
  decoder->push_back(conv(in, 4, 3, 1));
}

torch::Tensor ObjectDiscoveryImpl::first_decoder_layer(const torch::Tensor& slots) {
  const int64_t n = slots.size(0), d = slots.size(1), s = options.encoder().image_size();
  const int64_t r = options.decoder_resolution() == 0 ? s : options.decoder_resolution();
  const auto ones = torch::ones({1, 1, r, r}, slots.options());
  const auto position = decoder_position(torch::zeros({1, d, r, r}, slots.options()));
  // responses [D, C, R, R]: the layer's answer, without bias, to the map that is 1 in channel c.
  // Every (input, output) channel pair is one single-channel filter applied to `ones`.
  torch::Tensor responses, constant;
  int64_t c = 0;
  if (auto* layer = decoder[0]->as<torch::nn::Conv2dImpl>()) {
    const auto& w = layer->weight;  // [C, D, k, k]
    c = w.size(0);
    // Padded as conv() builds it: k / 2 zeros on every side.
    const int64_t pad = w.size(-1) / 2;
    responses = torch::conv2d(ones, w.reshape({c * d, 1, w.size(2), w.size(3)}), {},
                              layer->options.stride(), {pad, pad});
    responses = responses.view({c, d, responses.size(2), responses.size(3)}).transpose(0, 1);
    constant = layer->forward(position);
  } else {
    auto* up = decoder[0]->as<torch::nn::ConvTranspose2dImpl>();
    SETFORMER_CHECK(up != nullptr, "object discovery: unexpected first decoder layer");
    const auto& w = up->weight;  // [D, C, k, k]
    c = w.size(1);
    const int64_t pad = w.size(-1) / 2;  // as the constructor builds it
    responses =
        torch::conv_transpose2d(ones, w.reshape({1, d * c, w.size(2), w.size(3)}), {},
                                up->options.stride(), {pad, pad}, up->options.output_padding());
    responses = responses.view({d, c, responses.size(2), responses.size(3)});
    constant = up->forward(position);
  }
  const int64_t side = responses.size(-1);
  return torch::matmul(slots, responses.reshape({d, -1})).view({n, c, side, side}) + constant;
}

std::pair<torch::Tensor, torch::Tensor> ObjectDiscoveryImpl::decode(const torch::Tensor& slots) {
  check_shape(slots, "slots", {-1, -1, encoder->options.slots().slot_dim()}, "[B, K, D]");
  const int64_t batch = slots.size(0), k = slots.size(1), s = options.encoder().image_size();
  auto x = first_decoder_layer(slots.reshape({batch * k, slots.size(2)}));
  for (auto layer = std::next(decoder->begin()); layer != decoder->end(); ++layer) {
    x = layer->forward(x);
  }
  const auto out = x.view({batch, k, 4, s, s});
  return {out.slice(2, 0, 3), out.slice(2, 3, 4)};
}

std::pair<torch::Tensor, torch::Tensor> ObjectDiscoveryImpl::decode_reference(
    const torch::Tensor& slots) {
  check_shape(slots, "slots", {-1, -1, encoder->options.slots().slot_dim()}, "[B, K, D]");
  const int64_t batch = slots.size(0), k = slots.size(1), d = slots.size(2),
                s = options.encoder().image_size();
  const int64_t r = options.decoder_resolution() == 0 ? s : options.decoder_resolution();
  // Spatial broadcast: every slot copied onto an r×r grid, decoded with shared weights.
  auto grid = slots.reshape({batch * k, d, 1, 1}).expand({batch * k, d, r, r});
  const auto out = decoder->forward(decoder_position(grid)).view({batch, k, 4, s, s});
  return {out.slice(2, 0, 3), out.slice(2, 3, 4)};
}

ObjectDiscoveryOutput ObjectDiscoveryImpl::forward(const torch::Tensor& images, int64_t num_slots,
                                                   int64_t iterations) {
  ObjectDiscoveryOutput out;
  out.grouped = encoder->forward(images, num_slots, iterations);
  auto [rgb, logits] = decode(out.grouped.slots);
  out.masks = torch::softmax(logits, 1);
  out.rgb = rgb;
  out.reconstruction = (out.masks * rgb).sum(1);
  return out;
}

double ObjectDiscoveryImpl::flops() const {
  const int64_t s = options.encoder().image_size();
  double side =
      static_cast<double>(options.decoder_resolution() == 0 ? s : options.decoder_resolution());
  const double c = static_cast<double>(options.decoder_channels());
  double in = static_cast<double>(encoder->options.slots().slot_dim()), per_slot = 0;
  for (int64_t layer = 0; layer < options.decoder_layers(); ++layer) {
    if (side < static_cast<double>(s)) side *= 2;
    // The first layer is one [D] × [D, C·R²] product per slot (first_decoder_layer).
    per_slot += side * side * (layer == 0 ? 1 : 25) * in * c;
    in = c;
  }
  per_slot += side * side * 9 * in * 4;
  return encoder->flops() + per_slot * static_cast<double>(encoder->options.slots().num_slots());
}

SetPredictionImpl::SetPredictionImpl(const SetPredictionOptions& options_) : options(options_) {
  encoder = register_module("encoder", SlotEncoder(options.encoder()));
  const int64_t d = encoder->options.slots().slot_dim();
  SETFORMER_CHECK(options.hidden() > 0 && options.outputs() > 0,
                  "set prediction: hidden and outputs must be > 0, got {} and {}", options.hidden(),
                  options.outputs());
  head = register_module(
      "head", torch::nn::Sequential(torch::nn::Linear(d, options.hidden()), torch::nn::ReLU(),
                                    torch::nn::Linear(options.hidden(), options.outputs()),
                                    torch::nn::Sigmoid()));
}

torch::Tensor SetPredictionImpl::forward(const torch::Tensor& images, int64_t num_slots,
                                         int64_t iterations) {
  return predict(images, num_slots, iterations).objects;
}

SetPredictionOutput SetPredictionImpl::predict(const torch::Tensor& images, int64_t num_slots,
                                               int64_t iterations) {
  SetPredictionOutput out;
  out.grouped = encoder->forward(images, num_slots, iterations);
  out.objects = head->forward(out.grouped.slots);
  return out;
}

std::vector<torch::Tensor> SetPredictionImpl::predict_every_iteration(const torch::Tensor& images,
                                                                      int64_t num_slots,
                                                                      int64_t iterations) {
  SETFORMER_CHECK(encoder->options.grouping() == Grouping::slot_attention,
                  "set prediction: only Slot Attention has iterations to predict after");
  const auto grouped = encoder->forward(images, num_slots, iterations);
  std::vector<torch::Tensor> objects;
  for (const auto& slots : grouped.iterates) objects.push_back(head->forward(slots));
  return objects;
}

double SetPredictionImpl::flops() const {
  const double k = static_cast<double>(encoder->options.slots().num_slots()),
               d = static_cast<double>(encoder->options.slots().slot_dim()),
               h = static_cast<double>(options.hidden()),
               f = static_cast<double>(options.outputs());
  return encoder->flops() + k * (d * h + h * f);
}

ObjectMatching match_objects(const torch::Tensor& predicted, const torch::Tensor& target) {
  check_shape(predicted, "predicted objects", {-1, -1, -1}, "[B, K, F]");
  check_shape(target, "target objects", {predicted.size(0), -1, predicted.size(2)}, "[B, M, F]");
  ObjectMatching m;
  m.cost = torch::nn::functional::huber_loss(
               predicted.unsqueeze(2).expand({-1, -1, target.size(1), -1}),
               target.unsqueeze(1).expand({-1, predicted.size(1), -1, -1}),
               torch::nn::functional::HuberLossFuncOptions().reduction(torch::kNone))
               .sum(-1);
  m.assignment = hungarian_batch(m.cost).to(predicted.device());
  return m;
}

torch::Tensor ObjectMatching::loss() const {
  SETFORMER_CHECK(cost.size(1) == cost.size(2),
                  "matched loss: every slot needs a target, got {} slots and {} targets",
                  cost.size(1), cost.size(2));
  return cost.gather(2, assignment.unsqueeze(-1)).mean();
}

torch::Tensor matched_huber_loss(const torch::Tensor& predicted, const torch::Tensor& target) {
  check_shape(predicted, "predicted objects", {-1, -1, -1}, "[B, K, F]");
  check_shape(target, "target objects", {predicted.size(0), predicted.size(1), predicted.size(2)},
              "[B, K, F] (padded to the K slots)");
  return match_objects(predicted, target).loss();
}

}  // namespace setformer::models

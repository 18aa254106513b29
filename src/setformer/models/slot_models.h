// The models of the Slot Attention paper (Locatello et al. 2020, §2.2 and appendix E):
//   - ObjectDiscovery: CNN encoder with the soft position embedding, a grouping module (Slot
//     Attention, or the Slot MLP baseline), and a spatial-broadcast decoder per slot whose alpha
//     masks are normalised over the slots; trained by reconstruction (MSE);
//   - SetPrediction: the same encoder and grouping, an MLP per slot with sigmoid outputs, trained
//     with a Huber loss after Hungarian matching of slots to objects.
#pragma once

#include "setformer/nn/slot_attention.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

namespace setformer::models {

/// The grid of appendix E.2: for every cell of an h×w map its normalised distance to the four
/// borders, [h, w, 4] = (y, x, 1 − y, 1 − x) with y, x running over [0, 1].
torch::Tensor position_grid(int64_t h, int64_t w);

/// Adds Linear(4 → C)(position_grid) to a feature map [B, C, H, W] (appendix E.2).
class SoftPositionEmbeddingImpl : public torch::nn::Module {
 public:
  explicit SoftPositionEmbeddingImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear project{nullptr};
};
TORCH_MODULE(SoftPositionEmbedding);

/// How the encoder's features become slots.
enum class Grouping {
  slot_attention,
  /// The Slot MLP baseline (appendix E.5): resize the feature map to 16×16, flatten, an MLP to
  /// K·D numbers reshaped into K slots (and, for object discovery, an MLP per slot).
  slot_mlp,
};

}  // namespace setformer::models

namespace setformer::attention {
template <>
struct EnumNames<models::Grouping> {
  static constexpr std::array<std::pair<models::Grouping, const char*>, 2> values{
      {{models::Grouping::slot_attention, "slot_attention"},
       {models::Grouping::slot_mlp, "slot_mlp"}}};
};
}  // namespace setformer::attention

namespace setformer::models {

/// The encoder and grouping shared by both models. Defaults: Tetrominoes and Multi-dSprites
/// (Table 5: four 5×5 convolutions of 32 channels, stride 1).
struct SlotEncoderOptions {
  TORCH_ARG(int64_t, image_size) = 35;
  TORCH_ARG(int64_t, channels) = 32;
  /// One stride per 5×5 convolution (CLEVR property prediction: {1, 2, 2, 1}).
  TORCH_ARG(std::vector<int64_t>, strides) = std::vector<int64_t>{1, 1, 1, 1};
  TORCH_ARG(Grouping, grouping) = Grouping::slot_attention;
  /// Slot Attention's options; its input_dim is set to `channels`. num_slots is the K of the
  /// Slot MLP baseline too.
  TORCH_ARG(nn::SlotAttentionOptions, slots) = nn::SlotAttentionOptions(32);
  /// Slot MLP: hidden widths before the K·D output (Table 9: {512, 512}; Table 10:
  /// {512, 1024, 1024}), the resized map's side, and whether an MLP per slot (64, 64) follows.
  TORCH_ARG(std::vector<int64_t>, mlp_hidden) = std::vector<int64_t>{512, 1024, 1024};
  TORCH_ARG(int64_t, mlp_resize) = 16;
  TORCH_ARG(bool, mlp_per_slot) = true;
  /// Convolve the images channels-last on the CPU, where oneDNN then skips reordering them to its
  /// blocked layout at every layer; the values differ only by float rounding. false: NCHW, the
  /// tests' reference. Other devices keep NCHW, where the layout was not measured.
  TORCH_ARG(bool, channels_last) = true;
};

struct Grouped {
  torch::Tensor slots;                   // [B, K, D]
  std::vector<torch::Tensor> attention;  // Slot Attention: [B, N, K] per iteration; else empty
  std::vector<torch::Tensor> iterates;   // Slot Attention: the slots after every iteration
  int64_t feature_height = 0, feature_width = 0;
};

/// images [B, 3, S, S] -> K slots.
class SlotEncoderImpl : public torch::nn::Module {
 public:
  explicit SlotEncoderImpl(const SlotEncoderOptions& options);

  /// num_slots and iterations > 0 override K and T (Slot Attention only; the Slot MLP has a
  /// fixed K and refuses another).
  Grouped forward(const torch::Tensor& images, int64_t num_slots = 0, int64_t iterations = 0);
  /// Multiply-adds of one image (convolutions, MLPs, grouping).
  double flops() const;

  SlotEncoderOptions options;
  int64_t feature_size = 0;  // side of the feature map after the strides
  torch::nn::Sequential cnn{nullptr};
  SoftPositionEmbedding position{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Sequential mlp{nullptr};
  nn::SlotAttention slot_attention{nullptr};
  torch::nn::Sequential slot_mlp{nullptr}, per_slot{nullptr};
};
TORCH_MODULE(SlotEncoder);

struct ObjectDiscoveryOptions {
  TORCH_ARG(SlotEncoderOptions, encoder) = SlotEncoderOptions();
  /// Broadcast side of the decoder: 0 decodes at the image size with stride-1 convolutions
  /// (Table 7); r > 0 broadcasts at r×r and doubles the size with stride-2 transposed
  /// convolutions up to the image size (Table 6: 8×8 for 128×128 CLEVR).
  TORCH_ARG(int64_t, decoder_resolution) = 0;
  TORCH_ARG(int64_t, decoder_channels) = 32;
  /// 5×5 layers before the final 3×3 to RGB + alpha (Table 7: 3; Table 6: 5).
  TORCH_ARG(int64_t, decoder_layers) = 3;
};

struct ObjectDiscoveryOutput {
  torch::Tensor reconstruction;  // [B, 3, S, S]
  torch::Tensor masks;           // [B, K, 1, S, S], softmax over K
  torch::Tensor rgb;             // [B, K, 3, S, S], each slot's own picture
  Grouped grouped;
};

/// Object discovery (§2.2): reconstruction = Σ_k mask_k ⊙ rgb_k.
class ObjectDiscoveryImpl : public torch::nn::Module {
 public:
  explicit ObjectDiscoveryImpl(const ObjectDiscoveryOptions& options);
  ObjectDiscoveryOutput forward(const torch::Tensor& images, int64_t num_slots = 0,
                                int64_t iterations = 0);
  /// slots [B, K, D] -> (rgb [B, K, 3, S, S], mask logits [B, K, 1, S, S]).
  std::pair<torch::Tensor, torch::Tensor> decode(const torch::Tensor& slots);
  /// decode() as the paper writes it: every slot copied onto the grid and convolved. The tests'
  /// reference for the first layer's shortcut.
  std::pair<torch::Tensor, torch::Tensor> decode_reference(const torch::Tensor& slots);
  /// The first decoder layer on the broadcast grid, slots [N, D] -> [N, C, R, R], without
  /// convolving N copies. The layer is linear and its input is slot + position embedding, so
  ///   layer(broadcast(s) + E) = Σ_c s_c · layer₀(1_c) + layer(E),
  /// with layer₀ the layer without bias and 1_c the map that is 1 in channel c. Both terms depend
  /// on the weights alone; the slots enter through one [N, D] × [D, C·R²] product, D·C·R²
  /// multiply-adds per slot where the convolution costs k² times that (k = 5). Zero padding makes
  /// layer₀(1_c) differ near the borders, which this keeps: the result is exact.
  torch::Tensor first_decoder_layer(const torch::Tensor& slots);
  /// Multiply-adds of one image, as decode() runs them (the per-batch cost of the first layer's
  /// responses, one slot's convolution, is left out).
  double flops() const;

  ObjectDiscoveryOptions options;
  SlotEncoder encoder{nullptr};
  SoftPositionEmbedding decoder_position{nullptr};
  torch::nn::Sequential decoder{nullptr};
};
TORCH_MODULE(ObjectDiscovery);

struct SetPredictionOptions {
  /// CLEVR property prediction (Table 4: 64 channels, strides {1, 2, 2, 1}; 10 slots).
  TORCH_ARG(SlotEncoderOptions, encoder) = SlotEncoderOptions()
                                               .image_size(64)
                                               .channels(64)
                                               .strides({1, 2, 2, 1})
                                               .mlp_hidden({512, 512})
                                               .mlp_per_slot(false)
                                               .slots(nn::SlotAttentionOptions(64).num_slots(10));
  /// Hidden width of the MLP per slot (Table 8).
  TORCH_ARG(int64_t, hidden) = 64;
  /// Features per object (ClevrLayout::kFeatures).
  TORCH_ARG(int64_t, outputs) = 18;
};

struct SetPredictionOutput {
  torch::Tensor objects;  // [B, K, outputs] in (0, 1)
  Grouped grouped;        // the slots the head read, with Slot Attention's weights
};

/// Set prediction (§2.3): images [B, 3, S, S] -> [B, K, outputs] in (0, 1).
class SetPredictionImpl : public torch::nn::Module {
 public:
  explicit SetPredictionImpl(const SetPredictionOptions& options);
  torch::Tensor forward(const torch::Tensor& images, int64_t num_slots = 0, int64_t iterations = 0);
  /// forward, keeping the slots and the attention for figures and diagnostics.
  SetPredictionOutput predict(const torch::Tensor& images, int64_t num_slots = 0,
                              int64_t iterations = 0);
  /// The head read after every iteration, [B, K, outputs] each, the last being forward's: what
  /// the supplement's loss at every iteration trains (Figure 23). Slot Attention only.
  std::vector<torch::Tensor> predict_every_iteration(const torch::Tensor& images,
                                                     int64_t num_slots = 0, int64_t iterations = 0);
  double flops() const;

  SetPredictionOptions options;
  SlotEncoder encoder{nullptr};
  torch::nn::Sequential head{nullptr};
};
TORCH_MODULE(SetPrediction);

/// Predictions matched to target objects (Slot Attention §2.3): the Huber loss (δ = 1) summed
/// over features of every prediction against every target, and the Hungarian method's
/// minimum-cost assignment under it.
struct ObjectMatching {
  torch::Tensor cost;        // [B, K, M]
  torch::Tensor assignment;  // [B, K]: the target row of every prediction (−1: none, K > M)
  /// The matched cost averaged over the K slots and the batch; needs K = M (every slot matched).
  torch::Tensor loss() const;
};

/// predicted [B, K, F], target [B, M, F] -> the matching, on predicted's device.
ObjectMatching match_objects(const torch::Tensor& predicted, const torch::Tensor& target);

/// Huber loss (δ = 1) summed over features, between each target object and the prediction the
/// Hungarian method assigns to it (minimum total loss), averaged over the K slots and the batch.
/// Every slot is matched: targets are padded to K rows whose last feature (real object) is 0,
/// as in appendix E.8. predicted, target [B, K, F] -> scalar.
torch::Tensor matched_huber_loss(const torch::Tensor& predicted, const torch::Tensor& target);

}  // namespace setformer::models

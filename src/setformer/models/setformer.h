// The SeTformer vision backbone (SeTformer paper §4 and Table 1; DESIGN.md §3): a convolutional
// stem of two 3×3 convolutions, four stages of pre-norm blocks
//   x + DropPath(Attention(LN(x))),  x + DropPath(MLP(LN(x)))
// with 3×3 stride-2 convolutions between stages, a final LayerNorm, global average pooling and
// a linear head. Attention is chosen by name (`set` by default, with 2-D LPE on each stage's
// token grid), so that softmax twins of equal depth and width are one option away.
#pragma once

#include "setformer/attention/kmeans.h"
#include "setformer/attention/options.h"
#include "setformer/nn/block.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <utility>
#include <vector>

namespace setformer::models {

struct StageOptions {
  TORCH_ARG(int64_t, depth) = 2;
  TORCH_ARG(int64_t, dim) = 64;
  TORCH_ARG(int64_t, heads) = 2;
  /// SeT references m of this stage's layers.
  TORCH_ARG(int64_t, references) = 64;
};

struct SeTformerOptions {
  TORCH_ARG(std::string, name) = "setformer";
  TORCH_ARG(int64_t, in_channels) = 3;
  TORCH_ARG(int64_t, classes) = 1000;
  /// Square input size; fixes every stage's token grid (2-D LPE needs it).
  TORCH_ARG(int64_t, image_size) = 224;
  /// Strides of the two stem convolutions (2, 2 in the paper; 1, 2 suits 28×28 inputs).
  TORCH_ARG(std::vector<int64_t>, stem_strides) = std::vector<int64_t>{2, 2};
  TORCH_ARG(std::vector<StageOptions>, stages) = {};
  /// Attention kernel of every block: see attention::attention_kernels().
  TORCH_ARG(std::string, kernel) = "set";
  /// SeT options of every layer; the stage sets m and the 2-D grid.
  TORCH_ARG(attention::SetOptions, set) = {};
  /// Window size of kernel "window"; odd blocks of a stage shift it by half (Swin).
  TORCH_ARG(int64_t, window) = 7;
  TORCH_ARG(double, mlp_ratio) = 4.0;
  /// Stochastic depth, rising linearly from 0 at the first block to this at the last.
  TORCH_ARG(double, drop_path) = 0.1;
  TORCH_ARG(double, dropout) = 0.0;
};

/// The paper's sizes at 224×224 with 1000 classes: "setformer-miny" (depths 3, 4, 6, 5),
/// "setformer-tiny", "-small", "-base" (depths 3, 4, 18, 5); and "setformer-fmnist", the small
/// model of configs/fashion_mnist.toml for 28×28 images. Throws naming the choices.
SeTformerOptions setformer_variant(const std::string& name);

/// The names setformer_variant knows, the Fashion-MNIST model first.
const std::vector<std::string>& setformer_variant_names();

/// Images [B, C, S, S] -> logits [B, classes].
class SeTformerImpl : public torch::nn::Module {
 public:
  explicit SeTformerImpl(const SeTformerOptions& options);
  torch::Tensor forward(const torch::Tensor& images);

  /// Token grid (rows, cols) of each stage for options().image_size().
  const std::vector<std::pair<int64_t, int64_t>>& stage_grids() const { return grids_; }
  const SeTformerOptions& options() const { return options_; }
  /// Seeds every SeT layer's references with spherical k-means centroids of the features that
  /// reach it when `images` [N, C, S, S] pass through the network (DESIGN.md §2.6), stage by
  /// stage so that each layer sees the inputs its predecessors' new references produce.
  /// Returns each layer's mean cosine similarity to its centroids (empty without SeT layers).
  std::vector<double> init_references(const torch::Tensor& images,
                                      const attention::KMeansOptions& options = {});

  /// Multiply-adds of one forward pass on one image: convolutions, every block (attention
  /// included, by its kernel's own count) and the head.
  double flops() const;

 private:
  SeTformerOptions options_;
  std::vector<std::pair<int64_t, int64_t>> grids_;
  torch::nn::Conv2d stem1_{nullptr}, stem2_{nullptr};
  std::vector<torch::nn::ModuleList> stages_;
  std::vector<torch::nn::Conv2d> downsamplers_;
  /// The stem: images -> [B, C0, H, W].
  torch::Tensor stem(const torch::Tensor& images);
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};

TORCH_MODULE(SeTformer);

}  // namespace setformer::models

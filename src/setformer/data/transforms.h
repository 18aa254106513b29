// Image normalisation and training-time augmentation, batched and seeded: the same generator
// state gives the same batch, so a resumed run sees the images an uninterrupted one would.
#pragma once

#include <ATen/core/Generator.h>
#include "setformer/data/random.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <vector>

namespace setformer::data {

struct AugmentOptions {
  /// Random crop of the original size from the image zero-padded by this many pixels per side
  /// (0: no crop).
  TORCH_ARG(int64_t, crop_padding) = 2;
  /// Mirror left-right with probability 1/2.
  TORCH_ARG(bool, horizontal_flip) = true;
  /// Random erasing (Zhong et al., AAAI 2020): with this probability, one rectangle of area
  /// fraction in [erase_min_area, erase_max_area] and aspect ratio in [0.3, 3.3] is set to 0
  /// (the mean, after normalisation).
  TORCH_ARG(double, erase_probability) = 0.0;
  TORCH_ARG(double, erase_min_area) = 0.02;
  TORCH_ARG(double, erase_max_area) = 0.25;
  /// timm's RandomErasing mode "pixel": the rectangle takes standard-normal values per pixel and
  /// channel instead of 0.
  TORCH_ARG(bool, erase_pixels) = false;
};

/// Mixup (Zhang et al., ICLR 2018) and CutMix (Yun et al., ICCV 2019) as timm's Mixup applies them
/// per batch: with probability `probability` the batch is mixed with itself reversed, by CutMix
/// (a box of area 1 − λ pasted, λ corrected to the box's exact area) with probability
/// `switch_probability` when both are on, else by Mixup (a λ-blend), λ ~ Beta(α, α). Targets
/// are the label-smoothed one-hot vectors mixed with the same λ.
struct MixupOptions {
  TORCH_ARG(double, mixup_alpha) = 0.0;   // 0: off (timm's DeiT recipe: 0.8)
  TORCH_ARG(double, cutmix_alpha) = 0.0;  // 0: off (DeiT: 1.0)
  TORCH_ARG(double, switch_probability) = 0.5;
  TORCH_ARG(double, probability) = 1.0;
  TORCH_ARG(double, label_smoothing) = 0.0;
  TORCH_ARG(int64_t, classes) = 0;

 public:
  bool enabled() const { return mixup_alpha() > 0 || cutmix_alpha() > 0; }
};

/// Label-smoothed one-hot targets: labels [B] -> [B, classes], smoothing / classes off the label
/// and 1 − smoothing + smoothing / classes on it (timm's mixup_target).
torch::Tensor smoothed_targets(const torch::Tensor& labels, int64_t classes, double smoothing);

/// Mixes `images` [B, C, H, W] float in place and returns the targets [B, classes] (float) that
/// go with them; draws from `random`. Throws naming the option when a value is out of range.
torch::Tensor mix_batch(torch::Tensor& images, const torch::Tensor& labels,
                        const MixupOptions& options, Random& random);

/// A Beta(a, b) draw (two Marsaglia–Tsang gamma draws), defined here so runs are repeatable on
/// every platform.
double beta_sample(double a, double b, Random& random);

/// (x / 255 − mean) / std: uint8 [B, C, H, W] -> float [B, C, H, W].
torch::Tensor normalize(const torch::Tensor& images, double mean, double std);

/// (x / 255 − mean[c]) / std[c] per channel c: uint8 [B, C, H, W] -> float [B, C, H, W]; one
/// value serves every channel.
torch::Tensor normalize(const torch::Tensor& images, const std::vector<double>& mean,
                        const std::vector<double>& std);

/// Per-image random crop, flip and erasing: [B, C, H, W] float -> [B, C, H, W]. Draws every
/// random number from `generator` (a CPU generator).
torch::Tensor augment(const torch::Tensor& images, const AugmentOptions& options,
                      at::Generator& generator);

}  // namespace setformer::data

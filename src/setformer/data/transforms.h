// Image normalisation and training-time augmentation, batched and seeded: the same generator
// state gives the same batch, so a resumed run sees the images an uninterrupted one would.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/arg.h>
#include <torch/types.h>

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
};

/// (x / 255 − mean) / std: uint8 [B, C, H, W] -> float [B, C, H, W].
torch::Tensor normalize(const torch::Tensor& images, double mean, double std);

/// Per-image random crop, flip and erasing: [B, C, H, W] float -> [B, C, H, W]. Draws every
/// random number from `generator` (a CPU generator).
torch::Tensor augment(const torch::Tensor& images, const AugmentOptions& options,
                      at::Generator& generator);

}  // namespace setformer::data

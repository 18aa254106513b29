// Per-image transforms for training and evaluating on image files, as torchvision and timm
// define them (the DeiT recipe the SeTformer paper trains with, its §4.1): decoding into the
// model's channels, RandomResizedCrop, flip, colour jitter and RandAugment for training; resize
// to size / crop_pct and a centre crop for evaluation. Images are uint8 [C, H, W] between steps,
// as PIL's are, so every step rounds as timm's pipeline does. Randomness comes from a
// data::Random seeded per (seed, epoch, index) by the loader: a sample is a pure function of
// those, whichever thread makes it.
#pragma once

#include "setformer/data/rand_augment.h"
#include "setformer/data/random.h"
#include "setformer/io/image_decode.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace setformer::data {

struct ImageTransformOptions {
  /// Side of the square images the model sees.
  TORCH_ARG(int64_t, size) = 224;
  /// 3: RGB (grey files repeated); 1: grey levels (colour files converted).
  TORCH_ARG(int64_t, channels) = 3;
  /// Training crop: "random_resized" (timm's RandomResizedCrop to size × size) or "resize" (the
  /// whole image resized to size × size; the loader's pad-and-crop may follow, as for
  /// Fashion-MNIST). Evaluation follows: resize the shorter side to size / crop_pct and take the
  /// centre, or resize the whole image.
  TORCH_ARG(std::string, crop) = "random_resized";
  TORCH_ARG(std::vector<double>, scale) = std::vector<double>({0.08, 1.0});
  TORCH_ARG(std::vector<double>, ratio) = std::vector<double>({3.0 / 4.0, 4.0 / 3.0});
  /// Mirror with probability 1/2 after the random-resized crop.
  TORCH_ARG(bool, flip) = true;
  /// timm's RandAugment specification, e.g. "rand-m9-mstd0.5" ("": off).
  TORCH_ARG(std::string, rand_augment) = "";
  /// torchvision's ColorJitter(s, s, s) (brightness, contrast, saturation in random order; 0:
  /// off). timm leaves it off when RandAugment is on.
  TORCH_ARG(double, color_jitter) = 0.0;
  /// Evaluation: the crop's share of the resized image's shorter side (timm's crop_pct).
  TORCH_ARG(double, crop_pct) = 0.875;
  /// The normalisation mean, per channel in [0, 1]: RandAugment fills with it, as timm does.
  TORCH_ARG(std::vector<double>, mean) = std::vector<double>({0.485, 0.456, 0.406});
  TORCH_ARG(io::DecodeOptions, decode) = {};
};

/// Throws naming the option when a value is out of range (sizes, scale and ratio ranges, crop
/// mode, crop_pct in (0, 1], the RandAugment string).
void check_transform_options(const ImageTransformOptions& options);

/// A region of an image: rows [top, top + height), columns [left, left + width).
struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
};

/// torchvision's RandomResizedCrop.get_params: up to 10 tries of an area fraction uniform in
/// `scale` and an aspect ratio log-uniform in `ratio`; when none fits, the centre of the image
/// with its ratio clamped to `ratio`.
CropBox random_resized_crop_box(int64_t height, int64_t width, const std::vector<double>& scale,
                                const std::vector<double>& ratio, Random& random);

/// uint8 [C, H, W] -> uint8 [C, height, width], bilinear, antialiased when shrinking (as PIL and
/// torchvision's antialiased tensor resize are), rounded to nearest.
torch::Tensor resize(const torch::Tensor& image, int64_t height, int64_t width);

/// The size × size centre of a height × width image, offsets rounded as torchvision's CenterCrop
/// rounds them. Throws when size exceeds a side.
CropBox center_box(int64_t height, int64_t width, int64_t size);

/// uint8 [C, H, W] -> uint8 [C, size, size]: the centre, as torchvision's CenterCrop.
torch::Tensor center_crop(const torch::Tensor& image, int64_t size);

/// A decoded image as uint8 [channels, H, W]: grey repeated to RGB, or RGB to grey with
/// ITU-R 601 weights (PIL's "L" conversion).
torch::Tensor image_tensor(const io::DecodedImage& image, int64_t channels);

/// torchvision's ColorJitter(strength, strength, strength) on uint8 [C, H, W].
torch::Tensor color_jitter(const torch::Tensor& image, double strength, Random& random);

/// A training sample from an image file's bytes: decode (a JPEG at the DCT scale the planned
/// crop allows), crop and resize, flip, RandAugment, colour jitter -> uint8 [C, size, size].
/// Throws io::ImageError naming `name` when the file does not decode.
torch::Tensor train_sample(std::string_view bytes, const std::string& name,
                           const ImageTransformOptions& options, Random& random);

/// The evaluation sample (and `predict`'s input): decode (a JPEG at the DCT scale the resize
/// allows), resize, centre crop -> uint8 [C, size, size].
torch::Tensor eval_sample(std::string_view bytes, const std::string& name,
                          const ImageTransformOptions& options);

}  // namespace setformer::data

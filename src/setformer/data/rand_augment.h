// RandAugment (Cubuk et al., 2020) as timm implements it, the augmentation of the DeiT recipe the
// SeTformer paper trains ImageNet with: each image passes `layers` operations drawn with
// replacement from fifteen, each applied with probability 1/2 at a magnitude drawn from
// N(m, mstd) clipped to [0, mmax]. The operations act on uint8 [C, H, W] images and round as
// PIL's do; geometric ones fill uncovered pixels with the normalisation mean, as timm does, and
// interpolate bilinearly (timm's DeiT configuration asks PIL for bicubic).
#pragma once

#include "setformer/data/random.h"

#include <torch/types.h>

#include <algorithm>
#include <string>
#include <vector>

namespace setformer::data {

struct RandAugmentOptions {
  int64_t layers = 2;          // n: operations per image
  double magnitude = 9;        // m: on timm's scale of 0..10
  double magnitude_std = 0.5;  // mstd: the magnitude's spread per operation (0: fixed)
  double magnitude_max = 10;   // mmax
  double probability = 0.5;    // p: chance that a drawn operation is applied
  bool increasing = false;     // inc1: the variants whose strength grows with m
};

/// timm's specification string: "rand" then '-'-separated fields m<float>, n<int>, mstd<float>,
/// mmax<float>, p<float>, inc<0|1>, e.g. "rand-m9-mstd0.5". Throws std::invalid_argument naming
/// the field that does not parse.
RandAugmentOptions parse_rand_augment(const std::string& spec);

/// The fifteen operations, by timm's names: AutoContrast, Equalize, Invert, Rotate, Posterize,
/// Solarize, SolarizeAdd, Color, Contrast, Brightness, Sharpness, ShearX, ShearY,
/// TranslateXRel, TranslateYRel.
const std::vector<std::string>& rand_augment_ops();

/// Operation `op` at `magnitude` (0..10) on uint8 [C, H, W] (C = 1 or 3): the same shape back.
/// `fill` (per channel, 0..255) covers what geometric operations uncover; `random` draws the
/// sign of signed operations.
torch::Tensor rand_augment_op(const torch::Tensor& image, const std::string& op, double magnitude,
                              bool increasing, const std::vector<double>& fill, Random& random);

/// The policy over any image type: `layers` times, an operation drawn with replacement, kept
/// with probability p, at a magnitude from N(m, mstd) clipped to [0, mmax], applied by
/// apply(image, op, magnitude). The reference below and the kernels (image_kernels.h) share it,
/// so both make the same draws.
template <class Image, class Apply>
Image apply_rand_augment(Image image, const RandAugmentOptions& o, Random& random, Apply apply) {
  const auto& ops = rand_augment_ops();
  for (int64_t i = 0; i < o.layers; ++i) {
    const auto& op =
        ops[static_cast<size_t>(random.integer(0, static_cast<int64_t>(ops.size()) - 1))];
    if (o.probability < 1.0 && random.uniform() > o.probability) continue;
    double m = o.magnitude;
    if (o.magnitude_std > 0) m += o.magnitude_std * random.normal();
    image = apply(image, op, std::clamp(m, 0.0, o.magnitude_max));
  }
  return image;
}

/// RandAugment of one image: uint8 [C, H, W] -> uint8 [C, H, W].
torch::Tensor rand_augment(const torch::Tensor& image, const RandAugmentOptions& options,
                           const std::vector<double>& fill, Random& random);

/// The geometric core, exposed for tests: output pixel (x, y) (centres at +0.5) samples the input
/// bilinearly at (a x + b y + c, d x + e y + f); uncovered pixels take `fill`. PIL's
/// Image.transform(AFFINE) convention.
torch::Tensor affine_transform(const torch::Tensor& image, const std::vector<double>& matrix,
                               const std::vector<double>& fill);

}  // namespace setformer::data

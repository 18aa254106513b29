// Fast paths of the per-image transforms, on the interleaved 8-bit pixels decoders produce
// (io::DecodedImage: rows of width × channels bytes): no tensors, no float copies of whole
// images, one pass per operation and lookup tables where an operation maps levels to levels.
// The LibTorch compositions in image_transforms.h and rand_augment.h are their references, which
// the tests compare them with; the loaders use these. Each draws from `random` in the same order
// as its reference, so the two paths make the same random choices.
#pragma once

#include "setformer/data/image_transforms.h"
#include "setformer/data/rand_augment.h"
#include "setformer/io/image_decode.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace setformer::data::kernels {

using Pixels = io::DecodedImage;

/// `image` with `channels` channels: grey repeated, or RGB to grey with PIL's weights
/// (image_tensor's conversion).
Pixels with_channels(Pixels image, int64_t channels);

/// The region `box` of `image` resized to height × width: separable bilinear with PIL's and
/// torchvision's antialiasing (a triangle filter widened by the scale when shrinking), rounded.
/// Reference: resize() of the cropped tensor.
Pixels resized_crop(const Pixels& image, const CropBox& box, int64_t height, int64_t width);

/// Rows [top, top + height) and columns [left, left + width): a copy.
Pixels crop(const Pixels& image, const CropBox& box);

/// Mirrors left and right in place.
void flip_horizontal(Pixels& image);

/// RandAugment operation `op` (rand_augment.h) at `magnitude`. Reference: rand_augment_op().
Pixels rand_augment_op(const Pixels& image, const std::string& op, double magnitude,
                       bool increasing, const std::vector<double>& fill, Random& random);

/// RandAugment of one image. Reference: rand_augment().
Pixels rand_augment(const Pixels& image, const RandAugmentOptions& options,
                    const std::vector<double>& fill, Random& random);

/// uint8 [C, H, W] of `image` (a copy).
torch::Tensor to_tensor(const Pixels& image);

/// `tensor` uint8 [C, H, W] as pixels (a copy), for tests.
Pixels from_tensor(const torch::Tensor& tensor);

}  // namespace setformer::data::kernels

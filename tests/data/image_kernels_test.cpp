// The fast per-image kernels against their LibTorch references (image_transforms.h,
// rand_augment.h): resized crops, channel conversion and every RandAugment operation on grey
// and colour images, level for level (geometric and blending operations within one level, the
// rounding of a different order of float operations).
#include "setformer/data/image_kernels.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::data::kernels {
namespace {

torch::Tensor random_image(int64_t c, int64_t h, int64_t w, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  // Smooth content plus noise: geometric operations are tested on more than noise.
  const auto ys = torch::arange(h, torch::kFloat).view({1, h, 1}),
             xs = torch::arange(w, torch::kFloat).view({1, 1, w});
  auto base =
      127 + 100 * torch::sin(ys * 0.3 + xs * 0.2 + torch::arange(c, torch::kFloat).view({c, 1, 1}));
  return (base + 20 * torch::randn({c, h, w}, gen)).round().clamp(0, 255).to(torch::kUInt8);
}

int64_t max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kInt32) - b.to(torch::kInt32)).abs().max().item<int64_t>();
}

TEST(ImageKernels, ResizedCropMatchesTheReferenceResize) {
  const auto image = random_image(3, 41, 57, 1);
  const auto pixels = from_tensor(image);
  for (const auto& [box, h, w] : std::vector<std::tuple<CropBox, int64_t, int64_t>>{
           {{0, 0, 41, 57}, 16, 24},   // shrink
           {{3, 5, 30, 40}, 64, 64},   // grow
           {{10, 2, 31, 20}, 12, 50},  // shrink one way, grow the other
           {{0, 0, 41, 57}, 41, 57}}) {
    const auto fast = to_tensor(resized_crop(pixels, box, h, w));
    const auto reference = resize(
        image.slice(1, box.top, box.top + box.height).slice(2, box.left, box.left + box.width), h,
        w);
    EXPECT_LE(max_difference(fast, reference), 1) << h << "x" << w;
  }
}

TEST(ImageKernels, ChannelConversionCropAndFlipMatchTheReference) {
  const auto rgb = random_image(3, 9, 11, 2), grey = random_image(1, 9, 11, 3);
  io::DecodedImage decoded{11, 9, 3, {}};
  decoded.pixels = from_tensor(rgb).pixels;
  EXPECT_TRUE(to_tensor(with_channels(decoded, 1)).equal(image_tensor(decoded, 1)));
  EXPECT_TRUE(to_tensor(with_channels(from_tensor(grey), 3)).equal(grey.expand({3, 9, 11})));
  EXPECT_TRUE(
      to_tensor(crop(from_tensor(rgb), {2, 3, 4, 5})).equal(rgb.slice(1, 2, 6).slice(2, 3, 8)));
  auto flipped = from_tensor(rgb);
  flip_horizontal(flipped);
  EXPECT_TRUE(to_tensor(flipped).equal(rgb.flip({2})));
}

TEST(ImageKernels, EveryRandAugmentOperationMatchesTheReference) {
  for (const int64_t channels : {1, 3}) {
    const auto image = random_image(channels, 23, 31, 4 + static_cast<uint64_t>(channels));
    const auto pixels = from_tensor(image);
    const auto fill = channels == 3 ? std::vector<double>{124, 116, 104} : std::vector<double>{124};
    for (const auto& op : rand_augment_ops()) {
      for (const bool increasing : {false, true}) {
        for (const double m : {0.0, 4.5, 9.0, 10.0}) {
          Random a(7), b(7);
          const auto fast = to_tensor(rand_augment_op(pixels, op, m, increasing, fill, a));
          const auto reference = data::rand_augment_op(image, op, m, increasing, fill, b);
          EXPECT_LE(max_difference(fast, reference), 1)
              << op << " m " << m << " inc " << increasing << " channels " << channels;
          EXPECT_EQ(a.uniform(), b.uniform()) << op << ": the same draws";
        }
      }
    }
  }
}

TEST(ImageKernels, RandAugmentPolicyMatchesTheReference) {
  const auto image = random_image(3, 20, 24, 9);
  const auto options = parse_rand_augment("rand-m9-mstd0.5");
  for (uint64_t seed = 0; seed < 30; ++seed) {
    Random a(seed), b(seed);
    const auto fast = to_tensor(rand_augment(from_tensor(image), options, {124, 116, 104}, a));
    // Two operations in a row: a level of rounding in the first may move the second by one more.
    EXPECT_LE(max_difference(fast, data::rand_augment(image, options, {124, 116, 104}, b)), 2)
        << seed;
  }
}

}  // namespace
}  // namespace setformer::data::kernels

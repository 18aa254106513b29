// Per-image transforms: RandomResizedCrop's boxes, the antialiased resize against PIL's separable
// triangle filter computed here in double, the DCT-scaled decode against a full decode, the
// evaluation resize and centre crop, channel conversion and colour jitter.
#include "setformer/data/image_transforms.h"

#include "common/errors.h"
#include "common/image_fixtures.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace setformer::data {
namespace {

/// PIL's antialiased bilinear resize of one axis, in double: output sample i covers input
/// centred at (i + 0.5)·s with a triangle filter of support max(s, 1).
torch::Tensor reference_resize_axis(const torch::Tensor& x, int64_t out, int64_t dim) {
  const int64_t in = x.size(dim);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double support = std::max(scale, 1.0);
  auto weights = torch::zeros({out, in}, torch::kDouble);
  for (int64_t i = 0; i < out; ++i) {
    const double centre = (static_cast<double>(i) + 0.5) * scale;
    double total = 0;
    for (int64_t j = 0; j < in; ++j) {
      const double w =
          std::max(0.0, 1.0 - std::abs((static_cast<double>(j) + 0.5 - centre) / support));
      weights[i][j] = w;
      total += w;
    }
    weights[i] /= total;
  }
  return torch::tensordot(x, weights, {dim}, {1}).movedim(-1, dim);
}

TEST(RandomResizedCrop, BoxesLieInsideWithAreaAndRatioInRange) {
  Random random(3);
  int fallback = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const auto b = random_resized_crop_box(375, 500, {0.08, 1.0}, {0.75, 4.0 / 3.0}, random);
    ASSERT_GE(b.top, 0);
    ASSERT_GE(b.left, 0);
    ASSERT_LE(b.top + b.height, 375);
    ASSERT_LE(b.left + b.width, 500);
    const double area = static_cast<double>(b.height * b.width) / (375.0 * 500.0);
    const double ratio = static_cast<double>(b.width) / static_cast<double>(b.height);
    if (area > 0.99) {
      ++fallback;
      continue;
    }
    // Rounding the sides to pixels moves area and ratio a little past the sampled ones.
    EXPECT_GE(area, 0.08 * 0.97);
    EXPECT_GE(ratio, 0.75 * 0.97);
    EXPECT_LE(ratio, 4.0 / 3.0 * 1.03);
  }
  EXPECT_LT(fallback, 100);
  // An image too thin for any allowed ratio: the centre, clamped to the ratio range.
  Random r(1);
  const auto b = random_resized_crop_box(10, 1000, {0.9, 1.0}, {1.0, 1.0}, r);
  EXPECT_EQ(b.height, 10);
  EXPECT_EQ(b.width, 10);
  EXPECT_EQ(b.left, 495);
}

TEST(Resize, MatchesPilsTriangleFilterWithinRounding) {
  torch::manual_seed(0);
  const auto image = torch::randint(0, 256, {3, 37, 53}, torch::kUInt8);
  for (const auto& [h, w] :
       std::vector<std::pair<int64_t, int64_t>>{{12, 20}, {37, 53}, {18, 26}}) {
    const auto got = resize(image, h, w).to(torch::kDouble);
    auto expected =
        reference_resize_axis(reference_resize_axis(image.to(torch::kDouble), h, 1), w, 2);
    expected = expected.round().clamp(0, 255);
    EXPECT_LE((got - expected).abs().max().item<double>(), 1.0) << h << "x" << w;
  }
  // Up-scaling keeps a constant image constant.
  EXPECT_TRUE(resize(torch::full({1, 3, 3}, 77, torch::kUInt8), 9, 7)
                  .equal(torch::full({1, 9, 7}, 77, torch::kUInt8)));
}

TEST(Resize, CentreCropRoundsItsOffsetsAsTorchvision) {
  const auto image = torch::arange(5 * 8, torch::kUInt8).view({1, 5, 8});
  const auto c = center_crop(image, 4);
  // top = round(0.5) = 0 (ties to even), left = round(2) = 2.
  EXPECT_EQ(c[0][0][0].item<int>(), 2);
  EXPECT_EQ(c.sizes(), (std::vector<int64_t>{1, 4, 4}));
  testing::expect_invalid_argument([&] { center_crop(image, 6); }, "larger than");
}

TEST(ImageTensor, ExpandsGreyAndConvertsColourWithPilWeights) {
  io::DecodedImage rgb{2, 1, 3, {255, 0, 0, 10, 200, 30}};
  const auto grey = image_tensor(rgb, 1);
  // PIL's L: (19595 r + 38470 g + 7471 b + 2^15) >> 16.
  EXPECT_EQ(grey[0][0][0].item<int>(), (19595 * 255 + 32768) >> 16);
  EXPECT_EQ(grey[0][0][1].item<int>(), (19595 * 10 + 38470 * 200 + 7471 * 30 + 32768) >> 16);
  io::DecodedImage g{1, 2, 1, {5, 9}};
  const auto three = image_tensor(g, 3);
  EXPECT_EQ(three.sizes(), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_TRUE(three[2].equal(three[0]));
  EXPECT_EQ(three[1][1][0].item<int>(), 9);
}

/// A smooth colour gradient: DCT scaling of it stays close to a full decode and resize.
std::string gradient_jpeg(int width, int height) {
  std::vector<uint8_t> pixels(static_cast<size_t>(width * height * 3));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      auto* p = &pixels[static_cast<size_t>((y * width + x) * 3)];
      p[0] = static_cast<uint8_t>(255 * x / width);
      p[1] = static_cast<uint8_t>(255 * y / height);
      p[2] = static_cast<uint8_t>(128 + 100 * std::sin(x * 0.02 + y * 0.03));
    }
  }
  return testing::encode_jpeg(pixels, width, height, 3, 95);
}

TEST(TrainSample, DctScaledDecodeMatchesAFullDecodeOfTheSameCrop) {
  const auto bytes = gradient_jpeg(960, 720);
  const auto options = ImageTransformOptions().size(64).scale({0.5, 1.0});
  for (uint64_t seed = 0; seed < 4; ++seed) {
    Random a(seed), b(seed);
    const auto sample = train_sample(bytes, "g.jpg", options, a);
    // The same draws by hand, on the full-size decode.
    const auto box = random_resized_crop_box(720, 960, options.scale(), options.ratio(), b);
    const bool flip = b.uniform() < 0.5;
    const auto full = image_tensor(io::decode_image(bytes, "g.jpg"), 3);
    auto expected = resize(
        full.slice(1, box.top, box.top + box.height).slice(2, box.left, box.left + box.width), 64,
        64);
    if (flip) expected = expected.flip({2});
    ASSERT_EQ(sample.sizes(), expected.sizes());
    const double diff =
        (sample.to(torch::kFloat) - expected.to(torch::kFloat)).abs().mean().item<double>();
    EXPECT_LT(diff, 3.0) << "seed " << seed;
  }
}

TEST(EvalSample, ResizesTheShorterSideThenCropsTheCentre) {
  // 300×200 (w×h): shorter side 200 -> floor(64 / 0.8) = 80, so 120×80, centre 64×64.
  const auto bytes = gradient_jpeg(300, 200);
  const auto options = ImageTransformOptions().size(64).crop_pct(0.8);
  const auto sample = eval_sample(bytes, "g.jpg", options);
  const auto full = image_tensor(io::decode_image(bytes, "g.jpg"), 3);
  const auto expected = center_crop(resize(full, 80, 120), 64);
  // The JPEG decodes at half size in the DCT domain (150×100 still covers 80): a different
  // low-pass filter than the full-size resize, a level apart on average at most.
  EXPECT_LT((sample.to(torch::kFloat) - expected.to(torch::kFloat)).abs().mean().item<double>(),
            1.0);
  // "resize": the whole image to size × size, grey when asked.
  const auto grey =
      eval_sample(bytes, "g.jpg", ImageTransformOptions().size(16).crop("resize").channels(1));
  EXPECT_EQ(grey.sizes(), (std::vector<int64_t>{1, 16, 16}));
}

TEST(ColorJitter, ScalesAGreyImageByTheBrightnessFactorOnly) {
  // On a constant grey image contrast and saturation change nothing; brightness scales it.
  const auto image = torch::full({3, 4, 4}, 100, torch::kUInt8);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Random random(seed);
    const auto out = color_jitter(image, 0.4, random);
    const int v = out[0][0][0].item<int>();
    EXPECT_TRUE(out.eq(v).all().item<bool>());
    EXPECT_GE(v, 60);
    EXPECT_LE(v, 140);
  }
  Random random(0);
  EXPECT_TRUE(color_jitter(image, 0.0, random).equal(image));
}

TEST(TransformOptions, RejectBadValues) {
  testing::expect_invalid_argument(
      [] { check_transform_options(ImageTransformOptions().crop("squash")); }, "data.crop");
  testing::expect_invalid_argument(
      [] {
        check_transform_options(ImageTransformOptions().scale({0.5, 0.2}));
      },
      "data.scale");
  testing::expect_invalid_argument(
      [] { check_transform_options(ImageTransformOptions().crop_pct(1.5)); }, "data.crop_pct");
  testing::expect_invalid_argument(
      [] { check_transform_options(ImageTransformOptions().rand_augment("rand-q3")); },
      "unknown field 'q3'");
}

}  // namespace
}  // namespace setformer::data

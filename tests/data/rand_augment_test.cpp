// RandAugment: timm's specification strings, each operation against values computed by hand from
// PIL's definitions, the affine core's exact cases, and the policy's randomness.
#include "setformer/data/rand_augment.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::data {
namespace {

torch::Tensor ramp(int64_t channels = 3) {
  return torch::arange(0, 16 * channels, torch::kInt32)
      .mul(5)
      .remainder(256)
      .to(torch::kUInt8)
      .view({channels, 4, 4});
}

torch::Tensor op(const torch::Tensor& image, const std::string& name, double m) {
  Random random(0);
  return rand_augment_op(image, name, m, false, {128}, random);
}

TEST(RandAugmentSpec, ParsesTimmStrings) {
  const auto o = parse_rand_augment("rand-m9-mstd0.5");
  EXPECT_EQ(o.layers, 2);
  EXPECT_DOUBLE_EQ(o.magnitude, 9);
  EXPECT_DOUBLE_EQ(o.magnitude_std, 0.5);
  EXPECT_FALSE(o.increasing);
  const auto p = parse_rand_augment("rand-m7-n3-mmax12-p0.8-inc1");
  EXPECT_EQ(p.layers, 3);
  EXPECT_DOUBLE_EQ(p.magnitude_max, 12);
  EXPECT_DOUBLE_EQ(p.probability, 0.8);
  EXPECT_TRUE(p.increasing);
  testing::expect_invalid_argument([] { parse_rand_augment("augmix-m3"); }, "start with 'rand'");
  testing::expect_invalid_argument([] { parse_rand_augment("rand-m"); }, "field 'm' has no number");
  testing::expect_invalid_argument([] { parse_rand_augment("rand-p2"); }, "p in [0, 1]");
  EXPECT_EQ(rand_augment_ops().size(), 15u);
}

TEST(RandAugmentOps, PointOperationsFollowPil) {
  const auto x = ramp();
  const auto xi = x.to(torch::kInt32);
  EXPECT_TRUE(op(x, "Invert", 9).equal(255 - x));
  // Posterize at m = 9 keeps int(0.9 · 4) = 3 bits.
  EXPECT_TRUE(op(x, "Posterize", 9).equal(torch::bitwise_and(x, 0xE0)));
  // Solarize at m = 5 inverts levels >= int(0.5 · 256) = 128.
  EXPECT_TRUE(op(x, "Solarize", 5).equal(torch::where(x < 128, x, 255 - x)));
  // SolarizeAdd at m = 10 adds 110 below 128, saturating.
  EXPECT_TRUE(op(x, "SolarizeAdd", 10)
                  .equal(torch::where(x < 128, (xi + 110).clamp_max(255), xi).to(torch::kUInt8)));
  // Brightness at m = 0: factor 0.1, rounded.
  EXPECT_TRUE(op(x, "Brightness", 0).equal((x.to(torch::kFloat) * 0.1).round().to(torch::kUInt8)));
}

TEST(RandAugmentOps, AutoContrastAndEqualizeStretchLevels) {
  // One channel holding levels 50..100: PIL's int(v · 255/50 − 50 · 255/50), whose rounding
  // takes 100 to 254 (Python gives [0, 51, 127, 254] for these levels).
  const auto x = torch::tensor({50, 60, 75, 100}, torch::kUInt8).view({1, 2, 2});
  EXPECT_TRUE(op(x, "AutoContrast", 0)
                  .equal(torch::tensor({0, 51, 127, 254}, torch::kUInt8).view({1, 2, 2})));
  // Equalize by PIL's algorithm by hand: histogram {10: 2, 20: 1, 30: 1}; step = (4 − 1) / 255 = 0
  // -> unchanged. With 600 pixels: {10: 300, 20: 200, 30: 100}: step = 500 / 255 = 1,
  // lut[v] = (step / 2 + pixels below v) / step.
  const auto small = torch::tensor({10, 10, 20, 30}, torch::kUInt8).view({1, 2, 2});
  EXPECT_TRUE(op(small, "Equalize", 0).equal(small));
  auto big = torch::cat({torch::full({300}, 10), torch::full({200}, 20), torch::full({100}, 30)})
                 .to(torch::kUInt8)
                 .view({1, 20, 30});
  const auto e = op(big, "Equalize", 0).flatten();
  EXPECT_EQ(e[0].item<int>(), 0);      // (0 + 0) / 1
  EXPECT_EQ(e[300].item<int>(), 255);  // min(255, 300)
  EXPECT_EQ(e[599].item<int>(), 255);
}

TEST(RandAugmentOps, EnhancementsLeaveTheirFixedPointsAlone) {
  // Colour leaves a grey-valued RGB image alone; sharpness leaves a constant one alone; contrast
  // at factor 1 (m = 5: 0.5 · 1.8 + 0.1) changes nothing.
  const auto grey = torch::full({3, 5, 5}, 70, torch::kUInt8);
  EXPECT_TRUE(op(grey, "Color", 9).equal(grey));
  EXPECT_TRUE(op(grey, "Sharpness", 9).equal(grey));
  const auto x = ramp();
  EXPECT_TRUE(op(x, "Contrast", 5).equal(x));
  EXPECT_TRUE(op(x, "Color", 5).equal(x));
  // Contrast blends towards the grey image's rounded mean: factor 0.1 at m = 0.
  const auto one = torch::tensor({0, 0, 200, 200}, torch::kUInt8).view({1, 2, 2});
  EXPECT_TRUE(op(one, "Contrast", 0)
                  .equal(torch::tensor({90, 90, 110, 110}, torch::kUInt8).view({1, 2, 2})));
}

TEST(AffineTransform, IdentityRotationByHalfATurnAndTranslationAreExact) {
  const auto x = ramp();
  EXPECT_TRUE(affine_transform(x, {1, 0, 0, 0, 1, 0}, {0}).equal(x));
  // Half a turn about the centre (4, 4) of a 4×4 image: input = (4 − x, 4 − y).
  EXPECT_TRUE(affine_transform(x, {-1, 0, 4, 0, -1, 4}, {0}).equal(x.flip({1, 2})));
  // Sampling one pixel to the right shifts the image left and fills the last column.
  const auto t = affine_transform(x, {1, 0, 1, 0, 1, 0}, {9, 8, 7});
  EXPECT_TRUE(t.slice(2, 0, 3).equal(x.slice(2, 1, 4)));
  EXPECT_TRUE(t.select(2, 3).select(0, 1).eq(8).all().item<bool>());
  // TranslateXRel at m = 10 moves by 0.45 of the width either way.
  const auto moved = op(torch::full({1, 20, 20}, 50, torch::kUInt8), "TranslateXRel", 10);
  EXPECT_EQ(moved.eq(128).sum().item<int64_t>(), 9 * 20);
}

TEST(RandAugmentPolicy, IsSeededAndCanBeSwitchedOff) {
  const auto x = ramp();
  RandAugmentOptions o;
  Random a(5), b(5), c(6);
  const auto ya = rand_augment(x, o, {124, 116, 104}, a);
  EXPECT_TRUE(ya.equal(rand_augment(x, o, {124, 116, 104}, b)));
  o.probability = 0;
  EXPECT_TRUE(rand_augment(x, o, {0}, c).equal(x));
  o.probability = 1;
  o.layers = 0;
  EXPECT_TRUE(rand_augment(x, o, {0}, c).equal(x));
  // Over many draws every operation changes something.
  o = RandAugmentOptions();
  int changed = 0;
  for (uint64_t s = 0; s < 50; ++s) {
    Random r(s);
    changed += !rand_augment(x, o, {124, 116, 104}, r).equal(x);
  }
  EXPECT_GT(changed, 25);
}

}  // namespace
}  // namespace setformer::data

// Augmentation against brute force: every crop is a window of the zero-padded image, every flip
// a mirror, erased rectangles within their area bounds; and determinism given the generator.
// Mixup and CutMix: targets that match the pixels mixed, and the Beta sampler's moments.
#include "setformer/data/transforms.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace setformer::data {
namespace {

at::Generator generator(uint64_t seed) {
  return at::detail::createCPUGenerator(seed);
}

TEST(Normalize, MatchesTheFormula) {
  const auto x = torch::tensor({0, 51, 255}, torch::kUInt8).view({1, 1, 1, 3});
  const auto y = normalize(x, 0.2, 0.5);
  EXPECT_TRUE(torch::allclose(y.flatten(), torch::tensor({-0.4f, 0.0f, 1.6f}), 1e-6, 1e-6));
  testing::expect_invalid_argument([&] { normalize(x.to(torch::kFloat), 0, 1); }, "uint8");
}

TEST(Augment, EveryCropIsAWindowOfThePaddedImage) {
  const auto x = torch::rand({16, 1, 6, 5}) + 1.0f;  // no zeros, so padding is recognisable
  auto gen = generator(1);
  const auto y = augment(x, AugmentOptions().crop_padding(2).horizontal_flip(false), gen);
  const auto padded = torch::constant_pad_nd(x, {2, 2, 2, 2}, 0.0);
  int shifted = 0;
  for (int64_t b = 0; b < 16; ++b) {
    bool found = false;
    for (int64_t dy = 0; dy <= 4 && !found; ++dy) {
      for (int64_t dx = 0; dx <= 4 && !found; ++dx) {
        found = padded[b].slice(1, dy, dy + 6).slice(2, dx, dx + 5).equal(y[b]);
        if (found && (dy != 2 || dx != 2)) ++shifted;
      }
    }
    EXPECT_TRUE(found) << "image " << b << " is not a window of its padded original";
  }
  EXPECT_GT(shifted, 8);  // 24 of 25 offsets shift the image
}

TEST(Augment, FlipsAboutHalfTheImages) {
  const auto x = torch::rand({400, 1, 4, 4});
  auto gen = generator(2);
  const auto y = augment(x, AugmentOptions().crop_padding(0), gen);
  int flipped = 0;
  for (int64_t b = 0; b < 400; ++b) {
    const bool same = y[b].equal(x[b]), mirrored = y[b].equal(x[b].flip({2}));
    EXPECT_TRUE(same || mirrored) << "image " << b;
    flipped += mirrored;
  }
  EXPECT_GT(flipped, 140);  // Binomial(400, 1/2): 200 ± 30 at 5 sigma
  EXPECT_LT(flipped, 260);
}

TEST(Augment, ErasesOneRectangleWithinTheAreaBounds) {
  const auto x = torch::rand({200, 1, 20, 20}) + 1.0f;
  auto gen = generator(3);
  const auto y = augment(x,
                         AugmentOptions()
                             .crop_padding(0)
                             .horizontal_flip(false)
                             .erase_probability(1.0)
                             .erase_min_area(0.05)
                             .erase_max_area(0.2),
                         gen);
  int erased = 0;
  for (int64_t b = 0; b < 200; ++b) {
    const auto zero = y[b][0] == 0;
    const auto count = zero.sum().item<int64_t>();
    if (count == 0) continue;  // all 10 attempts failed to fit (rare)
    ++erased;
    const auto rows = zero.any(1).nonzero(), cols = zero.any(0).nonzero();
    const int64_t eh = rows.max().item<int64_t>() - rows.min().item<int64_t>() + 1;
    const int64_t ew = cols.max().item<int64_t>() - cols.min().item<int64_t>() + 1;
    EXPECT_EQ(count, eh * ew) << "image " << b << ": the erased pixels form no rectangle";
    EXPECT_GE(count, 0.05 * 400 * 0.7);  // rounding of both sides
    EXPECT_LE(count, 0.2 * 400 * 1.3);
    EXPECT_TRUE(y[b].masked_select(zero.logical_not().unsqueeze(0))
                    .equal(x[b].masked_select(zero.logical_not().unsqueeze(0))));
  }
  EXPECT_GT(erased, 180);
}

TEST(Augment, IsDeterministicGivenTheGenerator) {
  const auto x = torch::rand({8, 1, 10, 10});
  const auto options = AugmentOptions().erase_probability(0.5);
  auto a = generator(7), b = generator(7), c = generator(8);
  const auto ya = augment(x, options, a);
  EXPECT_TRUE(ya.equal(augment(x, options, b)));
  EXPECT_FALSE(ya.equal(augment(x, options, c)));
}

TEST(Augment, RejectsBadOptions) {
  const auto x = torch::rand({1, 1, 4, 4});
  auto gen = generator(0);
  testing::expect_invalid_argument([&] { augment(x, AugmentOptions().crop_padding(-1), gen); },
                                   "crop_padding");
  testing::expect_invalid_argument([&] { augment(x, AugmentOptions().erase_probability(2), gen); },
                                   "erase_probability");
  testing::expect_invalid_argument(
      [&] {
        augment(x.view({1, 16}), AugmentOptions(), gen);
      },
      "[B, C, H, W]");
}

TEST(Normalize, PerChannelMatchesTheFormula) {
  const auto x = torch::randint(0, 256, {2, 3, 4, 4}, torch::kUInt8);
  const auto y = normalize(x, {0.1, 0.5, 0.9}, {0.2, 0.25, 0.5});
  const auto f = x.to(torch::kFloat) / 255.0;
  EXPECT_TRUE(torch::allclose(y.select(1, 2), (f.select(1, 2) - 0.9) / 0.5));
  EXPECT_TRUE(torch::allclose(normalize(x, {0.3}, {0.5}), normalize(x, 0.3, 0.5)));
  testing::expect_invalid_argument([&] { normalize(x, {0.1, 0.2}, {1.0}); }, "need 1 or 3");
}

TEST(Mixup, BetaSamplesHaveTheRightMoments) {
  Random random(11);
  for (const double a : {0.8, 1.0, 2.5}) {
    double sum = 0, squares = 0;
    const int n = 40000;
    for (int i = 0; i < n; ++i) {
      const double x = beta_sample(a, a, random);
      ASSERT_TRUE(x >= 0 && x <= 1);
      sum += x;
      squares += x * x;
    }
    const double mean = sum / n, variance = squares / n - mean * mean;
    // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)); four standard errors.
    EXPECT_NEAR(mean, 0.5, 4 * std::sqrt(0.25 / (2 * a + 1) / n)) << a;
    EXPECT_NEAR(variance, 0.25 / (2 * a + 1), 0.01) << a;
  }
}

/// Images whose every pixel is their index + 1, labels their index.
std::pair<torch::Tensor, torch::Tensor> constant_batch(int64_t b, int64_t side) {
  auto images = (torch::arange(b, torch::kFloat) + 1).view({b, 1, 1, 1}).expand({b, 2, side, side});
  return {images.clone(), torch::arange(b)};
}

TEST(Mixup, MixupTargetsWeighLabelsAsThePixelsAreBlended) {
  auto [images, labels] = constant_batch(4, 5);
  Random random(3);
  const auto targets =
      mix_batch(images, labels, MixupOptions().mixup_alpha(0.8).classes(4), random);
  // Image 0 blends 1 (its own) and 4 (the last's): pixel = λ + 4 (1 − λ).
  const double lambda = (4.0 - images[0][0][0][0].item<double>()) / 3.0;
  EXPECT_NEAR(targets[0][0].item<double>(), lambda, 1e-5);
  EXPECT_NEAR(targets[0][3].item<double>(), 1 - lambda, 1e-5);
  EXPECT_TRUE(torch::allclose(targets.sum(1), torch::ones({4})));
}

TEST(Mixup, CutMixTargetsEqualTheShareOfPixelsPasted) {
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto [images, labels] = constant_batch(3, 16);
    Random random(seed);
    const auto targets = mix_batch(
        images, labels, MixupOptions().cutmix_alpha(1.0).label_smoothing(0.3).classes(5), random);
    // Image 0's pasted pixels come from image 2 (value 3).
    const double pasted = images[0][0].eq(3).to(torch::kDouble).mean().item<double>();
    const double off = 0.3 / 5, on = 1 - 0.3 + off;
    // Its target: (1 − pasted) smoothed one-hot of 0 + pasted smoothed one-hot of 2.
    EXPECT_NEAR(targets[0][0].item<double>(), (1 - pasted) * on + pasted * off, 1e-5);
    EXPECT_NEAR(targets[0][2].item<double>(), pasted * on + (1 - pasted) * off, 1e-5);
    EXPECT_NEAR(targets[0][4].item<double>(), off, 1e-6);
  }
}

TEST(Mixup, OffOrUnluckyBatchesKeepSmoothedOneHotTargets) {
  auto [images, labels] = constant_batch(3, 4);
  const auto before = images.clone();
  Random random(0);
  const auto targets = mix_batch(
      images, labels, MixupOptions().mixup_alpha(1).probability(0).label_smoothing(0.1).classes(3),
      random);
  EXPECT_TRUE(images.equal(before));
  EXPECT_TRUE(torch::allclose(targets, smoothed_targets(labels, 3, 0.1)));
  EXPECT_NEAR(targets[1][1].item<double>(), 0.9 + 0.1 / 3, 1e-6);
}

}  // namespace
}  // namespace setformer::data

// Learning-rate schedules against their formulas and shapes.
#include "setformer/train/schedule.h"

#include "common/errors.h"

#include <gtest/gtest.h>

#include <cmath>

namespace setformer::train {
namespace {

TEST(WarmupCosine, WarmsUpLinearlyThenDecaysToTheFloor) {
  const WarmupCosine s{1e-3, 1e-5, 10, 110};
  EXPECT_DOUBLE_EQ(s.at(0), 1e-4);  // first step already trains
  EXPECT_DOUBLE_EQ(s.at(4), 5e-4);
  EXPECT_DOUBLE_EQ(s.at(9), 1e-3);  // peak at the end of warm-up
  EXPECT_DOUBLE_EQ(s.at(10), 1e-3);
  EXPECT_NEAR(s.at(60), 0.5 * (1e-3 + 1e-5), 1e-15);  // half-way through the cosine
  EXPECT_DOUBLE_EQ(s.at(110), 1e-5);
  EXPECT_DOUBLE_EQ(s.at(500), 1e-5);
  for (int64_t step = 10; step < 110; ++step) EXPECT_LE(s.at(step + 1), s.at(step)) << step;
  for (int64_t step = 0; step < 9; ++step) EXPECT_LT(s.at(step), s.at(step + 1)) << step;
}

TEST(WarmupCosine, WithoutWarmupStartsAtThePeak) {
  const WarmupCosine s{2e-3, 0.0, 0, 100};
  EXPECT_DOUBLE_EQ(s.at(0), 2e-3);
  EXPECT_NEAR(s.at(25), 2e-3 * 0.5 * (1 + std::cos(M_PI / 4)), 1e-15);
}

TEST(WarmupCosine, ValidatesItsFields) {
  testing::expect_invalid_argument(
      [] {
        WarmupCosine{0.0, 0.0, 0, 10}.validate();
      },
      "lr must be > 0");
  testing::expect_invalid_argument([] { WarmupCosine{1e-3, 1e-2, 0, 10}.validate(); }, "min_lr");
  testing::expect_invalid_argument(
      [] {
        WarmupCosine{1e-3, 0.0, 20, 10}.validate();
      },
      "warmup steps");
  testing::expect_invalid_argument([] { WarmupCosine{1e-3, 0.0, 0, 0}.validate(); }, "total steps");
}

TEST(InverseSqrt, MatchesVaswaniEtAl) {
  const InverseSqrt s{1.0, 512, 4000};
  // Peak at step = warmup: d^-0.5 · warmup^-0.5.
  EXPECT_NEAR(s.at(3999), 1.0 / std::sqrt(512.0 * 4000.0), 1e-15);
  EXPECT_NEAR(s.at(0), std::pow(512.0, -0.5) * std::pow(4000.0, -1.5), 1e-18);
  EXPECT_NEAR(s.at(15999), std::pow(512.0, -0.5) / std::sqrt(16000.0), 1e-15);
  EXPECT_LT(s.at(3998), s.at(3999));
  EXPECT_GT(s.at(3999), s.at(4000));
  testing::expect_invalid_argument([] { InverseSqrt{1.0, 512, 0}.validate(); }, "warmup steps");
}

TEST(StepDecay, MultipliesAtEachMilestone) {
  const StepDecay s{1e-3, 10, {100, 200}, 0.1};
  EXPECT_NEAR(s.at(0), 1e-4, 1e-18);
  EXPECT_NEAR(s.at(99), 1e-3, 1e-18);
  EXPECT_NEAR(s.at(100), 1e-4, 1e-18);
  EXPECT_NEAR(s.at(250), 1e-5, 1e-18);
  testing::expect_invalid_argument(
      [] {
        StepDecay{1e-3, 0, {200, 100}, 0.1}.validate();
      },
      "increasing");
}

TEST(ExponentialDecay, MatchesSlotAttentionsTable11) {
  // Object discovery: 4e-4, warm-up 10k, ×0.5 every 100k steps.
  const ExponentialDecay s{4e-4, 10000, 100000, 0.5};
  EXPECT_NEAR(s.at(4999), 4e-4 * 0.5 * std::pow(0.5, 0.04999), 1e-15);
  EXPECT_NEAR(s.at(100000), 2e-4, 1e-15);
  EXPECT_NEAR(s.at(300000), 5e-5, 1e-15);
  EXPECT_GT(s.at(10000), s.at(10001));
  testing::expect_invalid_argument(
      [] {
        ExponentialDecay{4e-4, 0, 0, 0.5}.validate();
      },
      "decay steps");
  testing::expect_invalid_argument(
      [] {
        ExponentialDecay{4e-4, 0, 10, 1.5}.validate();
      },
      "decay rate");
}

}  // namespace
}  // namespace setformer::train

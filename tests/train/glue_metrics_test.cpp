// GLUE's metrics against cases worked out by hand (the arithmetic is in the comments), and their
// limits: perfect and inverted predictions, constant inputs, ties, bad lengths.
#include "setformer/train/glue_metrics.h"

#include "common/errors.h"

#include <gtest/gtest.h>

#include <cmath>

namespace setformer::train {
namespace {

const std::vector<int64_t> kPredicted{1, 1, 0, 0, 1}, kGold{1, 0, 0, 1, 1};

TEST(GlueMetrics, AccuracyAndF1ByHand) {
  EXPECT_DOUBLE_EQ(accuracy(kPredicted, kGold), 3.0 / 5.0);
  // TP 2 (positions 0, 4), FP 1 (1), FN 1 (3): P = R = 2/3, F1 = 2/3.
  EXPECT_DOUBLE_EQ(f1_score(kPredicted, kGold), 2.0 / 3.0);
  // Class 0 as the positive one: TP 1 (2), FP 1 (3), FN 1 (1): F1 = 2 / 4.
  EXPECT_DOUBLE_EQ(f1_score(kPredicted, kGold, 0), 0.5);
  EXPECT_DOUBLE_EQ(f1_score({0, 0}, {1, 1}), 0.0);  // never predicted
}

TEST(GlueMetrics, MatthewsCorrelationByHand) {
  // TP 2, TN 1, FP 1, FN 1: (2·1 − 1·1) / √(3·3·2·2) = 1/6; the K-class formula gives
  // (3·5 − (2·2 + 3·3)) / √((25 − 13)(25 − 13)) = 2/12 as well.
  EXPECT_NEAR(matthews_correlation(kPredicted, kGold), 1.0 / 6.0, 1e-12);
  EXPECT_DOUBLE_EQ(matthews_correlation(kGold, kGold), 1.0);
  std::vector<int64_t> inverted;
  for (const auto g : kGold) inverted.push_back(1 - g);
  EXPECT_DOUBLE_EQ(matthews_correlation(inverted, kGold), -1.0);
  // Always the same answer: no correlation, not a division by zero.
  EXPECT_DOUBLE_EQ(matthews_correlation({1, 1, 1}, {0, 1, 1}), 0.0);
  // Three classes: confusion rows (true) [2 0 0], [0 1 1], [0 0 1]: c = 4, s = 5, t = (2, 2, 1),
  // p = (2, 1, 2): (20 − (4 + 2 + 2)) / √((25 − 9)(25 − 9)) = 12 / 16.
  EXPECT_NEAR(matthews_correlation({0, 0, 1, 2, 2}, {0, 0, 1, 1, 2}), 0.75, 1e-12);
}

TEST(GlueMetrics, PearsonAndSpearmanByHand) {
  // Deviations (−1.5, −0.5, 0.5, 1.5) and (−3, −1, 0, 4): 11 / √(5 · 26).
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {2, 4, 5, 9}), 11.0 / std::sqrt(130.0), 1e-12);
  // Ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): 4.5 / √(4.5 · 5).
  EXPECT_NEAR(spearman({1, 2, 2, 3}, {1, 3, 2, 4}), 4.5 / std::sqrt(22.5), 1e-12);
  // Monotone but not linear: Spearman 1, Pearson below.
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {1, 8, 27, 64}), 1.0);
  EXPECT_LT(pearson({1, 2, 3, 4}, {1, 8, 27, 64}), 1.0);
  EXPECT_DOUBLE_EQ(pearson({1, 1, 1}, {1, 2, 3}), 0.0);
}

TEST(GlueMetrics, TaskScoresAndTheAverage) {
  // MRPC: (0.8 + 0.9) / 2; with CoLA's 0.5: (0.85 + 0.5) / 2.
  const double mrpc = glue_task_score({{"accuracy", 0.8}, {"f1", 0.9}});
  EXPECT_DOUBLE_EQ(mrpc, 0.85);
  EXPECT_DOUBLE_EQ(glue_average({{"mrpc", mrpc}, {"cola", 0.5}}), 0.675);
}

TEST(GlueMetrics, RejectListsOfDifferentOrNoLength) {
  testing::expect_invalid_argument([] { accuracy({1, 0}, {1}); }, "accuracy: needs two non-empty");
  testing::expect_invalid_argument([] { spearman({}, {}); }, "spearman");
  testing::expect_invalid_argument([] { glue_average({}); }, "glue_average: no values");
}

}  // namespace
}  // namespace setformer::train

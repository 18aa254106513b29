// The adjusted Rand index against cases computed by hand and against the pair-counting
// definition by brute force; foreground ARI ignores the background; average precision and the
// matched position errors and property hits and the slots' background shares on cases computed by
// hand.
#include "setformer/tasks/object_metrics.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

namespace setformer::tasks {
namespace {

/// ARI from its definition over all pairs of points: agreements counted pair by pair.
double ari_by_pairs(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t n = a.size();
  double both = 0, in_a = 0, in_b = 0, total = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const bool same_a = a[i] == a[j], same_b = b[i] == b[j];
      both += same_a && same_b;
      in_a += same_a;
      in_b += same_b;
      ++total;
    }
  }
  const double expected = in_a * in_b / total, max_index = (in_a + in_b) / 2;
  return (both - expected) / (max_index - expected);
}

TEST(AdjustedRandIndex, HandComputedCases) {
  // Identical partitions up to renaming.
  EXPECT_DOUBLE_EQ(adjusted_rand_index({0, 0, 1, 1, 2}, {5, 5, 3, 3, 9}), 1.0);
  // truth {0,1}{2,3}, predicted {0,2}{1,3}: index 0, expected (2·2)/6 = 2/3, max 2:
  // (0 − 2/3) / (2 − 2/3) = −1/2.
  EXPECT_NEAR(adjusted_rand_index({0, 0, 1, 1}, {0, 1, 0, 1}), -0.5, 1e-12);
  // truth {0,1,2}{3}, predicted {0,1}{2,3}: index 1, Σa = 3, Σb = 2, expected 3·2/6 = 1,
  // max 2.5: (1 − 1) / 1.5 = 0.
  EXPECT_NEAR(adjusted_rand_index({0, 0, 0, 1}, {0, 0, 1, 1}), 0.0, 1e-12);
  // Both one cluster: 1 by convention (max = expected).
  EXPECT_DOUBLE_EQ(adjusted_rand_index({3, 3, 3}, {1, 1, 1}), 1.0);
  // One cluster against all singletons: index 0, Σa = 3, Σb = 0: (0 − 0)/(1.5 − 0) = 0.
  EXPECT_DOUBLE_EQ(adjusted_rand_index({0, 0, 0}, {0, 1, 2}), 0.0);
  EXPECT_TRUE(std::isnan(adjusted_rand_index({1}, {1})));
}

TEST(AdjustedRandIndex, MatchesPairCountingOnRandomLabelings) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 5 + trial % 20;
    std::uniform_int_distribution<int64_t> la(0, 1 + trial % 4), lb(0, 2 + trial % 3);
    std::vector<int64_t> a(n), b(n);
    for (int i = 0; i < n; ++i) {
      a[i] = la(rng);
      b[i] = trial % 5 == 0 ? a[i] * 7 : lb(rng);
    }
    EXPECT_NEAR(adjusted_rand_index(a, b), ari_by_pairs(a, b), 1e-12) << "trial " << trial;
  }
}

TEST(ForegroundAri, IgnoresTheBackgroundAndUsesTheArgmaxSlot) {
  // 6 pixels: background 0 at pixels 0-1, objects 1 and 2.
  const auto truth = torch::tensor({{0, 0, 1, 1, 2, 2}, {0, 1, 1, 2, 2, 0}});
  // Image 0: slot 0 takes the background and object 1, slot 1 object 2: perfect on foreground.
  // Image 1: one slot takes everything: foreground ARI 0 (one cluster against two).
  auto masks = torch::zeros({2, 3, 6});
  masks[0][0].index_put_({torch::tensor({0, 1, 2, 3})}, 1.0);
  masks[0][1].index_put_({torch::tensor({4, 5})}, 1.0);
  masks[1][2].fill_(1.0);
  const auto ari = foreground_ari(truth, masks);
  EXPECT_DOUBLE_EQ(ari[0].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(ari[1].item<double>(), 0.0);
  testing::expect_invalid_argument(
      [&] {
        foreground_ari(truth, torch::zeros({2, 3, 5}));
      },
      "predicted masks");
}

/// One object row of a layout with 2 coordinates and groups {2, 3}: [x, y, a0, a1, b0, b1, b2,
/// flag].
torch::Tensor object(double x, double y, int a, int b, double flag) {
  auto row = torch::zeros({8}, torch::kDouble);
  row[0] = x;
  row[1] = y;
  row[2 + a] = 1;
  row[4 + b] = 1;
  row[7] = flag;
  return row;
}

const PropertyLayout kLayout{2, {2, 3}};

TEST(AveragePrecision, PerfectPredictionsScoreOne) {
  const auto target =
      torch::stack({torch::stack({object(0.1, 0.2, 0, 1, 1), object(0.5, 0.5, 1, 2, 1),
                                  torch::zeros({8}, torch::kDouble)}),
                    torch::stack({object(0.9, 0.1, 1, 0, 1), torch::zeros({8}, torch::kDouble),
                                  torch::zeros({8}, torch::kDouble)})});
  // Padding predictions carry confidence 0: ranked last, after recall has reached 1.
  auto predicted = target.clone();
  predicted.select(2, 7).clamp_min_(0.0);
  for (const double threshold : {-1.0, 1.0, 0.5, 0.25, 0.125}) {
    EXPECT_DOUBLE_EQ(average_precision(predicted, target, kLayout, threshold), 1.0);
  }
}

TEST(AveragePrecision, HandComputedRanking) {
  // Image with objects A and B. Ranked predictions: A (TP: P 1, R ½), a wrong class (FP: P ½,
  // R ½), B (TP: P ⅔, R 1), A again (FP: already detected). Envelope 1 up to R ½, ⅔ up to R 1:
  // AP = ½ · 1 + ½ · ⅔ = ⅚.
  const auto target =
      torch::stack({object(0.2, 0.2, 0, 0, 1), object(0.7, 0.7, 1, 1, 1)}).unsqueeze(0);
  const auto predicted = torch::stack({object(0.2, 0.2, 0, 0, 0.9), object(0.2, 0.2, 0, 2, 0.8),
                                       object(0.7, 0.7, 1, 1, 0.7), object(0.2, 0.2, 0, 0, 0.6)})
                             .unsqueeze(0);
  EXPECT_NEAR(average_precision(predicted, target, kLayout, -1), 5.0 / 6.0, 1e-12);
}

TEST(AveragePrecision, ASecondPredictionOfTheNearestObjectIsAFalsePositive) {
  // Two objects of the same properties, A at (0.2, 0.2) and A' at (0.8, 0.8). The second
  // prediction lies nearest A, which the first already detected: a false positive, although A'
  // would match it at threshold ∞. Precision 1 then ½ at recall ½: AP = ½.
  const auto target =
      torch::stack({object(0.2, 0.2, 1, 2, 1), object(0.8, 0.8, 1, 2, 1)}).unsqueeze(0);
  const auto predicted =
      torch::stack({object(0.2, 0.2, 1, 2, 0.9), object(0.25, 0.2, 1, 2, 0.8)}).unsqueeze(0);
  for (const double threshold : {-1.0, 1.0}) {
    EXPECT_DOUBLE_EQ(average_precision(predicted, target, kLayout, threshold), 0.5);
  }
}

TEST(AveragePrecision, DistanceThresholdsAreInSceneUnits) {
  // 0.1 of the image apart = 0.6 CLEVR units: within 1, not within 0.5.
  const auto target = object(0.3, 0.3, 1, 1, 1).view({1, 1, 8});
  const auto predicted = object(0.4, 0.3, 1, 1, 0.9).view({1, 1, 8});
  EXPECT_DOUBLE_EQ(average_precision(predicted, target, kLayout, -1), 1.0);
  EXPECT_DOUBLE_EQ(average_precision(predicted, target, kLayout, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(average_precision(predicted, target, kLayout, 0.5), 0.0);
  testing::expect_invalid_argument(
      [&] { average_precision(predicted, target.slice(2, 0, 7), kLayout, 1.0); }, "target objects");
}

/// Two images matched as the loss matches them. Image 0: objects at (0.2, 0.2) and (0.5, 0.9) and
/// a padding row; predictions 0 and 2 are matched to its objects (3-4-5 triangles of 0.05 and 0.1
/// of the image: 0.3 and 0.6 scene units), prediction 0 with both groups right and prediction 2
/// with the first group wrong (0 for 1); prediction 1 is matched to the padding row (ignored).
/// Image 1: one object at (0.1, 0.1); prediction 0 is unmatched (−1), prediction 1 sits on the
/// object with the second group wrong (2 for 0).
struct MatchedCase {
  torch::Tensor target, predicted, assignment;
};

MatchedCase matched_case() {
  const auto pad = torch::zeros({8}, torch::kDouble);
  return {
      torch::stack({torch::stack({object(0.2, 0.2, 0, 1, 1), object(0.5, 0.9, 1, 2, 1), pad}),
                    torch::stack({object(0.1, 0.1, 1, 0, 1), pad, pad})}),
      torch::stack({torch::stack({object(0.23, 0.24, 0, 1, 0.9), object(0.9, 0.9, 1, 1, 0.1),
                                  object(0.56, 0.98, 0, 2, 0.8)}),
                    torch::stack({object(0.7, 0.7, 0, 0, 0.2), object(0.1, 0.1, 1, 2, 0.9), pad})}),
      torch::tensor({0, 2, 1, -1, 0, 1}, torch::kLong).view({2, 3})};
}

TEST(MatchedToRealObjects, PredictionsMatchedToARealRow) {
  // Image 0: predictions 0 and 2 on objects, 1 on the padding row; image 1: prediction 1 only.
  const auto m = matched_case();
  const auto real = matched_to_real_objects(m.target, m.assignment, kLayout);
  const auto expected = torch::tensor({1, 0, 1, 0, 1, 0}, torch::kBool).view({2, 3});
  EXPECT_TRUE(torch::equal(real, expected)) << real;
}

TEST(AveragePrecision, RejectsPredictionsWithoutEveryFeature) {
  // AP reads the groups and the confidence of every prediction, not just its coordinates.
  const auto m = matched_case();
  testing::expect_invalid_argument(
      [&] { average_precision(m.predicted.slice(2, 0, 2), m.target, kLayout, -1); },
      "predicted objects");
}

TEST(MatchedPositionErrors, DistancesToTheMatchedPredictionOfEachRealObject) {
  const auto m = matched_case();
  const auto errors = matched_position_errors(m.predicted, m.target, m.assignment, kLayout);
  ASSERT_EQ(errors.numel(), 3);
  EXPECT_NEAR(errors[0].item<double>(), 0.3, 1e-12);
  EXPECT_NEAR(errors[1].item<double>(), 0.6, 1e-12);
  EXPECT_NEAR(errors[2].item<double>(), 0.0, 1e-12);
  testing::expect_invalid_argument(
      [&] { matched_position_errors(m.predicted, m.target, m.assignment.slice(1, 0, 2), kLayout); },
      "assignment");
}

TEST(MatchedPropertyHits, EachGroupOfTheMatchedPredictionAgainstItsObject) {
  // Rows in image order, then prediction order, as the position errors.
  const auto m = matched_case();
  const auto hits = matched_property_hits(m.predicted, m.target, m.assignment, kLayout);
  ASSERT_EQ(hits.sizes(), (std::vector<int64_t>{3, 2}));
  const auto expected = torch::tensor({1, 1, 0, 1, 1, 0}, torch::kBool).view({3, 2});
  EXPECT_TRUE(torch::equal(hits, expected)) << hits;
  testing::expect_invalid_argument(
      [&] { matched_property_hits(m.predicted.slice(2, 0, 7), m.target, m.assignment, kLayout); },
      "predicted objects");
}

/// A 4×4 instance map for a 2×2 feature map. Top left: all background; top right: two
/// background pixels, one of object 1, one of object 2; bottom left: two pixels each of objects 4
/// and 1 (a tie); bottom right: three of object 3 and one background pixel. The cells'
/// background fractions are 1, 0.5, 0 and 0.25.
torch::Tensor four_by_four_instances() {
  return torch::tensor({0, 0, 1, 0,  //
                        0, 0, 2, 0,  //
                        4, 1, 3, 3,  //
                        4, 1, 0, 3},
                       torch::kLong)
      .view({1, 4, 4});
}

TEST(SlotBackgroundShares, AttentionWeightedBackgroundOfTheFeatureCells) {
  // Slot 0 weighs the top cells equally: (1 + 0.5) / 2 = 0.75; slot 1 weighs the bottom ones 0.2
  // and 0.6: 0.25 · 0.6 / 0.8 = 0.1875.
  const auto instances = four_by_four_instances();
  const auto attention =
      torch::tensor({1.0, 0.0, 1.0, 0.0, 0.0, 0.2, 0.0, 0.6}, torch::kDouble).view({1, 4, 2});
  const auto shares = slot_background_shares(attention, instances, 2, 2);
  ASSERT_EQ(shares.sizes(), (std::vector<int64_t>{1, 2}));
  EXPECT_NEAR(shares[0][0].item<double>(), 0.75, 1e-12);
  EXPECT_NEAR(shares[0][1].item<double>(), 0.1875, 1e-12);
  testing::expect_invalid_argument([&] { slot_background_shares(attention, instances, 1, 2); },
                                   "attention");
  testing::expect_invalid_argument(
      [&] {
        slot_background_shares(attention.view({1, 8, 1}), instances, 8, 1);
      },
      "cells");
}

TEST(MajorityInstances, EachCellTakesTheLabelMostOfItsPixelsHave) {
  // Top left background (0); top right two background pixels against one each of objects 1 and
  // 2 (0); bottom left the tie of objects 1 and 4 (the lower, 1); bottom right object 3.
  const auto instances = four_by_four_instances();
  const auto cells = majority_instances(instances, 2, 2);
  ASSERT_EQ(cells.sizes(), (std::vector<int64_t>{1, 4}));
  EXPECT_TRUE(torch::equal(cells, torch::tensor({0, 0, 1, 3}, torch::kLong).view({1, 4}))) << cells;
  // One cell per pixel leaves the map as it is.
  EXPECT_TRUE(torch::equal(majority_instances(instances, 4, 4), instances.flatten(1)));
  testing::expect_invalid_argument([&] { majority_instances(instances, 3, 3); }, "cells");
}

TEST(SlotCentroids, WeightedAndSegmentCentroidsOfTheFeatureCells) {
  // A 2×2 map, cells at x, y in {0.25, 0.75}, in row-major order: (0.25, 0.25), (0.75, 0.25),
  // (0.25, 0.75), (0.75, 0.75). Slot 0 has the largest weight in cells 0, 1 and 3 (a tie there:
  // the lower slot), slot 1 in cell 2, slot 2 nowhere and with no weight at all.
  const auto attention =
      torch::tensor({0.9, 0.1, 0.0, 0.8, 0.2, 0.0, 0.3, 0.7, 0.0, 0.5, 0.5, 0.0}, torch::kDouble)
          .view({1, 4, 3});
  const auto c = slot_centroids(attention, 2, 2);
  ASSERT_EQ(c.weighted.sizes(), (std::vector<int64_t>{1, 3, 2}));
  ASSERT_EQ(c.segment.sizes(), (std::vector<int64_t>{1, 3, 2}));
  // Weighted: slot 0 by 0.9, 0.8, 0.3, 0.5 (x = 1.275 / 2.5, y = 1.025 / 2.5); slot 1 by 0.1,
  // 0.2, 0.7, 0.5 (x = 0.725 / 1.5, y = 0.975 / 1.5).
  EXPECT_NEAR(c.weighted[0][0][0].item<double>(), 0.51, 1e-12);
  EXPECT_NEAR(c.weighted[0][0][1].item<double>(), 0.41, 1e-12);
  EXPECT_NEAR(c.weighted[0][1][0].item<double>(), 0.725 / 1.5, 1e-12);
  EXPECT_NEAR(c.weighted[0][1][1].item<double>(), 0.65, 1e-12);
  EXPECT_TRUE(std::isnan(c.weighted[0][2][0].item<double>()));
  // Segments: slot 0 owns cells 0, 1, 3; slot 1 cell 2; slot 2 none.
  EXPECT_NEAR(c.segment[0][0][0].item<double>(), 1.75 / 3, 1e-12);
  EXPECT_NEAR(c.segment[0][0][1].item<double>(), 1.25 / 3, 1e-12);
  EXPECT_NEAR(c.segment[0][1][0].item<double>(), 0.25, 1e-12);
  EXPECT_NEAR(c.segment[0][1][1].item<double>(), 0.75, 1e-12);
  EXPECT_TRUE(std::isnan(c.segment[0][2][1].item<double>()));
  testing::expect_invalid_argument([&] { slot_centroids(attention, 1, 2); }, "attention");
}

}  // namespace
}  // namespace setformer::tasks

// The confusion matrix against hand-computed counts.
#include "setformer/train/metrics.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::train {
namespace {

TEST(ConfusionMatrix, CountsAccuracyAndPerClassAccuracyByHand) {
  ConfusionMatrix m(3);
  m.add(torch::tensor({0, 1, 2, 2}), torch::tensor({0, 1, 1, 2}));
  m.add(torch::tensor({0, 0}), torch::tensor({2, 0}));
  // true 0: predicted 0 twice; true 1: 1 once, 2 once; true 2: 2 once, 0 once.
  EXPECT_TRUE(m.counts().equal(torch::tensor({{2, 0, 0}, {0, 1, 1}, {1, 0, 1}}, torch::kLong)));
  EXPECT_EQ(m.total(), 6);
  EXPECT_DOUBLE_EQ(m.accuracy(), 4.0 / 6.0);
  const auto per_class = m.per_class_accuracy();
  EXPECT_DOUBLE_EQ(per_class[0], 1.0);
  EXPECT_DOUBLE_EQ(per_class[1], 0.5);
  EXPECT_DOUBLE_EQ(per_class[2], 0.5);
  const auto text = m.text({"cat", "dog", "bird"});
  EXPECT_NE(text.find("overall accuracy 0.6667 on 6 examples"), std::string::npos) << text;
  EXPECT_NE(text.find("dog"), std::string::npos);
  const auto img = m.image({"cat", "dog", "bird"});
  EXPECT_GT(img.width(), 3 * 56);
  EXPECT_FALSE(img.png().empty());
}

TEST(ConfusionMatrix, EmptyClassesAndBadInput) {
  ConfusionMatrix m(2);
  EXPECT_EQ(m.accuracy(), 0.0);
  m.add(torch::tensor({1}), torch::tensor({1}));
  EXPECT_TRUE(std::isnan(m.per_class_accuracy()[0]));
  testing::expect_invalid_argument([&] { m.add(torch::tensor({2}), torch::tensor({0})); },
                                   "predicted class 2 is out of range [0, 2)");
  testing::expect_invalid_argument(
      [&] {
        m.add(torch::tensor({0, 1}), torch::tensor({0}));
      },
      "target classes");
  testing::expect_invalid_argument([] { ConfusionMatrix(0); }, "classes must be >= 1");
}

}  // namespace
}  // namespace setformer::train

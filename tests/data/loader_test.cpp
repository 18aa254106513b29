// The batch loader: every example once per epoch, reproducible batches at any (epoch, index),
// prefetching that changes nothing, and evaluation order.
#include "setformer/data/loader.h"

#include "common/errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace setformer::data {
namespace {

/// N images whose label is their index, so batches reveal which examples they hold.
ImageDataset probe_dataset(int64_t n) {
  return {torch::randint(0, 256, {n, 1, 8, 8}, torch::kUInt8), torch::arange(n), {}};
}

TEST(ImageLoader, CountsBatchesWithAndWithoutTheLastPartialOne) {
  EXPECT_EQ(ImageLoader(probe_dataset(10), LoaderOptions().batch_size(4)).batches_per_epoch(), 2);
  EXPECT_EQ(ImageLoader(probe_dataset(10), LoaderOptions().batch_size(4).drop_last(false))
                .batches_per_epoch(),
            3);
}

TEST(ImageLoader, VisitsEveryExampleOncePerEpochInANewOrder) {
  const ImageLoader loader(probe_dataset(50), LoaderOptions().batch_size(5));
  std::vector<int64_t> first, second;
  for (int64_t epoch : {0, 1}) {
    std::set<int64_t> seen;
    for (int64_t i = 0; i < loader.batches_per_epoch(); ++i) {
      const auto labels = loader.batch(epoch, i).labels;
      for (int64_t k = 0; k < labels.size(0); ++k) {
        EXPECT_TRUE(seen.insert(labels[k].item<int64_t>()).second) << "repeated in epoch " << epoch;
        (epoch == 0 ? first : second).push_back(labels[k].item<int64_t>());
      }
    }
    EXPECT_EQ(seen.size(), 50u);
  }
  EXPECT_NE(first, second);
}

TEST(ImageLoader, BatchesAreAPureFunctionOfSeedEpochAndIndex) {
  const auto data = probe_dataset(40);
  const auto options =
      LoaderOptions().batch_size(8).augmentation(AugmentOptions().erase_probability(0.5));
  const ImageLoader a(data, options), b(data, options), other(data, LoaderOptions(options).seed(1));
  const auto x = a.batch(3, 2), y = b.batch(3, 2);
  EXPECT_TRUE(x.images.equal(y.images));
  EXPECT_TRUE(x.labels.equal(y.labels));
  EXPECT_FALSE(x.labels.equal(other.batch(3, 2).labels));
  EXPECT_FALSE(x.images.equal(a.batch(4, 2).images));
}

TEST(ImageLoader, PrefetchingYieldsTheSameBatchesFromAnyStart) {
  const ImageLoader loader(probe_dataset(64), LoaderOptions().batch_size(8).prefetch(3));
  auto it = loader.epoch(2, /*start=*/5);
  for (int64_t i = 5; i < loader.batches_per_epoch(); ++i) {
    const auto b = it.next();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->index, i);
    EXPECT_TRUE(b->images.equal(loader.batch(2, i).images));
  }
  EXPECT_FALSE(it.next().has_value());
}

TEST(ImageLoader, EvaluationKeepsOrderAndOnlyNormalises) {
  const auto data = probe_dataset(10);
  const ImageLoader loader(
      data,
      LoaderOptions().batch_size(4).shuffle(false).drop_last(false).augment(false).mean(0.5).std(
          0.25));
  const auto last = loader.batch(0, 2);
  EXPECT_TRUE(last.labels.equal(torch::tensor({8, 9}, torch::kLong)));
  EXPECT_TRUE(torch::allclose(last.images, normalize(data.images.slice(0, 8), 0.5, 0.25)));
}

TEST(ImageLoader, RejectsBadOptionsAndIndices) {
  testing::expect_invalid_argument(
      [] { ImageLoader(probe_dataset(4), LoaderOptions().batch_size(0)); }, "batch_size");
  testing::expect_invalid_argument([] { ImageLoader(probe_dataset(4), LoaderOptions().std(0)); },
                                   "std");
  const ImageLoader loader(probe_dataset(4), LoaderOptions().batch_size(2));
  testing::expect_invalid_argument([&] { loader.batch(0, 2); },
                                   "batch 2 of epoch 0 does not exist");
  testing::expect_invalid_argument([&] { loader.epoch(0, 3); }, "cannot start epoch 0 at batch 3");
}

}  // namespace
}  // namespace setformer::data

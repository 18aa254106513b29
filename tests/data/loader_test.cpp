// The batch loader: every example once per epoch, reproducible batches at any (epoch, index),
// prefetching that changes nothing, and evaluation order.
#include "setformer/data/loader.h"

#include "common/errors.h"
#include "common/temp_dir.h"
#include "setformer/core/files.h"
#include "setformer/io/image_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
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
      LoaderOptions().batch_size(4).shuffle(false).drop_last(false).augment(false).mean({0.5}).std(
          {0.25}));
  const auto last = loader.batch(0, 2);
  EXPECT_TRUE(last.labels.equal(torch::tensor({8, 9}, torch::kLong)));
  EXPECT_TRUE(torch::allclose(last.images, normalize(data.images.slice(0, 8), 0.5, 0.25)));
}

TEST(ImageLoader, RejectsBadOptionsAndIndices) {
  testing::expect_invalid_argument(
      [] { ImageLoader(probe_dataset(4), LoaderOptions().batch_size(0)); }, "batch_size");
  testing::expect_invalid_argument([] { ImageLoader(probe_dataset(4), LoaderOptions().std({0})); },
                                   "std");
  const ImageLoader loader(probe_dataset(4), LoaderOptions().batch_size(2));
  testing::expect_invalid_argument([&] { loader.batch(0, 2); },
                                   "batch 2 of epoch 0 does not exist");
  testing::expect_invalid_argument([&] { loader.epoch(0, 3); }, "cannot start epoch 0 at batch 3");
}

/// `n` PNG files of different sizes and colours in `dir`/c<label>/, labels alternating.
ImageFiles png_files(const testing::TempDir& dir, int64_t n) {
  ImageFiles files;
  files.classes = {"c0", "c1"};
  for (int64_t i = 0; i < n; ++i) {
    const auto path = dir.path(fmt::format("c{}/{}.png", i % 2, i));
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    io::write_png(path, torch::randint(0, 256, {3, 20 + i, 30 - i}, torch::kUInt8));
    files.paths.push_back(path);
    files.labels.push_back(i % 2);
  }
  return files;
}

TEST(ImageLoader, FileBatchesDoNotDependOnTheNumberOfWorkers) {
  const testing::TempDir dir;
  const auto files = png_files(dir, 12);
  auto options = LoaderOptions()
                     .batch_size(4)
                     .transform(ImageTransformOptions().size(16).rand_augment("rand-m9-mstd0.5"))
                     .mixup(MixupOptions().mixup_alpha(0.8).cutmix_alpha(1.0).classes(2))
                     .mean({0.5, 0.4, 0.3})
                     .std({0.2, 0.2, 0.2})
                     .seed(9);
  std::vector<Batch> reference;
  for (const int64_t workers : {0, 1, 3}) {
    const ImageLoader loader(files, LoaderOptions(options).workers(workers));
    auto it = loader.epoch(1, 0);
    for (int64_t i = 0; i < 3; ++i) {
      const auto b = it.next();
      ASSERT_TRUE(b.has_value());
      EXPECT_EQ(b->images.sizes(), (std::vector<int64_t>{4, 3, 16, 16}));
      EXPECT_EQ(b->targets.sizes(), (std::vector<int64_t>{4, 2}));
      if (workers == 0) {
        reference.push_back(*b);
      } else {
        EXPECT_TRUE(b->images.equal(reference[static_cast<size_t>(i)].images)) << workers;
        EXPECT_TRUE(b->targets.equal(reference[static_cast<size_t>(i)].targets)) << workers;
      }
    }
  }
  // Another epoch draws other crops.
  const ImageLoader loader(files, options);
  EXPECT_FALSE(loader.batch(2, 0).images.equal(reference[0].images));
}

TEST(ImageLoader, FileEvaluationIsTheResizedCentreInOrder) {
  const testing::TempDir dir;
  const auto files = png_files(dir, 5);
  const auto transform = ImageTransformOptions().size(8).crop_pct(1.0);
  const ImageLoader loader(
      files, LoaderOptions().batch_size(2).shuffle(false).drop_last(false).augment(false).transform(
                 transform));
  EXPECT_EQ(loader.batches_per_epoch(), 3);
  const auto last = loader.batch(0, 2);
  EXPECT_TRUE(last.labels.equal(torch::tensor({0}, torch::kLong)));
  const auto expected = eval_sample(read_file(files.paths[4]), files.paths[4], transform);
  EXPECT_TRUE(torch::allclose(last.images[0], expected.to(torch::kFloat) / 255.0));
  EXPECT_FALSE(last.targets.defined());
}

TEST(ImageLoader, AWorkersDecodingErrorStopsTheEpochNamingTheFile) {
  const testing::TempDir dir;
  auto files = png_files(dir, 4);
  write_file_atomic(files.paths[2], "broken");
  const ImageLoader loader(
      files, LoaderOptions().batch_size(4).workers(2).transform(ImageTransformOptions().size(8)));
  auto it = loader.epoch(0);
  testing::expect_runtime_error([&] { it.next(); }, files.paths[2]);
}

}  // namespace
}  // namespace setformer::data

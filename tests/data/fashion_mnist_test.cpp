// The Fashion-MNIST loader: the real files from Debian's package when installed, and its checks
// on files that are wrong in shape, count or label range.
#include "setformer/data/fashion_mnist.h"

#include "setformer/data/idx.h"
#include "setformer/io/image_file.h"

#include "common/temp_dir.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

namespace setformer::data {
namespace {

TEST(FashionMnist, LoadsTheDebianTestSplit) {
  if (!std::filesystem::exists(std::string(kFashionMnistFolder) + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)";
  }
  const auto test = load_fashion_mnist("test");
  EXPECT_EQ(test.images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(test.labels.scalar_type(), torch::kLong);
  // The published test split is balanced: 1000 images per class.
  EXPECT_TRUE(torch::bincount(test.labels).equal(torch::full({10}, 1000, torch::kLong)));
  EXPECT_EQ(test.classes.size(), 10u);
  EXPECT_EQ(test.classes[9], "Ankle boot");
  EXPECT_GT(test.images.to(torch::kFloat).mean().item<double>(), 10.0);  // not blank
}

TEST(FashionMnist, ExportsAnImageFolderThatReadsBackExactly) {
  if (!std::filesystem::exists(std::string(kFashionMnistFolder) + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)";
  }
  const testing::TempDir dir;
  const auto out = dir.path("fmnist");
  int64_t lines = 0;
  ExportOptions options;
  options.limit = 30;
  const auto counts =
      export_fashion_mnist(out, kFashionMnistFolder, options, [&](const std::string&) { ++lines; });
  EXPECT_EQ(counts.splits, (std::vector<std::string>{"train", "val"}));
  EXPECT_EQ(lines, 2);  // the last image of each split
  const auto folders = fashion_mnist_folder_names();
  // Sorted folder names are the label order, which image-folder datasets take.
  EXPECT_TRUE(std::is_sorted(folders.begin(), folders.end()));
  EXPECT_EQ(folders.front(), "0_T-shirt_top");
  EXPECT_EQ(folders.back(), "9_Ankle_boot");
  for (size_t s = 0; s < 2; ++s) {
    const auto data = load_fashion_mnist(s == 0 ? "train" : "test");
    const auto written = counts.per_class[s];
    EXPECT_EQ(std::accumulate(written.begin(), written.end(), int64_t{0}), 30);
    for (int64_t i = 0; i < 30; ++i) {
      const auto label = data.labels[i].item<int64_t>();
      const auto path = fmt::format("{}/{}/{}/{:05d}.png", out, counts.splits[s],
                                    folders[static_cast<size_t>(label)], i);
      ASSERT_TRUE(std::filesystem::exists(path)) << path;
      EXPECT_TRUE(io::read_grey_image(path).equal(data.images[i])) << path;
    }
  }
}

class FakeFolder : public ::testing::Test {
 protected:
  void write(const torch::Tensor& images, const torch::Tensor& labels) const {
    write_idx_gz(dir_.path("t10k-images-idx3-ubyte.gz"), images);
    write_idx_gz(dir_.path("t10k-labels-idx1-ubyte.gz"), labels);
  }
  void expect_error(const std::string& fragment) const {
    try {
      load_fashion_mnist("test", dir_.root().string());
      ADD_FAILURE() << "expected an error mentioning " << fragment;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
  testing::TempDir dir_;
};

TEST_F(FakeFolder, AcceptsAConsistentSmallSplit) {
  write(torch::randint(0, 256, {5, 28, 28}, torch::kUInt8),
        torch::tensor({0, 9, 3, 3, 1}, torch::kUInt8));
  const auto d = load_fashion_mnist("test", dir_.root().string());
  EXPECT_EQ(d.images.size(0), 5);
  EXPECT_TRUE(d.labels.equal(torch::tensor({0, 9, 3, 3, 1}, torch::kLong)));
}

TEST_F(FakeFolder, NamesTheCulprit) {
  expect_error("not found; install the Debian package dataset-fashion-mnist");
  write(torch::zeros({5, 28, 27}, torch::kUInt8), torch::zeros({5}, torch::kUInt8));
  expect_error("t10k-images-idx3-ubyte.gz: expected uint8 images of shape [N, 28, 28]");
  write(torch::zeros({5, 28, 28}, torch::kUInt8), torch::zeros({4}, torch::kUInt8));
  expect_error("holds 4 labels but");
  write(torch::zeros({2, 28, 28}, torch::kUInt8), torch::tensor({1, 10}, torch::kUInt8));
  expect_error("label 10 is out of range");
  EXPECT_THROW(load_fashion_mnist("validation", dir_.root().string()), std::invalid_argument);
}

}  // namespace
}  // namespace setformer::data

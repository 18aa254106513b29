// Fashion-MNIST (Xiao et al. 2017) from Debian's dataset-fashion-mnist package: 60 000 training
// and 10 000 test images of 28×28 grey levels in 10 classes, stored as gzip IDX files.
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

namespace setformer::data {

/// Where Debian's dataset-fashion-mnist puts the files.
inline const char* kFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

struct ImageDataset {
  torch::Tensor images;  // [N, 1, H, W] uint8
  torch::Tensor labels;  // [N] int64 in [0, classes.size())
  std::vector<std::string> classes;
};

/// The shape of the data: one grey channel, 28×28 pixels, ten classes.
inline constexpr int64_t kFashionMnistChannels = 1, kFashionMnistSize = 28,
                         kFashionMnistClasses = 10;

/// The normalisation every model of Fashion-MNIST images uses: the training split's mean and std.
inline constexpr double kFashionMnistMean = 0.2860, kFashionMnistStd = 0.3530;

/// The ten class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();

/// Loads split "train" or "test" from `folder`. Validates that the images are [N, 28, 28] uint8,
/// the labels [N] uint8 in 0..9, and that both files hold the same N; every error names the
/// file. A missing file says which package provides it.
ImageDataset load_fashion_mnist(const std::string& split,
                                const std::string& folder = kFashionMnistFolder);

/// The folder of each class in an exported image folder: "<label>_<name>", with '/' and spaces
/// made '_' ("0_T-shirt_top", ..., "9_Ankle_boot"), so that the folders' sorted order, which
/// image-folder datasets take as the label order, is Fashion-MNIST's.
std::vector<std::string> fashion_mnist_folder_names();

/// Images written per split and class by export_fashion_mnist.
struct ExportCounts {
  std::vector<std::string> splits;              // "train", "val"
  std::vector<std::vector<int64_t>> per_class;  // [split][class]
};

struct ExportOptions {
  int64_t limit = 0;           // > 0: the first `limit` images of each split
  std::string format = "png";  // png | jpeg
  int quality = 90;            // JPEG quality
  /// 0: the images as stored, 28×28 grey. Otherwise photo-like RGB images of width × height for
  /// decoding benchmarks and end-to-end tests at ImageNet's sizes: the garment scaled to 80% of
  /// the shorter side, tinted, at a random place on a coloured background with pixel noise (so
  /// that files compress about as much as photographs do), seeded by the image's index.
  int64_t width = 0, height = 0;
};

/// Writes Fashion-MNIST from the IDX files in `folder` as an image folder in the torchvision
/// layout: OUT/train/<class>/<index>.<ext> from the training split and OUT/val/<class>/...
/// from the test split, each written atomically. The 28×28 grey PNGs read back to the IDX pixels
/// exactly. `progress` receives a line per thousand images.
ExportCounts export_fashion_mnist(const std::string& out, const std::string& folder,
                                  const ExportOptions& options,
                                  const std::function<void(const std::string&)>& progress);

/// The image file at `path` (io/image_file.h formats) as a Fashion-MNIST image: grey levels
/// uint8 [1, 28, 28], area-averaged when of another size; `invert` flips the grey levels (the
/// dataset's items are light on a dark background). Throws naming the file when unreadable.
torch::Tensor read_fashion_mnist_image(const std::string& path, bool invert = false);

}  // namespace setformer::data

#include "setformer/data/fashion_mnist.h"

#include "setformer/core/error.h"
#include "setformer/data/idx.h"
#include "setformer/io/image_file.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace setformer::data {

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                              "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                              "Bag",         "Ankle boot"};
  return names;
}

ImageDataset load_fashion_mnist(const std::string& split, const std::string& folder) {
  if (split != "train" && split != "test") {
    throw std::invalid_argument(
        fmt::format("Fashion-MNIST split '{}' is not valid; expected train | test", split));
  }
  const std::string prefix = split == "train" ? "train" : "t10k";
  const std::string images_path = folder + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = folder + "/" + prefix + "-labels-idx1-ubyte.gz";
  for (const auto& path : {images_path, labels_path}) {
    if (!std::filesystem::exists(path)) {
      throw std::runtime_error(fmt::format(
          "{}: not found; install the Debian package dataset-fashion-mnist (scripts/setup.sh does)",
          path));
    }
  }
  const auto images = read_idx(images_path);
  const auto labels = read_idx(labels_path);
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 3 ||
      images.size(1) != kFashionMnistSize || images.size(2) != kFashionMnistSize) {
    throw std::runtime_error(fmt::format(
        "{}: expected uint8 images of shape [N, {}, {}], got {} {}", images_path, kFashionMnistSize,
        kFashionMnistSize, c10::toString(images.scalar_type()), shape_string(images.sizes())));
  }
  if (labels.scalar_type() != torch::kUInt8 || labels.dim() != 1) {
    throw std::runtime_error(fmt::format("{}: expected uint8 labels of shape [N], got {} {}",
                                         labels_path, c10::toString(labels.scalar_type()),
                                         shape_string(labels.sizes())));
  }
  if (labels.size(0) != images.size(0)) {
    throw std::runtime_error(fmt::format("{} holds {} labels but {} holds {} images", labels_path,
                                         labels.size(0), images_path, images.size(0)));
  }
  const int64_t largest = labels.numel() ? labels.max().item<int64_t>() : 0;
  if (largest >= static_cast<int64_t>(fashion_mnist_classes().size())) {
    throw std::runtime_error(
        fmt::format("{}: label {} is out of range; expected 0..9", labels_path, largest));
  }
  return {images.unsqueeze(1), labels.to(torch::kLong), fashion_mnist_classes()};
}

std::vector<std::string> fashion_mnist_folder_names() {
  std::vector<std::string> names;
  const auto& classes = fashion_mnist_classes();
  for (size_t i = 0; i < classes.size(); ++i) {
    auto name = fmt::format("{}_{}", i, classes[i]);
    std::replace_if(
        name.begin(), name.end(), [](char c) { return c == '/' || c == ' '; }, '_');
    names.push_back(name);
  }
  return names;
}

namespace {

/// A photo-like RGB rendering of a 28×28 garment (ExportOptions), seeded by `seed`.
torch::Tensor photo(const torch::Tensor& garment, int64_t width, int64_t height, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const auto colour = [&] { return torch::randint(0, 256, {3, 1, 1}, gen).to(torch::kFloat); };
  const auto background = colour(), tint = colour();
  const int64_t side = std::max<int64_t>(1, std::min(width, height) * 4 / 5);
  namespace F = torch::nn::functional;
  const auto alpha = F::interpolate(garment.to(torch::kFloat).view({1, 1, 28, 28}) / 255.0,
                                    F::InterpolateFuncOptions()
                                        .size(std::vector<int64_t>{side, side})
                                        .mode(torch::kBilinear)
                                        .align_corners(false))[0];
  auto image = background.expand({3, height, width}).clone();
  const int64_t top = torch::randint(0, height - side + 1, {1}, gen).item<int64_t>();
  const int64_t left = torch::randint(0, width - side + 1, {1}, gen).item<int64_t>();
  auto region = image.slice(1, top, top + side).slice(2, left, left + side);
  region.copy_(region * (1 - alpha) + tint * alpha);
  image += 12.0 * torch::randn({3, height, width}, gen);
  return image.round().clamp(0, 255).to(torch::kUInt8);
}

}  // namespace

ExportCounts export_fashion_mnist(const std::string& out, const std::string& folder,
                                  const ExportOptions& o,
                                  const std::function<void(const std::string&)>& progress) {
  const int64_t limit = o.limit;
  SETFORMER_CHECK(limit >= 0, "--limit must be >= 0 (0: every image), got {}", limit);
  SETFORMER_CHECK(o.format == "png" || o.format == "jpeg",
                  "--format = '{}' is not valid; expected png | jpeg", o.format);
  SETFORMER_CHECK((o.width == 0) == (o.height == 0) && o.width >= 0 && o.height >= 0,
                  "--size must be WIDTHxHEIGHT with both positive (or absent), got {}x{}", o.width,
                  o.height);
  const std::string extension = o.format == "png" ? "png" : "jpg";
  const auto folders = fashion_mnist_folder_names();
  ExportCounts counts;
  // The test split becomes "val", the name image-folder datasets look for.
  for (const auto& [split, as] : {std::pair<std::string, std::string>{"train", "train"},
                                  std::pair<std::string, std::string>{"test", "val"}}) {
    const auto data = load_fashion_mnist(split, folder);
    const int64_t n = limit > 0 ? std::min(limit, data.images.size(0)) : data.images.size(0);
    // Class folders are made as their first image is written: an empty class folder is an
    // error for image-folder datasets.
    std::vector<int64_t> per_class(folders.size(), 0);
    const auto labels = data.labels.accessor<int64_t, 1>();
    for (int64_t i = 0; i < n; ++i) {
      const auto c = static_cast<size_t>(labels[i]);
      if (per_class[c] == 0) std::filesystem::create_directories(out + "/" + as + "/" + folders[c]);
      const auto path = fmt::format("{}/{}/{}/{:05d}.{}", out, as, folders[c], i, extension);
      const auto image = o.width > 0 ? photo(data.images[i][0], o.width, o.height,
                                             static_cast<uint64_t>(i) * 2 + (as == "val" ? 1 : 0))
                                     : data.images[i];
      if (o.format == "png") {
        io::write_png(path, image);
      } else {
        io::write_jpeg(path, image, o.quality);
      }
      ++per_class[c];
      if ((i + 1) % 1000 == 0 || i + 1 == n)
        progress(fmt::format("{}: {} of {} images", as, i + 1, n));
    }
    counts.splits.push_back(as);
    counts.per_class.push_back(per_class);
  }
  return counts;
}

torch::Tensor read_fashion_mnist_image(const std::string& path, bool invert) {
  auto image = io::read_grey_image(path);
  if (invert) image = 255 - image;
  if (image.size(1) == kFashionMnistSize && image.size(2) == kFashionMnistSize) return image;
  namespace F = torch::nn::functional;
  return F::interpolate(image.unsqueeze(0).to(torch::kFloat),
                        F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{kFashionMnistSize, kFashionMnistSize})
                            .mode(torch::kArea))[0]
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8);
}

}  // namespace setformer::data

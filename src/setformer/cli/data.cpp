// `setformer data export`: a built-in dataset written in the format users bring their own in, so
// that the generic readers can be checked against the built-in ones on real data. Fashion-MNIST
// becomes an image folder (torchvision's ImageFolder layout, train/ and val/).
#include "setformer/cli/commands.h"

#include "setformer/data/fashion_mnist.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace setformer::cli {

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Datasets: export the built-in ones as files");
  data->require_subcommand(1);
  struct Args {
    std::string dataset = "fashion-mnist", out, data_dir = data::kFashionMnistFolder;
    std::string size;
    data::ExportOptions options;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = data->add_subcommand(
      "export",
      "Write a built-in dataset as files: fashion-mnist as an image folder "
      "(OUT/train/<class>/*.png "
      "and OUT/val/<class>/*.png from the test split; class folders named <label>_<name>)");
  cmd->add_option("--dataset", args->dataset, "fashion-mnist")
      ->check(CLI::IsMember({"fashion-mnist"}))
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Folder written")->required();
  cmd->add_option("--data-dir", args->data_dir, "Folder of the Fashion-MNIST IDX files")
      ->capture_default_str();
  cmd->add_option("--limit", args->options.limit, "First N images of each split (0: all)")
      ->capture_default_str();
  cmd->add_option("--format", args->options.format, "png | jpeg")
      ->check(CLI::IsMember({"png", "jpeg"}))
      ->capture_default_str();
  cmd->add_option("--quality", args->options.quality, "JPEG quality 1..100")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--size", args->size,
                  "WIDTHxHEIGHT: photo-like RGB images of that size (garment tinted on a noisy "
                  "coloured background) instead of the 28x28 grey originals, e.g. 500x375 for "
                  "ImageNet-sized decoding benchmarks");
  cmd->callback([args] {
    if (!args->size.empty()) {
      const auto x = args->size.find('x');
      try {
        if (x == std::string::npos) throw std::invalid_argument(args->size);
        args->options.width = std::stoll(args->size.substr(0, x));
        args->options.height = std::stoll(args->size.substr(x + 1));
      } catch (const std::exception&) {
        throw CLI::ValidationError("--size",
                                   "expected WIDTHxHEIGHT, e.g. 500x375, got '" + args->size + "'");
      }
    }
    const auto counts = data::export_fashion_mnist(
        args->out, args->data_dir, args->options,
        [](const std::string& line) { std::cerr << "export " << line << std::endl; });
    const auto classes = data::fashion_mnist_folder_names();
    for (size_t s = 0; s < counts.splits.size(); ++s) {
      int64_t total = 0;
      std::string line;
      for (size_t c = 0; c < classes.size(); ++c) {
        total += counts.per_class[s][c];
        line += fmt::format("  {} {}", classes[c], counts.per_class[s][c]);
      }
      fmt::print("{}/{}: {} images:{}\n", args->out, counts.splits[s], total, line);
    }
  });
}

}  // namespace setformer::cli

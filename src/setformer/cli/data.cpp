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
    int64_t limit = 0;
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
  cmd->add_option("--limit", args->limit, "First N images of each split (0: all)")
      ->capture_default_str();
  cmd->callback([args] {
    const auto counts = data::export_fashion_mnist(
        args->out, args->data_dir, args->limit,
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

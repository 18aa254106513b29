// `setformer info`: parameters, FLOPs and per-stage token grids of a named model.
#include "setformer/cli/commands.h"

#include "setformer/io/table.h"
#include "setformer/models/setformer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <memory>

namespace setformer::cli {

void add_info_command(CLI::App& app) {
  struct Args {
    std::string model = "setformer-miny";
    int64_t image_size = 224, classes = 1000;
    std::string kernel = "set";
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("info", "Parameters, FLOPs and per-stage token grids of a model");
  cmd->add_option("--model", args->model,
                  fmt::format("{}", fmt::join(models::setformer_variant_names(), " | ")))
      ->capture_default_str();
  cmd->add_option("--image-size", args->image_size, "Square input size S")->capture_default_str();
  cmd->add_option("--classes", args->classes, "Number of classes K")->capture_default_str();
  cmd->add_option("--kernel", args->kernel, "Attention kernel of every block")
      ->capture_default_str();
  cmd->callback([args] {
    auto options = models::setformer_variant(args->model);
    options.image_size(args->image_size).classes(args->classes).kernel(args->kernel);
    models::SeTformer model(options);
    int64_t parameters = 0;
    for (const auto& p : model->parameters()) parameters += p.numel();
    fmt::print("{} at {}x{}, {} classes, attention kernel '{}'\n", args->model, args->image_size,
               args->image_size, args->classes, args->kernel);
    fmt::print("parameters: {:.2f} M\n", static_cast<double>(parameters) / 1e6);
    const double flops = model->flops();
    fmt::print(
        "FLOPs: {} (multiply-adds of one forward pass on one image)\n",
        flops >= 1e9 ? fmt::format("{:.2f} G", flops / 1e9) : fmt::format("{:.2f} M", flops / 1e6));
    io::Table table;
    table.columns = {"stage", "grid", "tokens", "dim", "heads", "depth", "m"};
    for (size_t i = 0; i < options.stages().size(); ++i) {
      const auto& s = options.stages()[i];
      const auto [h, w] = model->stage_grids()[i];
      table.add({std::to_string(i + 1), fmt::format("{}x{}", h, w), std::to_string(h * w),
                 std::to_string(s.dim()), std::to_string(s.heads()), std::to_string(s.depth()),
                 std::to_string(s.references())});
    }
    fmt::print("{}", table.markdown());
  });
}

}  // namespace setformer::cli

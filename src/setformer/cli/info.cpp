// `setformer info`: parameters, FLOPs and per-stage token grids of a named model.
#include "setformer/cli/commands.h"

#include "setformer/io/table.h"
#include "setformer/models/setformer.h"
#include "setformer/models/transformer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <memory>

namespace setformer::cli {

void add_info_command(CLI::App& app) {
  struct Args {
    std::string model = "setformer-miny";
    int64_t image_size = 224, classes = 1000, channels = 3;
    std::string kernel = "set";
    int64_t vocab = 37000, length = 64;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("info", "Parameters, FLOPs and per-stage token grids of a model");
  std::vector<std::string> transformers;
  for (const auto& p : models::transformer_presets()) transformers.push_back("transformer-" + p);
  cmd->add_option("--model", args->model,
                  fmt::format("{} | {}", fmt::join(models::setformer_variant_names(), " | "),
                              fmt::join(transformers, " | ")))
      ->capture_default_str();
  cmd->add_option("--vocab", args->vocab,
                  "Transformers: shared vocabulary size (the paper's WMT EN-DE BPE: 37000)")
      ->capture_default_str();
  cmd->add_option("--length", args->length, "Transformers: source and target length for the FLOPs")
      ->capture_default_str();
  cmd->add_option("--image-size", args->image_size, "Square input size S")->capture_default_str();
  cmd->add_option("--classes", args->classes, "Number of classes K")->capture_default_str();
  cmd->add_option("--channels", args->channels, "Input channels (3: RGB, 1: Fashion-MNIST)")
      ->capture_default_str();
  cmd->add_option("--kernel", args->kernel, "Attention kernel of every block")
      ->capture_default_str();
  cmd->callback([args] {
    const std::string prefix = "transformer-";
    if (args->model.rfind(prefix, 0) == 0) {
      const auto preset = args->model.substr(prefix.size());
      auto options = models::transformer_preset(preset, args->vocab, args->vocab);
      models::Transformer model(options);
      int64_t parameters = 0;
      for (const auto& p : model->parameters()) parameters += p.numel();
      fmt::print("{}: d = {}, h = {}, d_ff = {}, N = {}/{}, shared vocabulary of {}\n", args->model,
                 options.dim(), options.heads(), options.ffn_dim(), options.encoder_layers(),
                 options.decoder_layers(), args->vocab);
      fmt::print("parameters: {:.2f} M\n", static_cast<double>(parameters) / 1e6);
      fmt::print(
          "FLOPs: {:.2f} G (multiply-adds of one forward pass, {} source and {} target "
          "tokens)\n",
          model->flops(args->length, args->length) / 1e9, args->length, args->length);
      return;
    }
    auto options = models::setformer_variant(args->model);
    options.in_channels(args->channels)
        .image_size(args->image_size)
        .classes(args->classes)
        .kernel(args->kernel);
    models::SeTformer model(options);
    int64_t parameters = 0;
    for (const auto& p : model->parameters()) parameters += p.numel();
    fmt::print("{} at {}x{}x{}, {} classes, attention kernel '{}'\n", args->model, args->channels,
               args->image_size, args->image_size, args->classes, args->kernel);
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

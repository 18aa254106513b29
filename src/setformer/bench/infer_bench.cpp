#include "setformer/bench/infer_bench.h"

#include "setformer/bench/report.h"
#include "setformer/bench/stats.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/core/runtime.h"
#include "setformer/data/fashion_mnist.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

namespace setformer::bench {
namespace {

using Clock = std::chrono::steady_clock;
using data::kFashionMnistChannels, data::kFashionMnistSize, data::kFashionMnistClasses;

void validate(const InferBenchOptions& o) {
  SETFORMER_CHECK(!o.rows.empty(),
                  "bench infer: name at least one row (a .toml configuration or a .pt checkpoint)");
  SETFORMER_CHECK(o.batch >= 1, "bench infer: --batch must be >= 1, got {}", o.batch);
  SETFORMER_CHECK(o.batches >= 1, "bench infer: --batches must be >= 1, got {}", o.batches);
  SETFORMER_CHECK(o.rounds >= 1, "bench infer: --rounds must be >= 1, got {}", o.rounds);
  SETFORMER_CHECK(o.warmup >= 0, "bench infer: --warmup must be >= 0, got {}", o.warmup);
}

/// One row's model and its timings.
struct Contender {
  InferBenchRow row;
  models::SeTformer model{nullptr};
  std::vector<double> images_per_second;
};

Contender load_row(
    const std::string& file, const InferBenchOptions& o,
    const std::function<tasks::ImageClassifierConfig(const std::string&)>& load_config,
    const torch::Device& device) {
  namespace fs = std::filesystem;
  const fs::path path(file);
  Contender c;
  c.row.source = file;
  tasks::ImageClassifierConfig config;
  if (path.extension() == ".pt") {
    auto loaded = tasks::load_image_classifier(file, /*use_ema=*/true, device, o.stop_tolerance);
    c.model = loaded.model;
    config = loaded.config;
    c.row.trained = true;
    // results/fashion_mnist/<row>/checkpoint.pt is named by its run folder.
    c.row.name =
        path.has_parent_path() ? path.parent_path().filename().string() : path.stem().string();
  } else {
    SETFORMER_CHECK(path.extension() == ".toml",
                    "bench infer: row '{}' is neither a .toml configuration nor a .pt checkpoint",
                    file);
    config = load_config(file);
    if (o.stop_tolerance >= 0) config.stop_tolerance = o.stop_tolerance;
    // The input a run of this configuration would see: Fashion-MNIST's unless the row names a
    // size, channels, or a folder of images (RGB at 224, ImageNet's 1000 classes).
    const bool files = !config.root.empty();
    if (config.image_size == 0) config.image_size = files ? 224 : kFashionMnistSize;
    if (config.channels == 0) config.channels = files ? 3 : kFashionMnistChannels;
    if (config.classes.empty())
      config.classes.resize(files ? 1000 : static_cast<size_t>(kFashionMnistClasses));
    torch::manual_seed(o.seed);
    c.model = models::SeTformer(tasks::model_options(config, config.channels, config.image_size,
                                                     static_cast<int64_t>(config.classes.size())));
    c.model->to(device);
    c.row.name = path.stem().string();
  }
  c.model->eval();
  c.row.input = {config.channels, config.image_size, config.image_size};
  c.row.kernel = config.kernel;
  for (const auto& p : c.model->parameters()) c.row.parameters += p.numel();
  c.row.flops = c.model->flops();
  return c;
}

}  // namespace

InferBenchResult run_infer_bench(
    const InferBenchOptions& options,
    const std::function<tasks::ImageClassifierConfig(const std::string&)>& load_config,
    const std::function<void(const std::string&)>& progress) {
  validate(options);
  const auto device = parse_device(options.device);
  if (device.is_cpu()) install_cpu_memory_tracker();
  const auto cores =
      use_cores(static_cast<int>(options.threads), options.parallel, device, "--parallel");
  const int64_t shards = cores.shards;
  std::vector<Contender> contenders;
  std::set<std::string> names;
  for (const auto& file : options.rows) {
    contenders.push_back(load_row(file, options, load_config, device));
    contenders.back().row.name = unique_row_name(contenders.back().row.name, names);
  }
  torch::NoGradGuard no_grad;
  // One fixed batch per input size, drawn in row order.
  std::map<std::vector<int64_t>, torch::Tensor> images;
  torch::manual_seed(options.seed);
  for (const auto& c : contenders) {
    if (images.count(c.row.input) > 0) continue;
    images[c.row.input] =
        torch::randn({options.batch, c.row.input[0], c.row.input[1], c.row.input[2]},
                     torch::TensorOptions(device));
  }
  const auto passes = [&](Contender& c, int64_t count) {
    const auto& x = images.at(c.row.input);
    const int64_t before = current_memory_bytes(device);
    reset_peak_memory(device);
    for (int64_t i = 0; i < count; ++i) (void)tasks::classifier_logits(c.model, x, shards);
    synchronize(device);
    c.row.peak_bytes = std::max(c.row.peak_bytes, peak_memory_bytes(device) - before);
  };
  for (auto& c : contenders) passes(c, options.warmup);
  for (int64_t round = 0; round < options.rounds; ++round) {
    std::string line = fmt::format("round {}/{}:", round + 1, options.rounds);
    for (auto& c : contenders) {
      const auto start = Clock::now();
      passes(c, options.batches);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      c.images_per_second.push_back(static_cast<double>(options.batches * options.batch) / seconds);
      line += fmt::format("  {} {:.0f} img/s", c.row.name, c.images_per_second.back());
    }
    progress(line);
  }
  InferBenchResult result;
  result.options = options;
  result.threads = cores.threads;
  result.parallel = cores.parallel;
  for (auto& c : contenders) {
    c.row.images_per_second = spread(c.images_per_second);
    result.rows.push_back(c.row);
  }
  return result;
}

namespace {

/// Images per second: whole numbers, with a decimal below 100 (a 224 model runs at a few).
std::string rate(double images_per_second) {
  return fmt::format(images_per_second < 100 ? "{:.1f}" : "{:.0f}", images_per_second);
}

}  // namespace

io::Table infer_bench_table(const InferBenchResult& result) {
  io::Table table;
  const std::string first = result.rows.empty() ? "" : result.rows.front().name;
  table.columns = {"row", "kernel", "weights",     "parameters", "FLOPs",      "median img/s",
                   "min", "max",    "vs " + first, "input",      "peak memory"};
  for (const auto& r : result.rows) {
    table.add({r.name, r.kernel, r.trained ? "trained" : "initial",
               fmt::format("{:.3f} M", static_cast<double>(r.parameters) / 1e6),
               fmt::format("{:.2f} M", r.flops / 1e6), rate(r.images_per_second.median),
               rate(r.images_per_second.min), rate(r.images_per_second.max),
               fmt::format("{:.2f}x", r.images_per_second.median /
                                          result.rows.front().images_per_second.median),
               fmt::format("{}", fmt::join(r.input, "×")),
               fmt::format("{:.0f} MB", static_cast<double>(r.peak_bytes) / (1 << 20))});
  }
  return table;
}

void write_infer_bench_outputs(const InferBenchResult& result, const std::string& prefix,
                               const std::string& command) {
  const auto& o = result.options;
  const std::string setup = fmt::format(
      "Inference (evaluation mode, no gradients) of each row's input size: a fixed random "
      "batch of {}, {} timed forward passes per row per round, rows in turn, median over {} "
      "rounds after {}; device {} ({}, parallel {}); set.stop_tolerance "
      "{}. Weights: trained = a checkpoint's (EMA when it has them), initial = a configuration's "
      "model as initialised. Rows{}",
      o.batch, o.batches, o.rounds, counted(o.warmup, "warm-up pass", "warm-up passes"), o.device,
      counted(result.threads, "thread"), result.parallel,
      o.stop_tolerance >= 0 ? fmt::format("{}", o.stop_tolerance) : "as each row sets it",
      row_sources(result.rows));
  write_bench_markdown(prefix, command, setup, infer_bench_table(result));
  nlohmann::json j;
  j["command"] = command;
  j["threads"] = result.threads;
  j["parallel"] = result.parallel;
  j["options"] = {{"batch", o.batch},   {"batches", o.batches},
                  {"rounds", o.rounds}, {"warmup", o.warmup},
                  {"device", o.device}, {"stop_tolerance", o.stop_tolerance},
                  {"seed", o.seed}};
  for (const auto& r : result.rows) {
    j["rows"].push_back({{"name", r.name},
                         {"source", r.source},
                         {"trained", r.trained},
                         {"kernel", r.kernel},
                         {"parameters", r.parameters},
                         {"flops", r.flops},
                         {"median_images_per_second", r.images_per_second.median},
                         {"min_images_per_second", r.images_per_second.min},
                         {"max_images_per_second", r.images_per_second.max},
                         {"input", r.input},
                         {"peak_bytes", r.peak_bytes}});
  }
  write_file_atomic(prefix + ".json", j.dump(2) + "\n");
}

}  // namespace setformer::bench

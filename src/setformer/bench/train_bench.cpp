#include "setformer/bench/train_bench.h"

#include "setformer/bench/stats.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/data/fashion_mnist.h"
#include "setformer/models/setformer.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <memory>

namespace setformer::bench {

const std::vector<std::string>& train_bench_variants() {
  static const std::vector<std::string> names{"fused", "implicit", "reference", "fused-ops"};
  return names;
}

namespace {

using Clock = std::chrono::steady_clock;

void validate(const tasks::ImageClassifierConfig& c, const TrainBenchOptions& o) {
  SETFORMER_CHECK(!o.variants.empty(), "bench train: --variants must name at least one variant");
  const auto& known = train_bench_variants();
  for (const auto& v : o.variants)
    SETFORMER_CHECK(std::find(known.begin(), known.end(), v) != known.end(),
                    "bench train: unknown variant '{}'; expected one of: {}", v,
                    fmt::join(known, ", "));
  SETFORMER_CHECK(o.steps >= 1, "bench train: --steps must be >= 1, got {}", o.steps);
  SETFORMER_CHECK(o.rounds >= 1, "bench train: --rounds must be >= 1, got {}", o.rounds);
  SETFORMER_CHECK(o.warmup >= 0, "bench train: --warmup-steps must be >= 0, got {}", o.warmup);
  SETFORMER_CHECK(c.batch_size >= 1, "data.batch_size must be >= 1, got {}", c.batch_size);
}

/// One variant's model, optimiser and fixed random batch.
struct Trainee {
  std::string variant;
  models::SeTformer model{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  torch::Tensor images, labels;
  int64_t shards = 1;  // batch shards in parallel threads (core/shards.h)
  int intra_op = 1;    // LibTorch's intra-op threads during this variant's turn
  std::vector<double> images_per_second;
  double loss = 0;
};

}  // namespace

TrainBenchResult run_train_bench(const tasks::ImageClassifierConfig& config,
                                 const TrainBenchOptions& options,
                                 const std::function<void(const std::string&)>& progress) {
  validate(config, options);
  const auto device = parse_device(config.device);
  const auto use =
      use_cores(static_cast<int>(config.threads), config.parallel, device, "--parallel");
  const int64_t shards = use.shards;
  const int cores = static_cast<int>(use.threads);
  using data::kFashionMnistChannels, data::kFashionMnistSize, data::kFashionMnistClasses;
  std::vector<Trainee> trainees;
  for (const auto& variant : options.variants) {
    auto c = config;
    c.fused_sinkhorn = variant != "reference";
    c.sinkhorn_backward = variant == "implicit" ? "implicit" : "unrolled";
    Trainee t;
    t.variant = variant;
    // fused-ops: the fused paths with every core given to LibTorch's intra-op parallelism, to
    // compare with batch shards side by side.
    t.shards = variant == "fused-ops" ? 1 : shards;
    t.intra_op = variant == "fused-ops" ? cores : torch::get_num_threads();
    torch::manual_seed(config.seed);  // the same weights and batch for every variant
    t.model = models::SeTformer(
        tasks::model_options(c, kFashionMnistChannels, kFashionMnistSize, kFashionMnistClasses));
    t.model->to(device);
    t.model->train();
    t.optimizer = std::make_unique<torch::optim::AdamW>(
        t.model->parameters(),
        torch::optim::AdamWOptions(config.lr).weight_decay(config.weight_decay));
    t.images = torch::randn(
        {config.batch_size, kFashionMnistChannels, kFashionMnistSize, kFashionMnistSize},
        torch::TensorOptions(device));
    t.labels = torch::randint(0, kFashionMnistClasses, {config.batch_size},
                              torch::TensorOptions(device).dtype(torch::kLong));
    trainees.push_back(std::move(t));
  }
  const auto steps = [&](Trainee& t, int64_t count, uint64_t seed) {
    torch::set_num_threads(t.intra_op);
    for (int64_t s = 0; s < count; ++s) {
      t.optimizer->zero_grad();
      const auto out = tasks::classifier_step(t.model, t.images, t.labels, config.label_smoothing,
                                              t.shards, seed + static_cast<uint64_t>(s));
      if (config.clip_norm > 0)
        torch::nn::utils::clip_grad_norm_(t.model->parameters(), config.clip_norm);
      t.optimizer->step();
      t.loss = out.loss.item<double>();
    }
    synchronize(device);
  };
  // Every variant draws the same drop-path masks: the generator restarts before each turn.
  for (auto& t : trainees) {
    torch::manual_seed(config.seed);
    steps(t, options.warmup, config.seed);
  }
  for (int64_t round = 0; round < options.rounds; ++round) {
    std::string line = fmt::format("round {}/{}:", round + 1, options.rounds);
    for (auto& t : trainees) {
      const uint64_t seed = config.seed + static_cast<uint64_t>(round) + 1;
      torch::manual_seed(seed);
      const auto start = Clock::now();
      steps(t, options.steps, seed);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      t.images_per_second.push_back(static_cast<double>(options.steps * config.batch_size) /
                                    seconds);
      line += fmt::format("  {} {:.0f} img/s", t.variant, t.images_per_second.back());
    }
    progress(line);
  }
  torch::set_num_threads(shards > 1 ? 1 : cores);
  TrainBenchResult result;
  result.options = options;
  result.config = config;
  result.threads = use.threads;
  result.parallel = use.parallel;
  for (auto& t : trainees) {
    TrainBenchRow row;
    row.variant = t.variant;
    row.images_per_second = spread(t.images_per_second);
    row.loss = t.loss;
    result.rows.push_back(row);
  }
  return result;
}

io::Table train_bench_table(const TrainBenchResult& result) {
  io::Table table;
  table.columns = {"variant", "median img/s", "min", "max", "vs reference", "last loss"};
  double reference = 0;
  for (const auto& r : result.rows)
    if (r.variant == "reference") reference = r.images_per_second.median;
  for (const auto& r : result.rows) {
    table.add({r.variant, fmt::format("{:.0f}", r.images_per_second.median),
               fmt::format("{:.0f}", r.images_per_second.min),
               fmt::format("{:.0f}", r.images_per_second.max),
               reference > 0 ? fmt::format("{:.2f}x", r.images_per_second.median / reference) : "-",
               fmt::format("{:.4f}", r.loss)});
  }
  return table;
}

void write_train_bench_outputs(const TrainBenchResult& result, const std::string& prefix,
                               const std::string& command) {
  const auto& c = result.config;
  const auto& o = result.options;
  const std::string setup = fmt::format(
      "Model {} (kernel '{}') at 28x28, batch {}; full training steps (forward, label-smoothed "
      "cross-entropy, backward, gradient clipping, AdamW) on a fixed random batch, no data "
      "loading; {} timed steps per variant per round, variants in turn, median over {} rounds "
      "after {}; device {} ({}, parallel {}). Variants: fused = the fused "
      "CPU paths "
      "(unrolled backward), implicit = the same with the implicit backward, reference = "
      "set.fused_sinkhorn = false (the composition of LibTorch operations), fused-ops = fused "
      "with parallel ops (every core to LibTorch's intra-op threads, one batch shard)",
      c.model, c.kernel, c.batch_size, o.steps, o.rounds, counted(o.warmup, "warm-up step"),
      c.device, counted(result.threads, "thread"), result.parallel);
  const auto table = train_bench_table(result);
  write_file_atomic(prefix + ".md",
                    fmt::format("Command: `{}`\n\n{}.\n\n{}", command, setup, table.markdown()));
  nlohmann::json j;
  j["command"] = command;
  j["threads"] = result.threads;
  j["parallel"] = result.parallel;
  j["config"] = c;
  j["options"] = {
      {"variants", o.variants}, {"steps", o.steps}, {"rounds", o.rounds}, {"warmup", o.warmup}};
  for (const auto& r : result.rows) {
    j["rows"].push_back({{"variant", r.variant},
                         {"median_images_per_second", r.images_per_second.median},
                         {"min_images_per_second", r.images_per_second.min},
                         {"max_images_per_second", r.images_per_second.max},
                         {"last_loss", r.loss}});
  }
  write_file_atomic(prefix + ".json", j.dump(2) + "\n");
}

}  // namespace setformer::bench

#include "setformer/bench/language_bench.h"

#include "setformer/bench/report.h"
#include "setformer/bench/stats.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/core/runtime.h"
#include "setformer/data/tokenizer.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>

namespace setformer::bench {
namespace {

using Clock = std::chrono::steady_clock;

void validate(const LanguageBenchOptions& o) {
  SETFORMER_CHECK(!o.rows.empty(), "bench language: name at least one row (a .toml configuration)");
  SETFORMER_CHECK(o.length >= 0, "bench language: --length must be >= 0, got {}", o.length);
  SETFORMER_CHECK(o.batch >= 0, "bench language: --batch must be >= 0, got {}", o.batch);
  SETFORMER_CHECK(o.steps >= 1, "bench language: --steps must be >= 1, got {}", o.steps);
  SETFORMER_CHECK(o.rounds >= 1, "bench language: --rounds must be >= 1, got {}", o.rounds);
  SETFORMER_CHECK(o.warmup >= 0, "bench language: --warmup must be >= 0, got {}", o.warmup);
}

/// One row's model, optimiser, batch and measurements.
struct Contender {
  LanguageBenchRow row;
  tasks::LanguageExperimentConfig config;
  models::TextEncoder model{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  torch::Tensor tokens, labels;
  std::vector<double> sequences_per_second, peaks_mib;
};

Contender load_row(
    const std::string& file, const LanguageBenchOptions& o,
    const std::function<tasks::LanguageExperimentConfig(const std::string&)>& load_config,
    const torch::Device& device) {
  const std::filesystem::path path(file);
  SETFORMER_CHECK(path.extension() == ".toml",
                  "bench language: row '{}' is not a .toml language configuration", file);
  Contender c;
  c.row.source = file;
  c.row.name = path.stem().string();
  c.config = load_config(file);
  if (o.length > 0) c.config.length = o.length;
  if (o.batch > 0) c.config.batch_size = o.batch;
  c.config.seed = o.seed;
  SETFORMER_CHECK(c.config.task != "mlm",
                  "bench language: row '{}' is an mlm configuration; the benchmark trains a "
                  "classification head (task.name = classify or listops)",
                  file);
  c.model = tasks::build_language_model(c.config);
  c.model->to(device);
  c.model->train();
  c.optimizer = std::make_unique<torch::optim::AdamW>(
      c.model->parameters(),
      torch::optim::AdamWOptions(c.config.lr).weight_decay(c.config.weight_decay));
  const int64_t vocab = c.model->options.vocab(), classes = c.model->options.classes();
  const auto on = torch::TensorOptions(device).dtype(torch::kLong);
  // Ordinary tokens only: no padding, mask or separator.
  c.tokens =
      torch::randint(data::Tokenizer::kSpecials, vocab, {c.config.batch_size, c.config.length}, on);
  c.labels = torch::randint(0, classes, {c.config.batch_size}, on);
  c.row.kernel = c.config.kernel;
  c.row.length = c.config.length;
  c.row.batch = c.config.batch_size;
  for (const auto& p : c.model->parameters()) c.row.parameters += p.numel();
  c.row.flops = c.model->flops(c.config.length);
  return c;
}

/// One training step as `setformer train` takes it: forward, loss, backward, clipping, AdamW.
double step(Contender& c) {
  c.optimizer->zero_grad();
  const auto loss = torch::nn::functional::cross_entropy(c.model->classify(c.tokens), c.labels);
  loss.backward();
  if (c.config.clip_norm > 0)
    torch::nn::utils::clip_grad_norm_(c.model->parameters(), c.config.clip_norm);
  c.optimizer->step();
  return loss.item<double>();
}

}  // namespace

LanguageBenchResult run_language_bench(
    const LanguageBenchOptions& options,
    const std::function<tasks::LanguageExperimentConfig(const std::string&)>& load_config,
    const std::function<void(const std::string&)>& progress) {
  validate(options);
  const auto device = parse_device(options.device);
  // Before any tensor exists: the tracker must own every CPU allocation it later frees.
  if (device.is_cpu()) install_cpu_memory_tracker();
  set_threads(static_cast<int>(options.threads));
  std::vector<Contender> contenders;
  std::set<std::string> names;
  for (const auto& file : options.rows) {
    contenders.push_back(load_row(file, options, load_config, device));
    contenders.back().row.name = unique_row_name(contenders.back().row.name, names);
  }
  for (auto& c : contenders)
    for (int64_t i = 0; i < options.warmup; ++i) c.row.loss = step(c);
  for (int64_t round = 0; round < options.rounds; ++round) {
    std::string line = fmt::format("round {}/{}:", round + 1, options.rounds);
    for (auto& c : contenders) {
      synchronize(device);
      const int64_t base = current_memory_bytes(device);
      reset_peak_memory(device);
      const auto start = Clock::now();
      for (int64_t i = 0; i < options.steps; ++i) c.row.loss = step(c);
      synchronize(device);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      c.sequences_per_second.push_back(static_cast<double>(options.steps * c.row.batch) / seconds);
      c.peaks_mib.push_back(static_cast<double>(peak_memory_bytes(device) - base) /
                            (1024.0 * 1024.0));
      line += fmt::format("  {} {:.2f} seq/s {:.0f} MiB", c.row.name, c.sequences_per_second.back(),
                          c.peaks_mib.back());
    }
    progress(line);
  }
  LanguageBenchResult result;
  result.options = options;
  result.threads = device.is_cpu() ? torch::get_num_threads() : 0;
  for (auto& c : contenders) {
    c.row.sequences_per_second = spread(c.sequences_per_second);
    c.row.peak_mib = *std::max_element(c.peaks_mib.begin(), c.peaks_mib.end());
    result.rows.push_back(c.row);
  }
  return result;
}

io::Table language_bench_table(const LanguageBenchResult& result) {
  io::Table table;
  const auto& first = result.rows.front();
  table.columns = {"row",
                   "kernel",
                   "length",
                   "batch",
                   "parameters",
                   "GFLOPs/seq",
                   "median seq/s",
                   "min",
                   "max",
                   "peak MiB",
                   "time vs " + first.name,
                   "memory vs " + first.name};
  for (const auto& r : result.rows) {
    table.add(
        {r.name, r.kernel, std::to_string(r.length), std::to_string(r.batch),
         fmt::format("{:.3f} M", static_cast<double>(r.parameters) / 1e6),
         fmt::format("{:.2f}", r.flops / 1e9), fmt::format("{:.2f}", r.sequences_per_second.median),
         fmt::format("{:.2f}", r.sequences_per_second.min),
         fmt::format("{:.2f}", r.sequences_per_second.max), fmt::format("{:.0f}", r.peak_mib),
         fmt::format("{:.2f}x", first.sequences_per_second.median / r.sequences_per_second.median),
         fmt::format("{:.2f}x", r.peak_mib / first.peak_mib)});
  }
  return table;
}

void write_language_bench_outputs(const LanguageBenchResult& result, const std::string& prefix,
                                  const std::string& command) {
  const auto& o = result.options;
  const std::string setup = fmt::format(
      "Training steps of text classifiers (forward, cross-entropy, backward, gradient clipping, "
      "AdamW) on a fixed batch of random full-length token sequences (no padding), timed steps "
      "per row per round: {}, rows in turn, median over {} rounds after {}; device {} "
      "({}). Peak MiB: the most a step allocated above the level it started at "
      "(weights, gradients and optimiser state excluded). time vs {}: the row's time per sequence "
      "over the first row's. Rows{}",
      o.steps, o.rounds, counted(o.warmup, "warm-up step"), o.device,
      counted(result.threads, "thread"), result.rows.front().name, row_sources(result.rows));
  write_bench_markdown(prefix, command, setup, language_bench_table(result));
  nlohmann::json j;
  j["command"] = command;
  j["threads"] = result.threads;
  j["options"] = {{"length", o.length}, {"batch", o.batch},   {"steps", o.steps},
                  {"rounds", o.rounds}, {"warmup", o.warmup}, {"device", o.device},
                  {"seed", o.seed}};
  for (const auto& r : result.rows) {
    j["rows"].push_back({{"name", r.name},
                         {"source", r.source},
                         {"kernel", r.kernel},
                         {"length", r.length},
                         {"batch", r.batch},
                         {"parameters", r.parameters},
                         {"flops", r.flops},
                         {"median_sequences_per_second", r.sequences_per_second.median},
                         {"min_sequences_per_second", r.sequences_per_second.min},
                         {"max_sequences_per_second", r.sequences_per_second.max},
                         {"peak_mib", r.peak_mib},
                         {"last_loss", r.loss}});
  }
  write_file_atomic(prefix + ".json", j.dump(2) + "\n");
}

}  // namespace setformer::bench

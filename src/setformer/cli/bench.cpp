// `setformer bench ...`: benchmarks that write tables and plots. For now: `bench attention`.
#include "setformer/cli/commands.h"

#include "setformer/bench/attention_bench.h"
#include "setformer/core/runtime.h"
#include "setformer/io/config.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace setformer::cli {
namespace {

struct BenchAttentionArgs {
  std::string config;
  bench::AttentionBenchOptions options;
  std::string out = "results/bench_attention";
  int threads = 0;
};

/// Config keys first, then every flag given on the command line on top.
bench::AttentionBenchOptions resolve(const BenchAttentionArgs& args, const CLI::App& cmd) {
  bench::AttentionBenchOptions o;
  if (!args.config.empty()) {
    const auto c = io::Config::load(args.config);
    c.check_keys({"kernels", "lengths", "batch", "heads", "dim", "m", "iterations", "epsilon",
                  "repetitions", "warmup", "memory_budget_gb", "device", "seed"});
    if (auto v = c.strings("kernels")) o.kernels = *v;
    if (auto v = c.integers("lengths")) o.lengths = *v;
    if (auto v = c.integer("batch")) o.batch = *v;
    if (auto v = c.integer("heads")) o.heads = *v;
    if (auto v = c.integer("dim")) o.dim = *v;
    if (auto v = c.integer("m")) o.m = *v;
    if (auto v = c.integer("iterations")) o.iterations = *v;
    if (auto v = c.number("epsilon")) o.epsilon = *v;
    if (auto v = c.integer("repetitions")) o.repetitions = *v;
    if (auto v = c.integer("warmup")) o.warmup = *v;
    if (auto v = c.number("memory_budget_gb")) o.memory_budget_gb = *v;
    if (auto v = c.string("device")) o.device = *v;
    if (auto v = c.integer("seed")) o.seed = static_cast<uint64_t>(*v);
  }
  const auto given = [&](const char* flag) { return cmd.count(flag) > 0; };
  const auto& a = args.options;
  if (given("--kernels")) o.kernels = a.kernels;
  if (given("--lengths")) o.lengths = a.lengths;
  if (given("--batch")) o.batch = a.batch;
  if (given("--heads")) o.heads = a.heads;
  if (given("--dim")) o.dim = a.dim;
  if (given("--m")) o.m = a.m;
  if (given("--iterations")) o.iterations = a.iterations;
  if (given("--epsilon")) o.epsilon = a.epsilon;
  if (given("--reps")) o.repetitions = a.repetitions;
  if (given("--warmup")) o.warmup = a.warmup;
  if (given("--memory-budget-gb")) o.memory_budget_gb = a.memory_budget_gb;
  if (given("--device")) o.device = a.device;
  if (given("--seed")) o.seed = a.seed;
  return o;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* bench_cmd = app.add_subcommand("bench", "Benchmarks that write tables and plots");
  bench_cmd->require_subcommand(1);

  auto args = std::make_shared<BenchAttentionArgs>();
  auto* cmd = bench_cmd->add_subcommand(
      "attention",
      "Forward+backward time and peak memory of each attention kernel against sequence length; "
      "writes <out>.md/.csv/.json/.png");
  auto& o = args->options;
  cmd->add_option("--config", args->config,
                  "TOML file with any of the options below (flags override it)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--kernels", o.kernels, "Kernels to compare")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--lengths", o.lengths, "Sequence lengths n")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--batch", o.batch, "Batch size B")->capture_default_str();
  cmd->add_option("--heads", o.heads, "Attention heads H")->capture_default_str();
  cmd->add_option("--dim", o.dim, "Model width d (d_h = d / H)")->capture_default_str();
  cmd->add_option("--m", o.m, "SeT references m")->capture_default_str();
  cmd->add_option("--iterations", o.iterations, "SeT Sinkhorn iterations T")->capture_default_str();
  cmd->add_option("--epsilon", o.epsilon, "SeT entropic regularisation ε")->capture_default_str();
  cmd->add_option("--reps", o.repetitions, "Timed repetitions per run (the median is reported)")
      ->capture_default_str();
  cmd->add_option("--warmup", o.warmup, "Untimed repetitions before timing")->capture_default_str();
  cmd->add_option("--memory-budget-gb", o.memory_budget_gb,
                  "Skip runs predicted to need more memory (0: 75% of available memory)")
      ->capture_default_str();
  cmd->add_option("--device", o.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all available cores)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Output path prefix")->capture_default_str();
  cmd->callback([args, cmd] {
    set_threads(args->threads);
    const auto options = resolve(*args, *cmd);
    const auto result = bench::run_attention_bench(options, [](const std::string& line) {
      std::cerr << "bench attention " << line << std::endl;
    });
    bench::write_bench_outputs(result, args->out, command_line());
    fmt::print("{}\n{}", bench::bench_table(result).markdown(), bench::bench_summary(result));
    fmt::print("wrote {0}.md, {0}.csv, {0}.json, {0}.png\n", args->out);
  });
}

}  // namespace setformer::cli

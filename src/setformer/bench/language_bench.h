// The text-training benchmark behind `setformer bench language`: sequences per second and peak
// memory of full training steps (forward, cross-entropy of the classification head, backward,
// gradient clipping, AdamW) of the text encoders that several language configurations describe,
// measured side by side at one sequence length. It answers the cost half of issue 7's
// comparison ("faster and in less memory than softmax at 4096 tokens") where a full training row
// of softmax does not fit the machine. Rows take turns round by round, so that the machine's
// drift affects them alike. Batches are random full-length token sequences (no padding): every
// kernel pays for every position, as in a row whose e-mails fill the length.
#pragma once

#include "setformer/bench/stats.h"
#include "setformer/io/table.h"
#include "setformer/tasks/language.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace setformer::bench {

struct LanguageBenchOptions {
  std::vector<std::string> rows;  // .toml language configurations (setformer train)
  int64_t length = 0;             // tokens per sequence; 0: each row's data.length
  int64_t batch = 0;              // sequences per step; 0: each row's data.batch_size
  int64_t steps = 2;              // timed steps per row and round
  int64_t rounds = 3;             // the median is over rounds
  int64_t warmup = 1;             // untimed steps per row before the first round
  int64_t threads = 0;            // 0: all available cores
  std::string device = "cpu";
  uint64_t seed = 0;
};

struct LanguageBenchRow {
  std::string name;    // the configuration file's stem
  std::string source;  // the file
  std::string kernel;
  int64_t length = 0, batch = 0, parameters = 0;
  double flops = 0;             // multiply-adds of the encoder's forward per sequence
  Spread sequences_per_second;  // over rounds
  double peak_mib = 0;          // largest step's allocations above the level it started at
  double loss = 0;              // the last step's loss, a sanity check that every row trains
};

struct LanguageBenchResult {
  LanguageBenchOptions options;
  std::vector<LanguageBenchRow> rows;
  int64_t threads = 0;  // CPU threads used
};

/// Runs the benchmark; `load_config` reads a .toml row into a configuration (the CLI's keys).
/// Throws naming the row or option on a bad value. `progress` receives one line per round.
LanguageBenchResult run_language_bench(
    const LanguageBenchOptions& options,
    const std::function<tasks::LanguageExperimentConfig(const std::string&)>& load_config,
    const std::function<void(const std::string&)>& progress);

/// Row, kernel, length, batch, parameters, GFLOPs, median/min/max sequences per second, peak
/// MiB, and time and memory relative to the first row.
io::Table language_bench_table(const LanguageBenchResult& result);

/// Writes <prefix>.md and <prefix>.json with `command`.
void write_language_bench_outputs(const LanguageBenchResult& result, const std::string& prefix,
                                  const std::string& command);

}  // namespace setformer::bench

// The training-throughput benchmark behind `setformer bench train`: images per second of full
// training steps (forward, label-smoothed cross-entropy, backward, gradient clipping, AdamW) of
// the image classifier a training configuration describes, for SeT's implementation paths side
// by side. Variants take turns round by round, so that the machine's drift affects them alike.
// Batches are random images of the configured size: data loading is not part of the figure.
#pragma once

#include "setformer/bench/stats.h"
#include "setformer/io/table.h"
#include "setformer/tasks/image_classification.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace setformer::bench {

/// Variant names: `fused` (the fused CPU paths, unrolled backward), `implicit` (the same with the
/// implicit backward) and `reference` (set.fused_sinkhorn = false: the composition).
const std::vector<std::string>& train_bench_variants();

struct TrainBenchOptions {
  std::vector<std::string> variants{"fused", "reference"};
  int64_t steps = 5;   // timed steps per variant and round
  int64_t rounds = 5;  // the median is over rounds
  int64_t warmup = 2;  // untimed steps per variant before the first round
};

struct TrainBenchRow {
  std::string variant;
  Spread images_per_second;  // over rounds
  double loss = 0;           // the last step's loss, a sanity check that the variants train alike
};

struct TrainBenchResult {
  TrainBenchOptions options;
  tasks::ImageClassifierConfig config;
  std::vector<TrainBenchRow> rows;
  int64_t threads = 0;           // CPU threads used
  std::string parallel = "ops";  // how they shared the work (run.parallel as applied)
};

/// Runs the benchmark on `config` (Fashion-MNIST image size and classes); throws naming the
/// option on a bad value. `progress` receives one line per round.
TrainBenchResult run_train_bench(const tasks::ImageClassifierConfig& config,
                                 const TrainBenchOptions& options,
                                 const std::function<void(const std::string&)>& progress);

/// Variant, median/min/max images per second, and the speed-up over `reference` when measured.
io::Table train_bench_table(const TrainBenchResult& result);

/// Writes <prefix>.md and <prefix>.json with `command`.
void write_train_bench_outputs(const TrainBenchResult& result, const std::string& prefix,
                               const std::string& command);

}  // namespace setformer::bench

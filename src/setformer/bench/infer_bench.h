// The inference-throughput benchmark behind `setformer bench infer`: images per second of the
// image classifiers that several rows describe, measured side by side. A row is a training
// configuration (.toml: the model it describes, freshly initialised) or a checkpoint (.pt: the
// trained model, EMA weights when it has them). Rows take turns round by round, so that the
// machine's drift affects them alike, and the median over rounds is reported. Inference is
// evaluation mode without gradients on a fixed batch of random images of the row's input size
// (model.image_size and data.channels: Fashion-MNIST's 1×28×28 unless the row says otherwise,
// e.g. 3×224×224 for configs/imagenet/), cut into one shard per core as `setformer eval` does;
// data loading is not part of the figure. Peak memory is the largest amount tensors held during
// a row's forward passes beyond what was held before them (CPU: core/memory.h's tracker).
//
// With a fixed number of Sinkhorn iterations the time does not depend on the weights, so a
// configuration row measures what its trained model would; with set.stop_tolerance > 0 it does,
// and only checkpoint rows measure the trained model's early stop.
#pragma once

#include "setformer/bench/stats.h"
#include "setformer/io/table.h"
#include "setformer/tasks/image_classification.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace setformer::bench {

struct InferBenchOptions {
  std::vector<std::string> rows;  // .toml configurations or .pt checkpoints
  int64_t batch = 500;            // images per forward pass (eval's data.eval_batch_size)
  int64_t batches = 4;            // timed forward passes per row and round
  int64_t rounds = 5;             // the median is over rounds
  int64_t warmup = 1;             // untimed forward passes per row before the first round
  int64_t threads = 0;            // 0: all available cores
  std::string parallel = "batch";
  std::string device = "cpu";
  double stop_tolerance = -1.0;  // >= 0 replaces every row's set.stop_tolerance
  uint64_t seed = 0;
};

struct InferBenchRow {
  std::string name;    // the checkpoint's run folder, or the configuration file's stem
  std::string source;  // the file
  bool trained = false;
  std::string kernel;
  int64_t parameters = 0;
  double flops = 0;            // per image
  Spread images_per_second;    // over rounds
  std::vector<int64_t> input;  // [C, H, W] of one image
  int64_t peak_bytes = 0;      // activations held at most during a pass (largest over rounds)
};

struct InferBenchResult {
  InferBenchOptions options;
  std::vector<InferBenchRow> rows;
  int64_t threads = 0;           // CPU threads used
  std::string parallel = "ops";  // how they shared the work (run.parallel as applied)
};

/// Runs the benchmark; `load_config` reads a .toml row into a configuration (the CLI's keys).
/// Throws naming the row or option on a bad value. `progress` receives one line per round.
InferBenchResult run_infer_bench(
    const InferBenchOptions& options,
    const std::function<tasks::ImageClassifierConfig(const std::string&)>& load_config,
    const std::function<void(const std::string&)>& progress);

/// Row, kernel, weights, parameters, FLOPs, median/min/max images per second, the ratio to the
/// first row, the input size and the peak memory.
io::Table infer_bench_table(const InferBenchResult& result);

/// Writes <prefix>.md and <prefix>.json with `command`.
void write_infer_bench_outputs(const InferBenchResult& result, const std::string& prefix,
                               const std::string& command);

}  // namespace setformer::bench

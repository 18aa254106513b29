// The attention scaling benchmark behind `setformer bench attention`: forward+backward time and
// peak memory of each kernel over a range of sequence lengths, medians of several repetitions,
// written as markdown/CSV/JSON tables and a log-log PNG plot, with the length from which SeT
// is faster than softmax.
#pragma once

#include "setformer/io/table.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace setformer::bench {

/// Kernel name of SeT with the log-domain reference Sinkhorn (set.fused_sinkhorn = false), so that
/// the benchmark can put both paths side by side.
inline constexpr const char* kSetReference = "set-reference";

/// attention::attention_kernels() and kSetReference.
const std::vector<std::string>& bench_kernels();

struct AttentionBenchOptions {
  std::vector<std::string> kernels{"softmax", "set"};
  std::vector<int64_t> lengths{256, 512, 1024, 2048, 4096, 8192, 16384};
  int64_t batch = 1;
  int64_t heads = 4;
  int64_t dim = 128;
  /// SeT: references m, Sinkhorn iterations T, ε.
  int64_t m = 64;
  int64_t iterations = 10;
  double epsilon = 0.1;
  int64_t repetitions = 5;
  int64_t warmup = 1;
  /// Runs whose peak memory, extrapolated from the two previous lengths, would exceed this are
  /// skipped and marked in the table. 0: three quarters of the memory available at start.
  double memory_budget_gb = 0.0;
  std::string device = "cpu";
  uint64_t seed = 0;
};

/// Throws naming the option when a value is out of range (lengths < 1, unknown kernel, ...).
void validate(const AttentionBenchOptions& options);

struct AttentionBenchRow {
  std::string kernel;
  int64_t n = 0;
  bool ran = false;
  std::string note;  // why it did not run
  double median_ms = 0, min_ms = 0, max_ms = 0;
  double peak_mib = 0;
  double marginal_error = -1;  // SeT's Sinkhorn report; -1 for other kernels
};

struct AttentionBenchResult {
  AttentionBenchOptions options;
  std::vector<AttentionBenchRow> rows;
  /// Smallest benchmarked n from which SeT is faster than softmax at every larger n (a length
  /// where softmax could not run counts as SeT faster); empty if never or not both measured.
  std::optional<int64_t> crossover;
  std::string device_description;
  int threads = 0;
  double memory_budget_gb = 0;
};

/// Runs the benchmark; `progress` receives one line per finished run.
AttentionBenchResult run_attention_bench(const AttentionBenchOptions& options,
                                         const std::function<void(const std::string&)>& progress);

/// n, then per kernel its median time and peak memory.
io::Table bench_table(const AttentionBenchResult& result);

/// Writes <prefix>.md, .csv, .json and .png; `command` is recorded in the markdown and JSON so
/// that every number can be reproduced.
void write_bench_outputs(const AttentionBenchResult& result, const std::string& prefix,
                         const std::string& command);

/// A human summary: crossover, SeT's growth from 4096 to 16384, where softmax stopped.
std::string bench_summary(const AttentionBenchResult& result);

}  // namespace setformer::bench

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

/// Benchmark-only kernel names beside attention::attention_kernels(), so that SeT's paths stand
/// side by side: the reference composition (set.fused_sinkhorn = false), the fused core with the
/// implicit backward, and the matrix products of a SeT layer alone (projections, similarity,
/// aggregation, redistribution and their gradients, as BLAS calls on ready-made operands): the
/// floor for any implementation of this algorithm.
inline constexpr const char* kSetReference = "set-reference";
inline constexpr const char* kSetImplicit = "set-implicit";
inline constexpr const char* kSetMatmuls = "set-matmuls";

/// attention::attention_kernels() and the benchmark-only SeT variants.
const std::vector<std::string>& bench_kernels();

struct AttentionBenchOptions {
  std::vector<std::string> kernels{"softmax", "set"};
  std::vector<int64_t> lengths{256, 512, 1024, 2048, 4096, 8192, 16384};
  int64_t batch = 1;
  int64_t heads = 4;
  int64_t dim = 128;
  /// m: SeT's references, and also Nyström's landmarks and ISAB's inducing points; SeT's
  /// Sinkhorn iterations T and ε.
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
  /// Optional: peak memory and time of the SeT variants at n = memory_length for each of these
  /// Sinkhorn iteration counts (does the backward's memory grow with T?).
  std::vector<int64_t> memory_iterations;
  int64_t memory_length = 4096;
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
  double gflops = 0;           // achieved GFLOP/s: forward+backward FLOPs / median time
  double marginal_error = -1;  // SeT's Sinkhorn report; -1 for other kernels
  int64_t iterations = 0;      // Sinkhorn T of the run
};

struct AttentionBenchResult {
  AttentionBenchOptions options;
  std::vector<AttentionBenchRow> rows;
  /// The memory_iterations sweep: one row per SeT variant and T.
  std::vector<AttentionBenchRow> iteration_rows;
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

/// n, then per kernel its median time, peak memory and achieved GFLOP/s.
io::Table bench_table(const AttentionBenchResult& result);

/// The memory_iterations sweep: T, then per SeT variant its peak memory and time.
io::Table iterations_table(const AttentionBenchResult& result);

/// Writes <prefix>.md, .csv, .json and .png; `command` is recorded in the markdown and JSON so
/// that every number can be reproduced.
void write_bench_outputs(const AttentionBenchResult& result, const std::string& prefix,
                         const std::string& command);

/// A human summary: crossover, SeT's growth from 4096 to 16384, where softmax stopped.
std::string bench_summary(const AttentionBenchResult& result);

}  // namespace setformer::bench

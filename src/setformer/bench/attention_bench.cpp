#include "setformer/bench/attention_bench.h"

#include "setformer/attention/attention.h"
#include "setformer/attention/set.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/core/runtime.h"
#include "setformer/io/plot.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>

namespace setformer::bench {

const std::vector<std::string>& bench_kernels() {
  static const std::vector<std::string> names = [] {
    auto all = attention::attention_kernels();
    all.push_back(kSetReference);
    return all;
  }();
  return names;
}

void validate(const AttentionBenchOptions& o) {
  SETFORMER_CHECK(!o.kernels.empty(), "bench attention: --kernels must name at least one kernel");
  for (const auto& k : o.kernels) {
    const auto& known = bench_kernels();
    SETFORMER_CHECK(std::find(known.begin(), known.end(), k) != known.end(),
                    "bench attention: unknown attention kernel '{}'; expected one of: {}", k,
                    fmt::join(known, ", "));
  }
  SETFORMER_CHECK(!o.lengths.empty(), "bench attention: --lengths must list at least one length");
  for (const auto n : o.lengths)
    SETFORMER_CHECK(n >= 1, "bench attention: length {} must be >= 1", n);
  SETFORMER_CHECK(o.batch >= 1, "bench attention: --batch must be >= 1, got {}", o.batch);
  SETFORMER_CHECK(o.repetitions >= 1, "bench attention: --reps must be >= 1, got {}",
                  o.repetitions);
  SETFORMER_CHECK(o.warmup >= 0, "bench attention: --warmup must be >= 0, got {}", o.warmup);
  SETFORMER_CHECK(o.memory_budget_gb >= 0, "bench attention: --memory-budget-gb must be >= 0");
  // Layer options are validated by the layer itself (dim, heads, m, T, ε).
  auto options = attention::AttentionOptions(o.dim, o.heads).kernel("set");
  options.set().num_references(o.m).iterations(o.iterations).epsilon(o.epsilon);
  make_attention(options);
}

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

attention::AttentionOptions layer_options(const AttentionBenchOptions& o,
                                          const std::string& kernel) {
  const bool reference = kernel == kSetReference;
  auto options = attention::AttentionOptions(o.dim, o.heads).kernel(reference ? "set" : kernel);
  options.set()
      .num_references(o.m)
      .iterations(o.iterations)
      .epsilon(o.epsilon)
      .fused_sinkhorn(!reference);
  return options;
}

/// Peak memory predicted for length n from the runs at the two previous lengths of the same
/// kernel, with the growth exponent they show (at least linear).
std::optional<double> predicted_peak_mib(const std::vector<AttentionBenchRow>& done, int64_t n) {
  std::vector<const AttentionBenchRow*> ran;
  for (const auto& r : done) {
    if (r.ran && r.peak_mib > 0) ran.push_back(&r);
  }
  if (ran.empty()) return std::nullopt;
  const auto* last = ran.back();
  double exponent = 1.0;
  if (ran.size() >= 2) {
    const auto* prev = ran[ran.size() - 2];
    exponent =
        std::max(1.0, std::log(last->peak_mib / prev->peak_mib) /
                          std::log(static_cast<double>(last->n) / static_cast<double>(prev->n)));
  }
  return last->peak_mib * std::pow(static_cast<double>(n) / static_cast<double>(last->n), exponent);
}

AttentionBenchRow measure(const AttentionBenchOptions& o, const std::string& kernel, int64_t n,
                          const torch::Device& device) {
  AttentionBenchRow row;
  row.kernel = kernel;
  row.n = n;
  torch::manual_seed(o.seed);
  auto attn = make_attention(layer_options(o, kernel));
  attn->to(device);
  attn->train();
  const auto x =
      torch::randn({o.batch, n, o.dim}, torch::TensorOptions(device)).requires_grad_(true);
  const auto grad_out = torch::randn({o.batch, n, o.dim}, torch::TensorOptions(device));
  std::vector<double> times, peaks;
  for (int64_t rep = 0; rep < o.warmup + o.repetitions; ++rep) {
    for (auto& p : attn->parameters()) p.mutable_grad() = torch::Tensor();
    x.mutable_grad() = torch::Tensor();
    synchronize(device);
    const int64_t base = current_memory_bytes(device);
    reset_peak_memory(device);
    const auto start = Clock::now();
    attn(x, x).backward(grad_out);
    synchronize(device);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (rep < o.warmup) continue;
    times.push_back(ms);
    peaks.push_back(static_cast<double>(peak_memory_bytes(device) - base) / (1024.0 * 1024.0));
  }
  row.ran = true;
  row.median_ms = median(times);
  row.min_ms = *std::min_element(times.begin(), times.end());
  row.max_ms = *std::max_element(times.begin(), times.end());
  row.peak_mib = median(peaks);
  if (auto* set = attn->as<attention::SetAttentionImpl>())
    row.marginal_error = set->last_sinkhorn().max_marginal_error;
  return row;
}

}  // namespace

AttentionBenchResult run_attention_bench(const AttentionBenchOptions& options,
                                         const std::function<void(const std::string&)>& progress) {
  validate(options);
  const torch::Device device = parse_device(options.device);
  if (device.is_cpu()) install_cpu_memory_tracker();
  AttentionBenchResult result;
  result.options = options;
  result.threads = torch::get_num_threads();
  result.device_description =
      device.is_cpu() ? fmt::format("cpu ({} threads)", result.threads) : device.str();
  result.memory_budget_gb =
      options.memory_budget_gb > 0
          ? options.memory_budget_gb
          : 0.75 * static_cast<double>(system_available_memory_bytes()) / (1 << 30);
  std::vector<int64_t> lengths = options.lengths;
  std::sort(lengths.begin(), lengths.end());
  const size_t total = lengths.size() * options.kernels.size();
  const auto started = Clock::now();
  for (const auto& kernel : options.kernels) {
    std::vector<AttentionBenchRow> done;
    for (const int64_t n : lengths) {
      AttentionBenchRow row;
      row.kernel = kernel;
      row.n = n;
      const auto predicted = predicted_peak_mib(done, n);
      const bool skipped_before = !done.empty() && !done.back().ran;
      if (skipped_before) {
        row.note = "skipped (memory)";
      } else if (predicted && *predicted / 1024.0 > result.memory_budget_gb) {
        row.note = fmt::format("skipped: needs ~{:.1f} GiB > budget {:.1f} GiB",
                               *predicted / 1024.0, result.memory_budget_gb);
      } else {
        try {
          row = measure(options, kernel, n, device);
        } catch (const c10::Error& e) {
          row.note = "failed: out of memory";
        } catch (const std::bad_alloc&) {
          row.note = "failed: out of memory";
        }
      }
      done.push_back(row);
      result.rows.push_back(row);
      const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
      progress(fmt::format(
          "[{:>2}/{}] {:<8} n={:<6} {}  (elapsed {:.0f} s)", result.rows.size(), total, kernel, n,
          row.ran ? fmt::format("median {:9.2f} ms  peak {:9.1f} MiB", row.median_ms, row.peak_mib)
                  : row.note,
          elapsed));
    }
  }
  // Crossover: the smallest n from which SeT beats softmax at every larger length.
  const auto find = [&](const std::string& k, int64_t n) -> const AttentionBenchRow* {
    for (const auto& r : result.rows) {
      if (r.kernel == k && r.n == n) return &r;
    }
    return nullptr;
  };
  if (find("set", lengths.front()) && find("softmax", lengths.front())) {
    for (auto it = lengths.rbegin(); it != lengths.rend(); ++it) {
      const auto* s = find("set", *it);
      const auto* f = find("softmax", *it);
      const bool set_faster = s->ran && (!f->ran || s->median_ms < f->median_ms);
      if (!set_faster) break;
      result.crossover = *it;
    }
  }
  return result;
}

io::Table bench_table(const AttentionBenchResult& result) {
  io::Table table;
  table.columns.push_back("n");
  for (const auto& k : result.options.kernels) {
    table.columns.push_back(k + " ms");
    table.columns.push_back(k + " MiB");
  }
  std::vector<int64_t> lengths = result.options.lengths;
  std::sort(lengths.begin(), lengths.end());
  for (const int64_t n : lengths) {
    std::vector<std::string> cells{std::to_string(n)};
    for (const auto& k : result.options.kernels) {
      for (const auto& r : result.rows) {
        if (r.kernel != k || r.n != n) continue;
        cells.push_back(r.ran ? fmt::format("{:.2f}", r.median_ms) : r.note);
        cells.push_back(r.ran ? fmt::format("{:.1f}", r.peak_mib) : "-");
      }
    }
    table.add(cells);
  }
  return table;
}

std::string bench_summary(const AttentionBenchResult& result) {
  std::string s;
  if (result.crossover) {
    s += fmt::format("SeT is faster than softmax from n = {} on (every longer length measured).\n",
                     *result.crossover);
  } else {
    s += "SeT is not faster than softmax at the longest lengths measured (or one of them was not "
         "run).\n";
  }
  double t4 = 0, t16 = 0, ref4 = 0, ref_peak4 = 0, peak4 = 0;
  for (const auto& r : result.rows) {
    if (r.kernel == "set" && r.ran && r.n == 4096) t4 = r.median_ms, peak4 = r.peak_mib;
    if (r.kernel == "set" && r.ran && r.n == 16384) t16 = r.median_ms;
    if (r.kernel == kSetReference && r.ran && r.n == 4096)
      ref4 = r.median_ms, ref_peak4 = r.peak_mib;
  }
  if (t4 > 0 && ref4 > 0) {
    s += fmt::format(
        "At n = 4096 the fused Sinkhorn path is {:.2f}x faster than the reference composition "
        "and uses {:.2f}x less peak memory.\n",
        ref4 / t4, ref_peak4 / peak4);
  }
  if (t4 > 0 && t16 > 0) {
    s += fmt::format("SeT time at n = 16384 is {:.2f}x its time at n = 4096 (linear growth: 4x).\n",
                     t16 / t4);
  }
  for (const auto& r : result.rows) {
    if (!r.ran) s += fmt::format("{} at n = {}: {}\n", r.kernel, r.n, r.note);
  }
  return s;
}

void write_bench_outputs(const AttentionBenchResult& result, const std::string& prefix,
                         const std::string& command) {
  const auto& o = result.options;
  const std::string setup = fmt::format(
      "batch {}, heads {}, d = {} (d_h = {}), SeT m = {}, T = {}, ε = {}; forward+backward, median "
      "of {} "
      "repetitions after {} warm-up; device {}; peak memory = tensor bytes allocated during the "
      "step",
      o.batch, o.heads, o.dim, o.dim / o.heads, o.m, o.iterations, o.epsilon, o.repetitions,
      o.warmup, result.device_description);
  const io::Table table = bench_table(result);
  write_file_atomic(prefix + ".md", fmt::format("Command: `{}`\n\n{}.\n\n{}\n{}", command, setup,
                                                table.markdown(), bench_summary(result)));
  write_file_atomic(prefix + ".csv", table.csv());

  nlohmann::json j;
  j["command"] = command;
  j["device"] = result.device_description;
  j["threads"] = result.threads;
  j["memory_budget_gb"] = result.memory_budget_gb;
  j["config"] = {
      {"kernels", o.kernels},       {"lengths", o.lengths}, {"batch", o.batch},
      {"heads", o.heads},           {"dim", o.dim},         {"m", o.m},
      {"iterations", o.iterations}, {"epsilon", o.epsilon}, {"repetitions", o.repetitions},
      {"warmup", o.warmup},         {"seed", o.seed}};
  j["crossover_n"] = result.crossover ? nlohmann::json(*result.crossover) : nlohmann::json(nullptr);
  for (const auto& r : result.rows) {
    nlohmann::json row = {{"kernel", r.kernel}, {"n", r.n}, {"ran", r.ran}};
    if (r.ran) {
      row["median_ms"] = r.median_ms;
      row["min_ms"] = r.min_ms;
      row["max_ms"] = r.max_ms;
      row["peak_mib"] = r.peak_mib;
      if (r.marginal_error >= 0) row["sinkhorn_max_marginal_error"] = r.marginal_error;
    } else {
      row["note"] = r.note;
    }
    j["rows"].push_back(row);
  }
  write_file_atomic(prefix + ".json", j.dump(2) + "\n");

  std::vector<io::Series> time, memory;
  for (const auto& k : o.kernels) {
    io::Series t, mem;
    t.label = mem.label = k;
    for (const auto& r : result.rows) {
      if (r.kernel != k) continue;
      t.x.push_back(static_cast<double>(r.n));
      mem.x.push_back(static_cast<double>(r.n));
      t.y.push_back(r.ran ? r.median_ms : NAN);
      mem.y.push_back(r.ran ? r.peak_mib : NAN);
    }
    time.push_back(t);
    memory.push_back(mem);
  }
  io::Image image(1600, 700);
  const std::string sub =
      fmt::format("B={} H={} d={} m={} T={}", o.batch, o.heads, o.dim, o.m, o.iterations);
  draw_line_chart(
      image, 0, 10, 800, 680,
      {"forward+backward time (" + sub + ")", "sequence length n", "median ms", true, true, true},
      time);
  draw_line_chart(image, 800, 10, 800, 680,
                  {"peak memory (" + result.device_description + ")", "sequence length n", "MiB",
                   true, true, true},
                  memory);
  image.save_png(prefix + ".png");
}

}  // namespace setformer::bench

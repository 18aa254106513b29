#include "setformer/bench/attention_bench.h"

#include "setformer/bench/stats.h"

#include "setformer/attention/attention.h"
#include "setformer/attention/set.h"
#include "setformer/core/batched_matmul.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/core/runtime.h"
#include "setformer/io/plot.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>

namespace setformer::bench {

const std::vector<std::string>& bench_kernels() {
  static const std::vector<std::string> names = [] {
    auto all = attention::attention_kernels();
    all.insert(all.end(), {kSetReference, kSetImplicit, kSetMatmuls});
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
  for (const auto t : o.memory_iterations)
    SETFORMER_CHECK(t >= 1, "bench attention: memory_iterations entry {} must be >= 1", t);
  SETFORMER_CHECK(o.memory_length >= 1, "bench attention: memory_length must be >= 1, got {}",
                  o.memory_length);
  // Layer options are validated by the layer itself (dim, heads, m, T, ε).
  auto options = attention::AttentionOptions(o.dim, o.heads).kernel("set");
  options.set().num_references(o.m).iterations(o.iterations).epsilon(o.epsilon);
  make_attention(options);
}

namespace {

using Clock = std::chrono::steady_clock;

bool is_set_variant(const std::string& kernel) {
  return kernel == "set" || kernel == kSetReference || kernel == kSetImplicit ||
         kernel == kSetMatmuls;
}

attention::AttentionOptions layer_options(const AttentionBenchOptions& o, const std::string& kernel,
                                          int64_t iterations) {
  auto options =
      attention::AttentionOptions(o.dim, o.heads).kernel(is_set_variant(kernel) ? "set" : kernel);
  options.set()
      .num_references(o.m)
      .iterations(iterations)
      .epsilon(o.epsilon)
      .fused_sinkhorn(kernel != kSetReference)
      .sinkhorn_backward(kernel == kSetImplicit ? attention::SinkhornBackward::implicit
                                                : attention::SinkhornBackward::unrolled);
  // m is the size of every kernel's summary: references, landmarks, inducing points.
  options.nystrom().landmarks(o.m);
  options.inducing().points(o.m);
  return options;
}

/// Multiply-adds of the products that set-matmuls runs for one forward+backward step: nine
/// [B·n, d]×[d, d] products (three projections, their input and weight gradients) and nine
/// [n, d_h]/[n, m] products per plan (similarity, aggregation, redistribution, two gradients
/// each).
double matmul_floor_macs(const AttentionBenchOptions& o, int64_t n) {
  const double rows = static_cast<double>(o.batch * n), d = static_cast<double>(o.dim);
  const double plans = static_cast<double>(o.batch * o.heads);
  const double dh = static_cast<double>(o.dim / o.heads), m = static_cast<double>(o.m);
  return 9.0 * rows * d * d + 9.0 * plans * static_cast<double>(n) * m * dh;
}

/// One forward+backward step's matrix products of a SeT layer, and nothing else: the operands
/// (including a plan P) are made beforehand, heads are contiguous, no autograd.
struct MatmulFloor {
  torch::Tensor x, wq, wv, wo, z, plan, grad_out, grad_c;

  MatmulFloor(const AttentionBenchOptions& o, int64_t n, const torch::Device& device) {
    const auto opts = torch::TensorOptions(device);
    const int64_t rows = o.batch * n, plans = o.batch * o.heads, dh = o.dim / o.heads;
    x = torch::randn({rows, o.dim}, opts);
    wq = torch::randn({o.dim, o.dim}, opts);
    wv = torch::randn({o.dim, o.dim}, opts);
    wo = torch::randn({o.dim, o.dim}, opts);
    z = torch::randn({plans, o.m, dh}, opts);
    plan = torch::rand({plans, n, o.m}, opts);
    grad_out = torch::randn({rows, o.dim}, opts);
    grad_c = torch::randn({plans, n, o.m}, opts);
  }

  void step(int64_t plans, int64_t n, int64_t dh) const {
    torch::NoGradGuard no_grad;
    const auto heads = [&](const torch::Tensor& t) { return t.view({plans, n, dh}); };
    const auto pt = plan.transpose(1, 2);
    // Forward: projections, similarity, aggregation, redistribution, output projection.
    const auto q = torch::mm(x, wq.t()), v = torch::mm(x, wv.t());
    const auto c = batched_matmul(heads(q), z.transpose(1, 2));
    const auto cells = batched_matmul(pt, heads(v));
    const auto y = batched_matmul(plan, cells);
    const auto out = torch::mm(y.view({-1, wo.size(0)}), wo.t());
    // Backward: two products per forward product.
    const auto grad_y = heads(torch::mm(grad_out, wo));
    const auto grad_wo = torch::mm(grad_out.t(), y.view({-1, wo.size(0)}));
    const auto grad_cells = batched_matmul(pt, grad_y);
    const auto grad_plan = batched_matmul(grad_y, cells.transpose(1, 2));
    const auto grad_plan2 = batched_matmul(heads(v), grad_cells.transpose(1, 2));
    const auto grad_v = batched_matmul(plan, grad_cells).view_as(x);
    const auto grad_q = batched_matmul(grad_c, z).view_as(x);
    const auto grad_z = batched_matmul(grad_c.transpose(1, 2), heads(q));
    const auto grad_x = torch::mm(grad_q, wq) + torch::mm(grad_v, wv);
    const auto grad_wq = torch::mm(grad_q.t(), x), grad_wv = torch::mm(grad_v.t(), x);
    (void)c, (void)out, (void)grad_wo, (void)grad_plan, (void)grad_plan2, (void)grad_z;
    (void)grad_x, (void)grad_wq, (void)grad_wv;
  }
};

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

/// One kernel at one length, measured one repetition at a time so that the kernels of a length
/// can take turns (the machine's drift then affects them alike).
class Runner {
 public:
  Runner(const AttentionBenchOptions& o, const std::string& kernel, int64_t n,
         const torch::Device& device, int64_t iterations)
      : o_(o), device_(device), n_(n) {
    row_.kernel = kernel;
    row_.n = n;
    row_.iterations = iterations;
    torch::manual_seed(o.seed);
    attn_ = make_attention(layer_options(o, kernel, iterations));
    attn_->to(device);
    attn_->train();
    const auto opts = torch::TensorOptions(device);
    x_ = torch::randn({o.batch, n, o.dim}, opts).requires_grad_(true);
    grad_out_ = torch::randn({o.batch, n, o.dim}, opts);
    if (kernel == kSetMatmuls) floor_.emplace(o, n, device);
    // FLOPs = 2 per multiply-add; a layer's backward costs about twice its forward.
    flops_ = floor_ ? 2.0 * matmul_floor_macs(o, n)
                    : 2.0 * 3.0 * static_cast<double>(o.batch) * attn_->flops(n, n);
  }

  /// One forward+backward step; `timed` false for warm-up.
  void repetition(bool timed) {
    for (auto& p : attn_->parameters()) p.mutable_grad() = torch::Tensor();
    x_.mutable_grad() = torch::Tensor();
    synchronize(device_);
    const int64_t base = current_memory_bytes(device_);
    reset_peak_memory(device_);
    const auto start = Clock::now();
    if (floor_) {
      floor_->step(o_.batch * o_.heads, n_, o_.dim / o_.heads);
    } else {
      attn_(x_, x_).backward(grad_out_);
    }
    synchronize(device_);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!timed) return;
    times_.push_back(ms);
    peaks_.push_back(static_cast<double>(peak_memory_bytes(device_) - base) / (1024.0 * 1024.0));
  }

  AttentionBenchRow row() const {
    AttentionBenchRow r = row_;
    r.ran = true;
    const auto times = spread(times_);
    r.median_ms = times.median;
    r.min_ms = times.min;
    r.max_ms = times.max;
    r.peak_mib = median(peaks_);
    r.gflops = flops_ / (r.median_ms * 1e6);
    if (auto* set = attn_->as<attention::SetAttentionImpl>(); set && !floor_)
      r.marginal_error = set->last_sinkhorn().max_marginal_error;
    return r;
  }

 private:
  const AttentionBenchOptions& o_;
  torch::Device device_;
  int64_t n_;
  AttentionBenchRow row_;
  attention::Attention attn_{nullptr};
  torch::Tensor x_, grad_out_;
  std::optional<MatmulFloor> floor_;
  double flops_ = 0;
  std::vector<double> times_, peaks_;
};

/// Measures `jobs` (kernel, T) at length n, repetitions interleaved across them. A job that runs
/// out of memory is marked failed; the others go on.
std::vector<AttentionBenchRow> measure_interleaved(
    const AttentionBenchOptions& o, const std::vector<std::pair<std::string, int64_t>>& jobs,
    int64_t n, const torch::Device& device) {
  std::vector<AttentionBenchRow> rows(jobs.size());
  std::vector<std::unique_ptr<Runner>> runners(jobs.size());
  const auto guarded = [&](size_t i, const std::function<void()>& f) {
    if (!rows[i].note.empty()) return;
    try {
      f();
    } catch (const c10::Error&) {
      rows[i].note = "failed: out of memory";
    } catch (const std::bad_alloc&) {
      rows[i].note = "failed: out of memory";
    }
    if (!rows[i].note.empty()) runners[i].reset();
  };
  for (size_t i = 0; i < jobs.size(); ++i) {
    rows[i].kernel = jobs[i].first;
    rows[i].n = n;
    rows[i].iterations = jobs[i].second;
    guarded(i, [&] {
      runners[i] = std::make_unique<Runner>(o, jobs[i].first, n, device, jobs[i].second);
    });
  }
  for (int64_t rep = 0; rep < o.warmup + o.repetitions; ++rep)
    for (size_t i = 0; i < jobs.size(); ++i)
      guarded(i, [&] { runners[i]->repetition(rep >= o.warmup); });
  for (size_t i = 0; i < jobs.size(); ++i)
    if (runners[i]) rows[i] = runners[i]->row();
  return rows;
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
      device.is_cpu() ? fmt::format("cpu ({})", counted(result.threads, "thread")) : device.str();
  result.memory_budget_gb =
      options.memory_budget_gb > 0
          ? options.memory_budget_gb
          : 0.75 * static_cast<double>(system_available_memory_bytes()) / (1 << 30);
  std::vector<int64_t> lengths = options.lengths;
  std::sort(lengths.begin(), lengths.end());
  const auto started = Clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(Clock::now() - started).count();
  };
  const auto report = [&](const AttentionBenchRow& row, const std::string& prefix) {
    progress(fmt::format(
        "{} {:<13} n={:<6} {}  (elapsed {:.0f} s)", prefix, row.kernel, row.n,
        row.ran ? fmt::format("median {:9.2f} ms  peak {:9.1f} MiB", row.median_ms, row.peak_mib)
                : row.note,
        elapsed()));
  };
  std::map<std::string, std::vector<AttentionBenchRow>> done;  // per kernel, by length
  for (size_t l = 0; l < lengths.size(); ++l) {
    const int64_t n = lengths[l];
    std::vector<std::pair<std::string, int64_t>> jobs;
    std::vector<AttentionBenchRow> skipped;
    for (const auto& kernel : options.kernels) {
      const auto& previous = done[kernel];
      const auto predicted = predicted_peak_mib(previous, n);
      AttentionBenchRow row;
      row.kernel = kernel;
      row.n = n;
      if (!previous.empty() && !previous.back().ran) {
        row.note = "skipped (memory)";
      } else if (predicted && *predicted / 1024.0 > result.memory_budget_gb) {
        row.note = fmt::format("skipped: needs ~{:.1f} GiB > budget {:.1f} GiB",
                               *predicted / 1024.0, result.memory_budget_gb);
      } else {
        jobs.emplace_back(kernel, options.iterations);
        continue;
      }
      skipped.push_back(row);
    }
    auto rows = measure_interleaved(options, jobs, n, device);
    rows.insert(rows.end(), skipped.begin(), skipped.end());
    for (const auto& kernel : options.kernels) {  // in the configured order
      for (const auto& row : rows) {
        if (row.kernel != kernel) continue;
        done[kernel].push_back(row);
        result.rows.push_back(row);
        report(row, fmt::format("[n {}/{}]", l + 1, lengths.size()));
      }
    }
  }
  for (const int64_t t : options.memory_iterations) {
    std::vector<std::pair<std::string, int64_t>> jobs;
    for (const auto& kernel : options.kernels)
      if (is_set_variant(kernel) && kernel != kSetMatmuls) jobs.emplace_back(kernel, t);
    for (const auto& row : measure_interleaved(options, jobs, options.memory_length, device)) {
      result.iteration_rows.push_back(row);
      report(row, fmt::format("[T = {}]", t));
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
    table.columns.push_back(k + " GFLOP/s");
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
        cells.push_back(r.ran ? fmt::format("{:.1f}", r.gflops) : "-");
      }
    }
    table.add(cells);
  }
  return table;
}

io::Table iterations_table(const AttentionBenchResult& result) {
  io::Table table;
  table.columns.push_back("T");
  std::vector<std::string> kernels;
  for (const auto& r : result.iteration_rows)
    if (std::find(kernels.begin(), kernels.end(), r.kernel) == kernels.end())
      kernels.push_back(r.kernel);
  for (const auto& k : kernels) {
    table.columns.push_back(k + " MiB");
    table.columns.push_back(k + " ms");
  }
  for (const int64_t t : result.options.memory_iterations) {
    std::vector<std::string> cells{std::to_string(t)};
    for (const auto& k : kernels) {
      for (const auto& r : result.iteration_rows) {
        if (r.kernel != k || r.iterations != t) continue;
        cells.push_back(fmt::format("{:.1f}", r.peak_mib));
        cells.push_back(fmt::format("{:.2f}", r.median_ms));
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
  const auto at = [&](const std::string& kernel, int64_t n) -> const AttentionBenchRow* {
    for (const auto& r : result.rows)
      if (r.kernel == kernel && r.n == n && r.ran) return &r;
    return nullptr;
  };
  const auto* set4 = at("set", 4096);
  const auto* ref4 = at(kSetReference, 4096);
  const auto* floor4 = at(kSetMatmuls, 4096);
  for (const auto* fast : {set4, at(kSetImplicit, 4096)}) {
    if (!fast || !ref4) continue;
    s += fmt::format(
        "At n = 4096 {} (fused core) is {:.2f}x faster than the reference composition and uses "
        "{:.2f}x less peak memory.\n",
        fast->kernel, ref4->median_ms / fast->median_ms, ref4->peak_mib / fast->peak_mib);
  }
  if (set4 && floor4) {
    s += fmt::format(
        "At n = 4096 set takes {:.2f}x the time of its matrix products alone (set-matmuls).\n",
        set4->median_ms / floor4->median_ms);
  }
  const double t4 = set4 ? set4->median_ms : 0.0;
  const double t16 = at("set", 16384) ? at("set", 16384)->median_ms : 0.0;
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
  std::string sweep;
  if (!result.iteration_rows.empty()) {
    sweep = fmt::format(
        "\nPeak memory and time against the Sinkhorn iterations T at n = {} (same setup):\n\n{}",
        o.memory_length, iterations_table(result).markdown());
  }
  write_file_atomic(prefix + ".md",
                    fmt::format("Command: `{}`\n\n{}. GFLOP/s = forward+backward FLOPs (2 per "
                                "multiply-add; backward counted as twice the forward) / median "
                                "time.\n\n{}\n{}{}",
                                command, setup, table.markdown(), bench_summary(result), sweep));
  write_file_atomic(prefix + ".csv", table.csv());

  nlohmann::json j;
  j["command"] = command;
  j["device"] = result.device_description;
  j["threads"] = result.threads;
  j["memory_budget_gb"] = result.memory_budget_gb;
  j["config"] = {{"kernels", o.kernels},
                 {"lengths", o.lengths},
                 {"batch", o.batch},
                 {"heads", o.heads},
                 {"dim", o.dim},
                 {"m", o.m},
                 {"iterations", o.iterations},
                 {"epsilon", o.epsilon},
                 {"repetitions", o.repetitions},
                 {"warmup", o.warmup},
                 {"seed", o.seed},
                 {"memory_iterations", o.memory_iterations},
                 {"memory_length", o.memory_length}};
  j["crossover_n"] = result.crossover ? nlohmann::json(*result.crossover) : nlohmann::json(nullptr);
  for (const auto& r : result.rows) {
    nlohmann::json row = {{"kernel", r.kernel}, {"n", r.n}, {"ran", r.ran}};
    if (r.ran) {
      row["median_ms"] = r.median_ms;
      row["min_ms"] = r.min_ms;
      row["max_ms"] = r.max_ms;
      row["peak_mib"] = r.peak_mib;
      row["gflops"] = r.gflops;
      if (r.marginal_error >= 0) row["sinkhorn_max_marginal_error"] = r.marginal_error;
    } else {
      row["note"] = r.note;
    }
    j["rows"].push_back(row);
  }
  for (const auto& r : result.iteration_rows) {
    j["iteration_rows"].push_back({{"kernel", r.kernel},
                                   {"n", r.n},
                                   {"iterations", r.iterations},
                                   {"median_ms", r.median_ms},
                                   {"peak_mib", r.peak_mib}});
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

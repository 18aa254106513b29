// Google Benchmark micro-benchmarks of the attention core: Sinkhorn alone, and each kernel's
// forward and forward+backward at a few lengths. Every benchmark checks its result before
// timing. Run a Release build: build/setformer_benchmarks --benchmark_filter=... (the scaling
// table and plot come from `setformer bench attention`).
#include "setformer/attention/attention.h"
#include "setformer/attention/sinkhorn.h"
#include "setformer/core/runtime.h"

#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

using namespace setformer::attention;

constexpr int64_t kBatch = 1, kHeads = 4, kDim = 128, kRefs = 64, kIters = 10;

AttentionOptions options(const std::string& kernel) {
  auto o = AttentionOptions(kDim, kHeads).kernel(kernel);
  o.set().num_references(kRefs).iterations(kIters);
  return o;
}

void BM_Sinkhorn(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto scores = torch::rand({kBatch, kHeads, n, kRefs}) / 0.1f;
  const auto check = sinkhorn(scores, {}, {}, SinkhornOptions().iterations(kIters)).plan;
  if (!torch::isfinite(check).all().item<bool>() ||
      (check.sum(-2) * kRefs - 1).abs().max().item<float>() > 1e-4f) {
    state.SkipWithError("Sinkhorn plan is not finite or misses its column marginals");
    return;
  }
  torch::NoGradGuard no_grad;
  for (auto _ : state)
    benchmark::DoNotOptimize(sinkhorn(scores, {}, {}, SinkhornOptions().iterations(kIters)).plan);
  state.SetItemsProcessed(state.iterations() * kBatch * kHeads * n * kRefs * kIters);
}

void attention_bench(benchmark::State& state, const std::string& kernel, bool backward) {
  const int64_t n = state.range(0);
  torch::manual_seed(0);
  auto attn = make_attention(options(kernel));
  const auto x = torch::randn({kBatch, n, kDim}).requires_grad_(backward);
  const auto y = attn(x, x);
  if (!torch::isfinite(y).all().item<bool>()) {
    state.SkipWithError("attention output is not finite");
    return;
  }
  const auto grad = torch::randn_like(y);
  for (auto _ : state) {
    if (backward) {
      attn(x, x).backward(grad);
    } else {
      torch::NoGradGuard no_grad;
      benchmark::DoNotOptimize(attn(x, x));
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch * n);  // tokens/s
}

void BM_SoftmaxForward(benchmark::State& s) {
  attention_bench(s, "softmax", false);
}
void BM_SetForward(benchmark::State& s) {
  attention_bench(s, "set", false);
}
void BM_SoftmaxForwardBackward(benchmark::State& s) {
  attention_bench(s, "softmax", true);
}
void BM_SetForwardBackward(benchmark::State& s) {
  attention_bench(s, "set", true);
}

BENCHMARK(BM_Sinkhorn)
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SoftmaxForward)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SetForward)
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SoftmaxForwardBackward)
    ->Arg(1024)
    ->Arg(4096)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SetForwardBackward)
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  setformer::select_blas_kernels(argv);
  setformer::set_threads(0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

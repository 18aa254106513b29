// Google Benchmark of the scene generators at the batch sizes of the slots configs. Training draws
// each batch on the training thread before its step, so this time is part of every step: compare
// it with the step time in a run's train.log (e.g. 64 CLEVR images at 140 img/s: 457 ms a step).
//   build/setformer_benchmarks --benchmark_filter=SceneBatch
#include "setformer/data/object_scenes.h"

#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

using namespace setformer::data;

void scene_bench(benchmark::State& state, SceneOptions options) {
  const int64_t batch = state.range(0);
  const auto check = scene_batch(options, 0, 0, batch);
  if (check.images.size(0) != batch || check.counts.min().item<int64_t>() < 1) {
    state.SkipWithError("scene batch has the wrong size or an empty scene");
    return;
  }
  int64_t first = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(scene_batch(options, 0, first, batch).images);
    first += batch;  // new scenes each round, as training draws them
  }
  state.SetItemsProcessed(state.iterations() * batch);  // images/s
}

void BM_SceneBatchTetrominoes(benchmark::State& state) {
  scene_bench(state, SceneOptions(SceneKind::tetrominoes));
}
void BM_SceneBatchMultiDsprites(benchmark::State& state) {
  scene_bench(state, SceneOptions(SceneKind::multi_dsprites));
}
void BM_SceneBatchClevr10(benchmark::State& state) {
  scene_bench(state, SceneOptions(SceneKind::clevr).max_objects(10));
}

BENCHMARK(BM_SceneBatchTetrominoes)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SceneBatchMultiDsprites)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SceneBatchClevr10)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

// Google Benchmarks of the Slot Attention experiments (build/setformer_benchmarks
// --benchmark_filter='SlotStep|SceneBatch'):
// - one training step (forward and backward) of the paper's models at the slots configs' shapes,
//   with the encoder convolving NCHW images (Arg 0) or channels-last ones (Arg 1, the default;
//   SlotEncoderOptions::channels_last);
// - the scene generators at the configs' batch sizes. Training draws each batch on the training
//   thread before its step, so this time is part of every step.
#include "setformer/data/object_scenes.h"
#include "setformer/models/slot_models.h"

#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

using namespace setformer::data;
using namespace setformer::models;

template <typename Model, typename Loss>
void step_bench(benchmark::State& state, Model model, int64_t batch, int64_t size, Loss loss) {
  torch::manual_seed(0);
  const auto images = torch::rand({batch, 3, size, size}) * 2 - 1;
  const torch::Tensor first = loss(model, images);
  if (!torch::isfinite(first).template item<bool>()) {
    state.SkipWithError("loss is not finite");
    return;
  }
  for (auto _ : state) {
    model->zero_grad();
    loss(model, images).backward();
  }
  state.SetItemsProcessed(state.iterations() * batch);  // images/s
}

/// CLEVR property prediction (configs/slots/clevr_properties): 64 images of 64×64, 10 slots.
void BM_SlotStepSetPrediction(benchmark::State& state) {
  auto options = SetPredictionOptions();
  options.encoder().channels_last(state.range(0) == 1);
  step_bench(state, SetPrediction(options), 64, 64,
             [](SetPrediction& m, const torch::Tensor& x) { return m->forward(x).mean(); });
}

/// Tetrominoes object discovery (configs/slots/tetrominoes): 32 images of 35×35, 4 slots.
void BM_SlotStepObjectDiscovery(benchmark::State& state) {
  auto options = ObjectDiscoveryOptions();
  options.encoder().channels_last(state.range(0) == 1);
  options.encoder().slots().num_slots(4).slot_dim(64);
  step_bench(state, ObjectDiscovery(options), 32, 35,
             [](ObjectDiscovery& m, const torch::Tensor& x) {
               return (m->forward(x).reconstruction - x).pow(2).mean();
             });
}

BENCHMARK(BM_SlotStepSetPrediction)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SlotStepObjectDiscovery)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

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

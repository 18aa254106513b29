// Google Benchmark of one training step (forward and backward) of the Slot Attention paper's
// models at the slots configs' shapes, with the encoder convolving NCHW images (Arg 0) or
// channels-last ones (Arg 1, the default; SlotEncoderOptions::channels_last):
//   build/setformer_benchmarks --benchmark_filter=SlotStep
#include "setformer/models/slot_models.h"

#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

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

}  // namespace

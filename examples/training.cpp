// A model of the library trained by the library's Trainer, as a C++ user would on data of their
// own: a small SeTformer backbone learns which quadrant of a 16×16 image holds a bright square,
// with AdamW, warm-up and cosine decay, checkpoints and a progress line; the checkpoint then
// rebuilds the model for inference. docs/library.md quotes this file, and CTest builds and runs it
// (examples.training), checking the accuracy it prints.
#include "setformer/models/setformer.h"
#include "setformer/train/checkpoint.h"
#include "setformer/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

using namespace setformer;

namespace {

/// Batch `index` of the task, a pure function of (seed, index) so that a resumed run sees the
/// same data: images [B, 1, 16, 16] with a bright 4×4 square in quadrant `label` [B].
std::pair<torch::Tensor, torch::Tensor> quadrant_batch(int64_t batch, uint64_t seed,
                                                       int64_t index) {
  auto generator = at::detail::createCPUGenerator(seed * 1000003 + static_cast<uint64_t>(index));
  const auto labels = torch::randint(4, {batch}, generator, torch::kLong);
  auto images = 0.1 * torch::randn({batch, 1, 16, 16}, generator);
  const auto offsets = torch::randint(5, {batch, 2}, generator, torch::kLong);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t q = labels[b].item<int64_t>();
    const int64_t row = (q / 2) * 8 + offsets[b][0].item<int64_t>();
    const int64_t col = (q % 2) * 8 + offsets[b][1].item<int64_t>();
    images[b][0].slice(0, row, row + 4).slice(1, col, col + 4) += 1.0;
  }
  return {images, labels};
}

}  // namespace

int main() {
  torch::manual_seed(0);
  const std::string out = (std::filesystem::temp_directory_path() / "setformer-example").string();
  std::filesystem::remove_all(out);

  // A two-stage SeTformer for 16×16 grey images: SeT attention with 2-D LPE on 4×4 and 2×2
  // token grids.
  const auto options = models::SeTformerOptions()
                           .name("quadrants")
                           .in_channels(1)
                           .image_size(16)
                           .classes(4)
                           .stages({models::StageOptions().depth(1).dim(16).heads(2).references(4),
                                    models::StageOptions().depth(1).dim(32).heads(2).references(2)})
                           .drop_path(0.0);
  models::SeTformer model(options);

  // The Trainer owns the optimiser, the schedule, checkpoints and the log; the task gives it a
  // step (the loss of batch s) and an evaluation.
  const int64_t steps = 150;
  train::Trainer trainer(*model, train::TrainerOptions()
                                     .out_dir(out)
                                     .model_name(options.name())
                                     .total_steps(steps)
                                     .steps_per_epoch(steps)
                                     .optim(train::OptimOptions().lr(3e-3).warmup_steps(5))
                                     .log_every(20)
                                     .unit("img"));
  const auto step = [&](int64_t s) {
    const auto [images, labels] = quadrant_batch(32, /*seed=*/1, s);
    const auto logits = model(images);
    train::StepOutput output;
    output.loss = torch::nn::functional::cross_entropy(logits, labels);
    output.correct = (logits.argmax(1) == labels).sum();
    output.count = labels.size(0);
    return output;
  };
  const auto [test_images, test_labels] = quadrant_batch(256, /*seed=*/2, 0);
  const auto evaluate = [&] {
    torch::NoGradGuard no_grad;
    const double accuracy =
        (model(test_images).argmax(1) == test_labels).to(torch::kDouble).mean().item<double>();
    return nlohmann::json{{"test_accuracy", accuracy}};
  };
  const auto summary =
      trainer.run(step, evaluate, [](const std::string& line) { std::cerr << line << std::endl; });
  fmt::print("trained {} steps: test accuracy {:.3f}\n", summary.steps_done,
             summary.final_eval["test_accuracy"].get<double>());

  // The checkpoint rebuilds the model for inference; loading checks every tensor's name and shape.
  models::SeTformer restored(options);
  train::load_checkpoint(trainer.checkpoint_path(), options.name(), *restored);
  restored->eval();
  torch::NoGradGuard no_grad;
  const bool same = torch::equal(restored(test_images).argmax(1), model(test_images).argmax(1));
  fmt::print("restored from {}: same predictions: {}\n", trainer.checkpoint_path(),
             same ? "yes" : "no");
  std::filesystem::remove_all(out);
  return 0;
}

// Checkpoints: model weights, optimiser state, step, epoch, RNG states and the run's
// configuration in one file, written atomically (temporary file, then rename) so an interrupted
// save never leaves a half-written checkpoint. Loading validates everything before it changes the
// model: the format, the model's name, and every parameter's and buffer's name and shape.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <map>
#include <string>

namespace setformer::train {

struct Checkpoint {
  /// Model name (e.g. "setformer-miny"); loading into a model of another name is an error.
  std::string model;
  /// The run's resolved configuration (JSON), so the run can be rebuilt and reproduced.
  std::string config;
  int64_t step = 0;
  int64_t epoch = 0;
  /// Wall time spent training so far, over every session of the run.
  double train_seconds = 0;
  /// Named RNG states (at::Generator::get_state()), restored with set_state().
  std::map<std::string, torch::Tensor> rng_states;
  /// Exponential moving average of the parameters, by parameter name (empty without EMA).
  std::map<std::string, torch::Tensor> ema;
};

/// Writes `checkpoint`, the parameters and buffers of `model` and, if given, the optimiser's
/// state to `path` atomically. Throws std::runtime_error naming the path on failure.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                     const torch::nn::Module& model,
                     const torch::optim::Optimizer* optimizer = nullptr);

/// The metadata of the checkpoint at `path`, without touching any model (to build the right one).
Checkpoint read_checkpoint_info(const std::string& path);

/// Loads `path` into `model` (and `optimizer`, if given) and returns its metadata. Throws
/// std::runtime_error naming the file when it is missing or not a setformer checkpoint, when it
/// belongs to a model other than `expected_model` (naming both), or when a parameter or buffer
/// is missing or of another shape (naming it); the model is unchanged then.
Checkpoint load_checkpoint(const std::string& path, const std::string& expected_model,
                           torch::nn::Module& model, torch::optim::Optimizer* optimizer = nullptr);

}  // namespace setformer::train

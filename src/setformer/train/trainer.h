// The training loop every model shares: AdamW with warm-up then cosine decay, gradient clipping,
// an optional exponential moving average (EMA) of the weights, atomic checkpoints every N steps,
// at the end and on Ctrl-C, exact resumption, a progress line, a JSONL metrics log and curves.
//
// The loop knows nothing about data or models beyond a module and a step function: the task
// (image classification, set prediction, language modelling) computes the loss of step s from
// batch s, which must be a pure function of (seed, s) so that a resumed run sees the same data.
#pragma once

#include "setformer/train/checkpoint.h"
#include "setformer/train/schedule.h"

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace setformer::train {

struct OptimOptions {
  TORCH_ARG(double, lr) = 1e-3;
  /// The cosine schedule ends at this rate.
  TORCH_ARG(double, min_lr) = 1e-5;
  /// Non-empty: a step schedule instead of the cosine (StepDecay): the rate is multiplied by
  /// decay_factor at each of these steps.
  TORCH_ARG(std::vector<int64_t>, decay_steps) = {};
  TORCH_ARG(double, decay_factor) = 0.1;
  /// > 0: an exponential decay instead (ExponentialDecay): the rate is multiplied by
  /// exponential_rate every this many steps, continuously.
  TORCH_ARG(int64_t, exponential_steps) = 0;
  TORCH_ARG(double, exponential_rate) = 0.5;
  /// > 0: the Transformer's schedule instead (InverseSqrt, Vaswani et al. §5.3) for this d_model:
  /// lr · d_model^−0.5 · min(s^−0.5, s · warmup^−1.5), lr being the scale (the paper's 1).
  TORCH_ARG(int64_t, inverse_sqrt_dim) = 0;
  TORCH_ARG(int64_t, warmup_steps) = 0;
  /// Decoupled weight decay (AdamW) of matrices and convolution kernels; biases, norms and
  /// other vectors are never decayed.
  TORCH_ARG(double, weight_decay) = 0.05;
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.999;
  /// Largest global gradient norm; 0 turns clipping off.
  TORCH_ARG(double, clip_norm) = 1.0;
  /// EMA decay per step (e.g. 0.999); 0 turns the EMA off.
  TORCH_ARG(double, ema_decay) = 0.0;
};

struct TrainerOptions {
  /// Folder of checkpoint.pt, log.jsonl and curves.png.
  TORCH_ARG(std::string, out_dir) = "runs/run";
  /// Stored in checkpoints; loading into another model is refused.
  TORCH_ARG(std::string, model_name) = "model";
  /// The run's resolved configuration (JSON), stored in checkpoints.
  TORCH_ARG(std::string, config_json) = "{}";
  TORCH_ARG(int64_t, total_steps) = 1;
  TORCH_ARG(int64_t, steps_per_epoch) = 1;
  TORCH_ARG(OptimOptions, optim) = {};
  /// Checkpoint every this many steps (0: only at the end and on interruption).
  TORCH_ARG(int64_t, checkpoint_every) = 500;
  /// A progress line and a log record every this many steps.
  TORCH_ARG(int64_t, log_every) = 50;
  /// Evaluate every this many epochs (0: only at the end).
  TORCH_ARG(int64_t, eval_every_epochs) = 1;
  /// Continue from out_dir/checkpoint.pt.
  TORCH_ARG(bool, resume) = false;
  /// Unit of throughput in the progress line ("img", "seq", "tok").
  TORCH_ARG(std::string, unit) = "img";
  /// Log keys plotted against the step in curves.png, one panel each.
  TORCH_ARG(std::vector<std::string>, curves) = std::vector<std::string>{"loss", "accuracy",
                                                                         "test_accuracy"};
};

/// What one training step reports. `loss` is the scalar to minimise; `correct` (a scalar
/// tensor, or undefined when the task has no accuracy) counts correct predictions among `count`
/// items. Tensors stay on the device: the loop reads them only when it logs. A step that ran the
/// backward pass itself (over batch shards in parallel threads, core/shards.h) sets
/// `backward_done`, and `loss` is then only reported.
struct StepOutput {
  torch::Tensor loss;
  torch::Tensor correct;
  int64_t count = 0;
  bool backward_done = false;
  /// Seconds the step waited for its batch (the loader's workers fell behind); shown apart from
  /// compute in the progress line, as timm's "Data" time (< 0: not measured).
  double data_seconds = -1;
};

struct TrainSummary {
  int64_t steps_done = 0;       // the step reached (== total_steps unless interrupted)
  bool interrupted = false;     // stopped by Ctrl-C (a checkpoint was saved)
  double train_seconds = 0;     // wall time of training over every session of the run
  nlohmann::json final_eval;    // the last evaluation's metrics
  std::string checkpoint_path;  // the last checkpoint written
};

class Trainer {
 public:
  /// `model` must outlive the trainer. Throws naming the option when one is out of range.
  Trainer(torch::nn::Module& model, TrainerOptions options);

  /// Runs steps from the first one not done (0, or the checkpoint's with resume) to
  /// total_steps. `step(s)` computes the loss of step s in training mode; `evaluate()` is called
  /// every eval_every_epochs epochs and at the end, with the EMA weights swapped in when the EMA
  /// is on, and returns metrics to log (e.g. {"test_accuracy": 0.93}). `print` receives progress
  /// lines.
  TrainSummary run(const std::function<StepOutput(int64_t step)>& step,
                   const std::function<nlohmann::json()>& evaluate,
                   const std::function<void(const std::string&)>& print);

  torch::optim::AdamW& optimizer() { return *optimizer_; }
  const TrainerOptions& options() const { return options_; }
  std::string checkpoint_path() const;
  std::string log_path() const;
  std::string curves_path() const;

 private:
  void save(int64_t step, double train_seconds);
  /// Restores everything from the checkpoint; returns the checkpoint's step.
  int64_t restore(double& train_seconds);
  void update_ema();
  /// Swaps the model's parameters and the EMA's (calling twice restores them).
  void swap_ema();

  torch::nn::Module& model_;
  TrainerOptions options_;
  WarmupCosine cosine_;
  StepDecay step_decay_;
  ExponentialDecay exponential_;
  InverseSqrt inverse_sqrt_;
  /// The learning rate of `step` under the schedule the options choose.
  double lr_at(int64_t step) const;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::vector<torch::Tensor> parameters_;
  std::vector<std::string> parameter_names_;
  std::vector<torch::Tensor> ema_;
};

/// Copies `weights` (e.g. Checkpoint::ema) into the parameters of `model` with the same names;
/// throws naming a missing or mis-shaped one.
void apply_weights(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& weights,
                   const std::string& source);

/// Installs a SIGINT and SIGTERM handler that asks the running loop to checkpoint and stop; a
/// second signal kills the process as usual.
void install_interrupt_handler();

/// The shell's code for the signal that stopped the loop: 130 for SIGINT, 143 for SIGTERM.
int interrupted_exit_code();

}  // namespace setformer::train

// The Set Transformer paper's experiments (supplement §2) on data generated here: max regression,
// amortized clustering of 2-D mixtures of Gaussians (small and large scale) and counting unique
// items (on Fashion-MNIST). One flat configuration per row, trained through the shared Trainer,
// evaluated on test sets that every row shares, and tabulated beside the paper's figures.
#pragma once

#include "setformer/data/fashion_mnist.h"
#include "setformer/data/set_tasks.h"
#include "setformer/models/set_transformer.h"
#include "setformer/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace setformer::tasks {

struct SetExperimentConfig {
  // --- task ---
  /// max_regression | clustering | clustering_large | unique_count
  std::string task = "max_regression";
  /// The row's name in results tables, e.g. "SAB + PMA" (the paper's name finds its figures).
  std::string row = "";
  /// Printed under the results table: what this row changes or what was tried.
  std::string note = "";
  int64_t min_size = 0, max_size = 0;  // set sizes; 0: the task's (1..10, 100..500, ...)
  int64_t clusters = 0;                // mixture components; 0: the task's (4, or 6 when large)
  std::string data_dir = data::kFashionMnistFolder;  // unique_count's images
  int64_t batch_size = 128;                          // sets per training step
  bool same_size = false;  // one set size per training batch (the authors' code): no padding
  int64_t test_sets = 1000;
  int64_t eval_batch_size = 100;
  uint64_t test_seed = 20190609;  // the test sets: the same for every row and run seed
  // --- model (models::SetTransformerOptions) ---
  std::vector<std::string> encoder{"sab", "sab"};
  std::string decoder = "pma";
  int64_t dim = 64;
  int64_t heads = 4;
  int64_t inducing_points = 16;
  int64_t decoder_sabs = 0;
  int64_t decoder_layers = 0;
  int64_t conv_layers = 4;
  std::string kernel = "softmax";
  std::string decoder_kernel = "softmax";
  bool layer_norm = true;
  // --- SeT (kernel = set) ---
  int64_t m = 16;
  double epsilon = 0.1;
  int64_t iterations = 10;
  std::string similarity = "spherical_gaussian";
  double alpha = 1.0;
  std::string values = "linear";
  // --- optimisation (Adam; the paper's schedules are constant or step decays) ---
  int64_t steps = 20000;
  double lr = 1e-3;
  int64_t warmup_steps = 0;
  std::vector<int64_t> decay_steps;
  double decay_factor = 0.1;
  double weight_decay = 0.0;
  double clip_norm = 0.0;
  // --- run ---
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
  std::string out = "runs/sets";
  int64_t checkpoint_every = 1000;
  int64_t log_every = 100;
  int64_t eval_every = 5000;  // steps
  bool resume = false;
};

void to_json(nlohmann::json& j, const SetExperimentConfig& c);
void from_json(const nlohmann::json& j, SetExperimentConfig& c);

/// The task names, in a stable order.
const std::vector<std::string>& set_tasks();

/// The model `config` describes for its task (input and output widths come from the task).
/// Throws naming the field when a value is invalid.
models::SetTransformerOptions set_model_options(const SetExperimentConfig& config);

/// Log-likelihood per data point of each set under diagonal Gaussian mixtures (paper Eq. 17):
/// x [B, n, D], padding [B, n] (optional), weights [B, k], means [B, k, D],
/// variances [B, k, D] -> [B]: (1/n_b) Σ_i log Σ_j π_j N(x_i; μ_j, diag σ_j²).
torch::Tensor mixture_log_likelihood(const torch::Tensor& x, const torch::Tensor& padding,
                                     const torch::Tensor& weights, const torch::Tensor& means,
                                     const torch::Tensor& variances);

struct MixtureParameters {
  torch::Tensor weights, means, variances;  // [B, k], [B, k, D], [B, k, D]
};

/// The network's outputs [B, k, 1 + 2D] read as mixture parameters: softmax of the first
/// column, means, and variances softplus(raw)² + floor (the authors' σ = softplus(raw)).
MixtureParameters mixture_parameters(const torch::Tensor& outputs);

/// One EM step (Dempster et al. 1977) for diagonal Gaussian mixtures from `start` on each set:
/// responsibilities, then the weighted proportions, means and per-dimension variances.
MixtureParameters em_step(const torch::Tensor& x, const torch::Tensor& padding,
                          const MixtureParameters& start);

struct SetTrainResult {
  train::TrainSummary summary;
  nlohmann::json metrics;  // the final evaluation
  int64_t parameters = 0;
};

/// Validates `config` and builds its model without training: the line a run of it starts with
/// (parameters, FLOPs, budget). Throws naming the field when a value is invalid.
std::string describe_set_experiment(const SetExperimentConfig& config);

/// The sets `config` trains and is tested on, in words (generator or images, sizes, test sets).
std::string describe_set_data(const SetExperimentConfig& config);

/// Trains the row `config` describes and evaluates it on the task's test sets; writes
/// checkpoint.pt, log.jsonl, curves.png, summary.json and a picture of test predictions
/// (predictions.png) under config.out.
SetTrainResult train_set_experiment(const SetExperimentConfig& config,
                                    const std::function<void(const std::string&)>& print);

/// Evaluates a checkpoint of a set task on its test sets exactly as the run's last evaluation did
/// (the same sets, model and metrics) and writes eval.json ({checkpoint, task, row, step,
/// metrics}) and predictions.png under `out`. Returns the metrics. Throws naming the file when it
/// is not a checkpoint of a set task.
nlohmann::json evaluate_set_checkpoint(const std::string& checkpoint, const std::string& out,
                                       const std::string& device,
                                       const std::function<void(const std::string&)>& print);

/// Runs a checkpoint of a set task on the user's sets, one line of answer per set:
/// max_regression: each file a JSON array of reals (one set), answered with the predicted
/// maximum; clustering: each file a JSON array of [x, y] points, answered with the predicted
/// mixture (weight, mean and standard deviation of each component, heaviest first);
/// unique_count: every file an image, together one set, answered with the predicted number of
/// distinct classes. Throws naming the file and element when an input is not of that form.
std::vector<std::string> predict_sets(const std::string& checkpoint,
                                      const std::vector<std::string>& inputs,
                                      const std::string& device);

/// The paper's figures for a row of a task (supplement Tables 1, 5, 6 and paper Table 2), by
/// the row's name up to a ", " (so "SAB + PMA, constant rate" finds "SAB + PMA"):
/// {"mae"} / {"ll0", "ll1"} / {"accuracy"}; empty when the paper has no such row.
nlohmann::json paper_figures(const std::string& task, const std::string& row);

/// The oracle's log-likelihood per data point in the paper (clustering tasks), else NaN.
double paper_oracle(const std::string& task);

/// A markdown and JSON table of runs of one task from their summary.json files, our figures
/// beside the paper's; writes <out>.md and <out>.json and returns the markdown.
std::string write_set_table(const std::vector<std::string>& summaries, const std::string& out,
                            const std::string& command);

}  // namespace setformer::tasks

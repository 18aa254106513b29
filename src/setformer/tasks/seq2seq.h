// Sequence-to-sequence experiments with the Transformer (issue 6): copy, reverse, sort and
// addition, generated here (data/sequence_tasks.h). One flat configuration per row, trained
// through the shared Trainer with label smoothing and the inverse-square-root schedule, evaluated
// by exact match under greedy decoding and beam search on held-out examples, and tabulated.
#pragma once

#include "setformer/data/sequence_tasks.h"
#include "setformer/models/decoding.h"
#include "setformer/models/transformer.h"
#include "setformer/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace setformer::tasks {

struct SequenceExperimentConfig {
  // --- task ---
  std::string task = "reverse";  // copy | reverse | sort | addition
  std::string row = "";          // the row's name in results tables
  std::string note = "";         // printed under the results table
  int64_t symbols = 20;
  int64_t min_length = 20, max_length = 20;
  int64_t digits = 5;
  bool pad_operands = false;      // addition: leading zeros to a fixed width
  bool reverse_sum = false;       // addition: the sum least-significant digit first
  bool reverse_operands = false;  // addition: the operands least-significant digit first
  bool mixed_digits = false;      // addition, training only: operand lengths uniform in 1..digits
  int64_t batch_size = 64;
  int64_t test_examples = 1000;
  int64_t eval_batch_size = 100;
  uint64_t test_seed = 20170612;  // held-out examples: another stream than training's
  // --- model (models::TransformerOptions) ---
  int64_t dim = 128;
  int64_t heads = 4;
  int64_t ffn_dim = 512;
  int64_t encoder_layers = 3;
  int64_t decoder_layers = 3;
  double dropout = 0.1;
  double attention_dropout = 0.0;
  std::string norm = "post";             // post | pre
  std::string positions = "sinusoidal";  // sinusoidal | learned
  std::string encoder_kernel = "softmax";
  std::string decoder_kernel = "softmax";
  std::string cross_kernel = "softmax";
  int64_t m = 16;  // SeT references, Nyström landmarks, inducing points of those kernels
  // --- optimisation ---
  int64_t steps = 6000;
  std::string schedule = "inverse_sqrt";  // inverse_sqrt (lr is the scale) | cosine
  double lr = 1.0;
  int64_t warmup_steps = 1000;
  double label_smoothing = 0.1;
  double weight_decay = 0.0;
  double clip_norm = 1.0;
  double beta2 = 0.98;
  // --- decoding ---
  int64_t beam = 4;
  double length_penalty = 0.6;
  // --- run ---
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
  std::string out = "runs/seq2seq";
  int64_t checkpoint_every = 1000;
  int64_t log_every = 100;
  int64_t eval_every = 2000;  // steps
  bool resume = false;
};

void to_json(nlohmann::json& j, const SequenceExperimentConfig& c);
void from_json(const nlohmann::json& j, SequenceExperimentConfig& c);

/// The task `config` names; throws naming the field when a value is invalid.
data::SequenceTaskOptions sequence_task_options(const SequenceExperimentConfig& config);
/// The model `config` describes (vocabulary from the task); throws naming the field.
models::TransformerOptions sequence_model_options(const SequenceExperimentConfig& config);

struct SequenceTrainResult {
  train::TrainSummary summary;
  nlohmann::json metrics;  // the final evaluation
  int64_t parameters = 0;
};

/// Validates `config` and builds its model: the line a run starts with.
std::string describe_sequence_experiment(const SequenceExperimentConfig& config);

/// The examples `config` trains and is tested on, in words.
std::string describe_sequence_data(const SequenceExperimentConfig& config);

/// Trains the row, evaluates it on config.test_examples held-out examples (exact match with
/// greedy decoding and with beam search, teacher-forced token accuracy) and writes checkpoint.pt,
/// log.jsonl, curves.png, samples.txt and summary.json under config.out.
SequenceTrainResult train_sequence_experiment(const SequenceExperimentConfig& config,
                                              const std::function<void(const std::string&)>& print);

/// Evaluates a `setformer train` checkpoint again with this build's decoding (as the run's final
/// evaluation does) and writes summary.json and samples.txt under `out` (the checkpoint's folder
/// when empty), keeping the run's steps and training time. Returns the metrics.
nlohmann::json evaluate_sequence_checkpoint(const std::string& checkpoint, const std::string& out,
                                            const std::string& device,
                                            const std::function<void(const std::string&)>& print);

/// A markdown and JSON table of runs of one task from their summary.json files; writes
/// <out>.md and <out>.json and returns the markdown.
std::string write_sequence_table(const std::vector<std::string>& summaries, const std::string& out,
                                 const std::string& command);

/// A trained sequence model and what it needs to read and write text.
struct SequenceModel {
  SequenceExperimentConfig config;
  data::SequenceTaskOptions task;
  models::Transformer model{nullptr};
  data::Vocabulary vocabulary{""};
};

/// Rebuilds the model of a `setformer train` checkpoint and loads its weights, in eval
/// mode on `device`. Throws naming the file when it is not such a checkpoint.
SequenceModel load_sequence_model(const std::string& checkpoint, const std::string& device);

/// Decodes `sources` (text) in batches of `batch`; a source outside the task's alphabet throws
/// naming it and `where(i)` (e.g. "input line 3").
std::vector<std::string> translate(SequenceModel& model, const std::vector<std::string>& sources,
                                   const models::DecodeOptions& options, int64_t batch,
                                   const std::function<std::string(size_t)>& where);

}  // namespace setformer::tasks

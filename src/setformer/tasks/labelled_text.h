// Labelled text of the user's own for the `classify` task (issue 40): where it comes from (the
// config's files and columns, or a GLUE preset), reading and encoding it, the metrics of each
// evaluation split (GLUE's per task), and predictions as TSV, JSONL or GLUE submission files.
#pragma once

#include "setformer/data/text_batches.h"
#include "setformer/data/text_files.h"
#include "setformer/data/tokenizer.h"
#include "setformer/models/text_encoder.h"
#include "setformer/tasks/language.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace setformer::tasks {

/// Whether a `classify` config reads the user's labelled files (data.train_file or task.glue)
/// rather than the built-in SpamAssassin e-mails.
bool uses_labelled_files(const LanguageExperimentConfig& config);

/// The labelled text of a run, settled from its config and GLUE preset.
struct LabelledTextSpec {
  struct Split {
    std::string name, path;
    std::string submission;  // GLUE's file name for test predictions
  };
  std::string glue;  // the GLUE task, or empty
  std::string train;
  std::vector<Split> eval, test;
  std::string format = "auto";
  data::TextColumns columns, test_columns;
  data::TextReadOptions read;
  /// The label set in the head's order (empty with regression, or before the training file
  /// was read).
  std::vector<std::string> labels;
  bool regression = false;
  bool pairs = false;
  /// The metrics of each evaluation split: accuracy, f1, matthews, pearson, spearman.
  std::vector<std::string> metrics;
};

/// Throws std::invalid_argument naming the field when the config's data settings are invalid.
LabelledTextSpec labelled_text_spec(const LanguageExperimentConfig& config);

/// Encoded examples of one split with their ids (the id column, or the line).
struct LabelledSplit {
  std::string name;
  data::EncodedExamples examples;
  std::vector<std::string> ids;
};

/// `config` with data.labels filled from its training file when a classification run has none
/// (the training file's sorted labels). Prints how many rows bad_rows = skip left out.
LanguageExperimentConfig with_labels(const LanguageExperimentConfig& config,
                                     const std::function<void(const std::string&)>& print);

/// Reads and encodes a split with the run's tokenizer: labels mapped to the head's classes (an
/// unknown label is an error naming the file and line), regression targets parsed as numbers.
/// `labelled` = false for test files (targets 0).
LabelledSplit read_labelled_split(const LabelledTextSpec& spec,
                                  const LabelledTextSpec::Split& split,
                                  const data::Tokenizer& tokenizer, int64_t length, bool labelled,
                                  const std::function<void(const std::string&)>& print);

/// The metric keys one evaluation writes: "<split>_<metric>" for each split and metric, then
/// "score" (GLUE's task score: the mean of each split's metrics, averaged over the splits).
std::vector<std::string> labelled_metric_keys(const LabelledTextSpec& spec);

/// Outputs of the model on a split, in eval mode: [N, classes] probabilities, or [N] scores.
torch::Tensor labelled_outputs(models::TextEncoder& model, const data::EncodedExamples& examples,
                               int64_t batch_size, bool regression, const torch::Device& device);

/// The metrics of labelled_metric_keys on the evaluation splits.
nlohmann::json evaluate_labelled(models::TextEncoder& model, const LabelledTextSpec& spec,
                                 const std::vector<LabelledSplit>& splits, int64_t batch_size,
                                 const torch::Device& device);

/// The loss of a batch: cross-entropy (with its correct count), or mean squared error of the
/// single output.
std::pair<torch::Tensor, torch::Tensor> labelled_loss(models::TextEncoder& model,
                                                      const data::PairBatch& batch, bool regression,
                                                      const torch::Device& device);

/// Texts to predict, encoded, with where each came from.
struct TextInputs {
  std::vector<std::string> sources, ids;
  data::EncodedExamples examples;
};

/// The texts of `inputs`: "-" standard input (a text per non-empty line; a pair as "a<tab>b"),
/// TSV/CSV/JSONL files by their extension (the run's test columns), any other file one text.
TextInputs read_text_inputs(const LabelledTextSpec& spec, const std::vector<std::string>& inputs,
                            const data::Tokenizer& tokenizer, int64_t length);

/// One line per input: TSV with a header (source, id, prediction, p(label)... or score), or JSON
/// objects. `outputs` as labelled_outputs returns them.
std::vector<std::string> format_predictions(const LabelledTextSpec& spec, const TextInputs& inputs,
                                            const torch::Tensor& outputs, bool json);

/// The GLUE server's file for a split: "index<tab>prediction", labels by name (MNLI, QNLI, RTE)
/// or as written in the data (0/1), STS-B scores clipped to [0, 5].
std::string submission_file(const LabelledTextSpec& spec, const std::vector<std::string>& ids,
                            const torch::Tensor& outputs);

}  // namespace setformer::tasks

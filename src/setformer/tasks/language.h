// Language experiments (issue 7): masked language modelling on the text corpora and whole-document
// classification of SpamAssassin e-mails, with any attention kernel, through the shared Trainer.
// The tokenizer is trained on the corpora's training splits and stored in the checkpoint, so
// fine-tuning and `setformer predict` use the tokenizer pre-training used.
#pragma once

#include "setformer/data/text_corpora.h"
#include "setformer/data/tokenizer.h"
#include "setformer/models/text_encoder.h"
#include "setformer/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace setformer::tasks {

struct LanguageExperimentConfig {
  // --- task ---
  std::string task = "mlm";  // mlm | classify | listops
  std::string row = "";
  std::string note = "";
  /// classify: a GLUE task (data/glue.h) read from data.root; it sets the files, columns, labels
  /// and metrics below.
  std::string glue = "";
  /// mlm: the corpora whose training splits are the text: built-in ones by name (moby_dick, sotu,
  /// spam_assassin), or files and folders of the user's (data/text_files.h), whose documents are
  /// split 80/10/10 by a hash of their ids. classify: spam_assassin (the built-in labelled text)
  /// unless data.train_file or task.glue is set.
  std::vector<std::string> corpora{"moby_dick", "sotu"};
  std::string data_dir = data::kTextFolder;
  std::string splits_dir = "data/text/splits";
  // --- the user's text (issue 40) ---
  /// Folder the files below are relative to (GLUE: the unpacked glue_data/ or the task's folder).
  std::string root = "";
  /// classify: labelled TSV/CSV/JSONL files; evaluation splits are named by their file stems.
  std::string train_file = "";
  std::vector<std::string> eval_files{};
  std::vector<std::string> test_files{};  // unlabelled, for predict --glue-submission
  std::string format = "auto";            // auto | tsv | csv | jsonl
  std::string text_column = "text";
  std::string text_pair_column = "";  // non-empty: sentence pairs
  std::string label_column = "label";
  std::string id_column = "";
  /// The columns of TSV/CSV files without a header, in order.
  std::vector<std::string> columns{};
  /// classification | regression (a float target, mean squared error, one output).
  std::string problem = "classification";
  /// The label set in the head's order: empty, the training file's sorted labels (stored in the
  /// checkpoint once known). GLUE presets give their own.
  std::vector<std::string> labels{};
  /// mlm corpora of the user's: file (each file a document) | line (each line one); the text
  /// field of JSONL files.
  std::string document = "file";
  std::string text_field = "text";
  int64_t max_record_bytes = int64_t{16} << 20;
  std::string invalid_utf8 = "error";  // error | replace
  std::string bad_rows = "error";      // error | skip
  int64_t length = 512;  // tokens per sequence (classification: the first `length` of an e-mail)
  int64_t batch_size = 16;
  double mask_rate = 0.15;
  int64_t eval_sequences = 256;  // mlm: validation windows; classify: 0 = every test e-mail;
                                 // listops: test sequences
  /// listops: sequence lengths (LRA: 500–2000) and the seed of the test sequences.
  int64_t listops_min_length = 500, listops_max_length = 2000;
  uint64_t test_seed = 20201108;
  // --- tokenizer ---
  /// sentencepiece | bytes | bpe (the hand-written BPE of issue 7, kept for the committed
  /// SpamAssassin and MLM rows that were trained with it).
  std::string tokenizer = "sentencepiece";
  int64_t vocab_size = 8192;
  /// What trains the vocabulary: built-in corpora by name or the user's files and folders;
  /// empty, the run's own training text.
  std::vector<std::string> tokenizer_corpora{};
  /// An existing SentencePiece `.model` file to use instead of training one.
  std::string tokenizer_model = "";
  std::string model_type = "unigram";  // SentencePiece: unigram | bpe
  double character_coverage = 0.9995;
  // --- model (models::TextEncoderOptions) ---
  int64_t dim = 256;
  int64_t heads = 4;
  int64_t depth = 4;
  double mlp_ratio = 4.0;
  double dropout = 0.1;
  double attention_dropout = 0.0;  // on the attention weights (TextEncoderOptions says why 0)
  std::string kernel = "set";
  std::string positions = "auto";  // auto | sinusoidal | learned | none
  std::string pooling = "mean";    // the classification head's input: mean | cls
  int64_t m = 64;                  // SeT references, Nyström landmarks, inducing points
  double epsilon = 0.1;
  int64_t iterations = 10;
  double sigma = 0.5;  // SeT's LPE width on positions normalised to [0, 1)
  /// SeT's ablations (SeTformer paper Table 7): values linear | nystrom, references learned |
  /// none, similarity spherical_gaussian | gaussian | dot (attention::SetOptions).
  std::string values = "linear";
  std::string references = "learned";
  std::string similarity = "spherical_gaussian";
  /// A `mlm` checkpoint whose encoder weights (and tokenizer) start this run.
  std::string init = "";
  // --- optimisation ---
  int64_t steps = 2000;
  double lr = 5e-4;
  int64_t warmup_steps = 200;
  double weight_decay = 0.01;
  double clip_norm = 1.0;
  // --- run ---
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
  std::string out = "runs/language";
  int64_t checkpoint_every = 500;
  int64_t log_every = 50;
  int64_t eval_every = 1000;
  bool resume = false;
};

void to_json(nlohmann::json& j, const LanguageExperimentConfig& c);
void from_json(const nlohmann::json& j, LanguageExperimentConfig& c);

struct LanguageTrainResult {
  train::TrainSummary summary;
  nlohmann::json metrics;
  int64_t parameters = 0;
};

/// Validates `config` and builds its freshly initialised model, reseeding torch's global
/// generator with run.seed first. A training run calls it through describe_language_experiment
/// after building its own model, so its dropout masks draw from the stream this reseeding starts.
/// The vocabulary is ListOps' tokens, the byte tokenizer's or tokenizer.vocab_size; the head has
/// the task's classes (classify 2, listops 10, mlm none).
models::TextEncoder build_language_model(const LanguageExperimentConfig& config);

/// Validates `config` and builds its model: the line a run starts with.
std::string describe_language_experiment(const LanguageExperimentConfig& config);

/// The text `config` trains and is evaluated on, in words (corpora and tokenizer, or ListOps).
std::string describe_language_data(const LanguageExperimentConfig& config);

/// The run's tokenizer: the init checkpoint's, bytes, the tokenizer.model file, or one trained on
/// tokenizer.corpora (or the run's own training text). `setformer tokenizer train` calls it with
/// a config holding only the tokenizer settings.
data::Tokenizer build_tokenizer(const LanguageExperimentConfig& config,
                                const std::function<void(const std::string&)>& print);

/// The texts build_tokenizer() trains on: the training splits of tokenizer.corpora's built-in
/// corpora, the user's corpora whole, or else the run's own training text.
std::vector<std::string> tokenizer_training_texts(const LanguageExperimentConfig& config);

/// Trains the row and evaluates it (mlm: masked-token loss and accuracy on validation windows;
/// classify: accuracy, spam F1 and the ids of the misread test e-mails; listops: accuracy on
/// generated test sequences; all with the training's peak memory), writing checkpoint.pt (with the
/// tokenizer), log.jsonl, curves.png and summary.json under config.out.
LanguageTrainResult train_language_experiment(const LanguageExperimentConfig& config,
                                              const std::function<void(const std::string&)>& print);

/// Evaluates a checkpoint of a language run (mlm, classify, listops) on its held-out
/// data exactly as the run's last evaluation did: the same test e-mails, validation windows and
/// masks, or ListOps test sequences, with the config and tokenizer stored in the checkpoint. For
/// rows that ran before a metric existed (test_errors), and to check a checkpoint against its
/// summary. Returns {checkpoint, task, row, step, metrics}, the content of `setformer eval`'s
/// eval.json. Throws naming the file when it is not a language checkpoint.
/// `data_root` replaces the run's data.root (labelled files and GLUE) when not empty.
nlohmann::json evaluate_language_checkpoint(const std::string& checkpoint,
                                            const std::string& device,
                                            const std::string& data_root = "");

/// Training sequences the ListOps table's no-model baselines count their frequencies on.
inline constexpr int64_t kListOpsBaselineTraining = 20000;

/// A markdown and JSON table of runs from their summary.json files (any mix of tasks, one row
/// per run: kernel, the task's metrics, training time and peak memory), then which rows misread
/// which test e-mails; writes <out>.md and <out>.json and returns the markdown. A classification
/// row whose summary predates test_errors takes them from an eval.json beside it (`language
/// eval`) when that evaluation has the summary's step, accuracy and F1, and throws otherwise.
std::string write_language_table(const std::vector<std::string>& summaries, const std::string& out,
                                 const std::string& command);

/// A trained classifier and its tokenizer.
struct TextClassifier {
  LanguageExperimentConfig config;
  data::Tokenizer tokenizer;
  models::TextEncoder model{nullptr};
};

/// Loads a `classify` checkpoint for inference (eval mode). Throws naming the file when it is
/// not one.
TextClassifier load_text_classifier(const std::string& checkpoint, const std::string& device);

/// Probability of spam for each text, its first config.length tokens read.
std::vector<double> classify_texts(TextClassifier& classifier,
                                   const std::vector<std::string>& texts);

struct TextPredictOptions {
  /// mlm: tokens shown per [MASK].
  int64_t top = 3;
  /// classify on the user's files: JSON lines instead of TSV.
  bool json = false;
  /// Replaces the run's data.root (where its GLUE or test files are).
  std::string data_root = "";
  int64_t batch_size = 32;
};

/// Runs a language checkpoint on its inputs, returning the lines to print:
///   classify (SpamAssassin): each file a document ("FILE<tab>spam|ham<tab>p(spam) = P");
///   classify (the user's labelled files): texts from TSV/CSV/JSONL files (the run's columns),
///     from standard input ("-", a text per line, pairs as "a<tab>b") or from other files (one
///     text each), answered as TSV with a header (source, id, prediction, then p(label) per
///     label, or the score of a regression) or as JSON lines;
///   mlm: each file text with one or more [MASK] markers, each filled with the `top` most likely
///     tokens and their probabilities;
///   listops: each non-empty line of each file an expression ("[MAX 2 9 ]"), answered with the
///     predicted value beside the one a stack evaluation gives.
/// Throws naming the file (and line) on bad input.
std::vector<std::string> predict_language(const std::string& checkpoint,
                                          const std::vector<std::string>& inputs,
                                          const TextPredictOptions& options,
                                          const std::string& device);

/// Writes the predictions of a classifier of the user's files on its test splits, as the GLUE
/// server expects them (one "index<tab>prediction" file per split: MNLI-m.tsv, ..., AX.tsv; or
/// <split>.tsv for data.test_files), atomically, into `dir`. Returns the files written. Throws
/// naming the checkpoint when it has no test splits, or the file and line of a bad row.
std::vector<std::string> write_glue_submission(
    const std::string& checkpoint, const std::string& dir, const TextPredictOptions& options,
    const std::string& device, const std::function<void(const std::string&)>& print);

}  // namespace setformer::tasks

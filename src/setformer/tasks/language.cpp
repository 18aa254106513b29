#include "setformer/tasks/language.h"

#include "setformer/attention/attention.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/memory.h"
#include "setformer/core/runtime.h"
#include "setformer/data/listops.h"
#include "setformer/data/masking.h"
#include "setformer/data/random.h"
#include "setformer/data/text_batches.h"
#include "setformer/data/text_files.h"
#include "setformer/io/table.h"
#include "setformer/tasks/labelled_text.h"
#include "setformer/train/checkpoint.h"
#include "setformer/train/progress.h"
#include "setformer/train/result_tables.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace setformer::tasks {

using train::Checkpoint;
using train::format_duration;
using train::load_checkpoint;
using train::OptimOptions;
using train::read_checkpoint_info;
using train::read_summaries;
using train::run_summary;
using train::StepOutput;
using train::Trainer;
using train::TrainerOptions;
using train::write_results_table;

// By hand rather than NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT, which takes at most 64
// fields: the same expansion over two lists.
#define SETFORMER_LANGUAGE_FIELDS_1                                                               \
  task, row, note, glue, corpora, data_dir, splits_dir, root, train_file, eval_files, test_files, \
      format, text_column, text_pair_column, label_column, id_column, columns, problem, labels,   \
      document, text_field, max_record_bytes, invalid_utf8, bad_rows, length, batch_size,         \
      mask_rate, eval_sequences, listops_min_length, listops_max_length, test_seed
#define SETFORMER_LANGUAGE_FIELDS_2                                                                \
  tokenizer, vocab_size, tokenizer_corpora, tokenizer_model, model_type, character_coverage, dim,  \
      heads, depth, mlp_ratio, dropout, attention_dropout, kernel, positions, pooling, m, epsilon, \
      iterations, sigma, values, references, similarity, init, steps, lr, warmup_steps,            \
      weight_decay, clip_norm, seed, threads, device, out, checkpoint_every, log_every,            \
      eval_every, resume

void to_json(nlohmann::json& nlohmann_json_j, const LanguageExperimentConfig& nlohmann_json_t) {
  NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, SETFORMER_LANGUAGE_FIELDS_1))
  NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, SETFORMER_LANGUAGE_FIELDS_2))
}

void from_json(const nlohmann::json& nlohmann_json_j, LanguageExperimentConfig& nlohmann_json_t) {
  const LanguageExperimentConfig nlohmann_json_default_obj;
  NLOHMANN_JSON_EXPAND(
      NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, SETFORMER_LANGUAGE_FIELDS_1))
  NLOHMANN_JSON_EXPAND(
      NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, SETFORMER_LANGUAGE_FIELDS_2))
}

namespace {

constexpr const char* kMlmModel = "text-mlm";
constexpr const char* kClassifierModel = "text-classifier";
constexpr const char* kListOpsModel = "text-listops";

bool is_classify(const LanguageExperimentConfig& c) {
  return c.task == "classify";
}
bool is_listops(const LanguageExperimentConfig& c) {
  return c.task == "listops";
}

/// The name a task's checkpoints carry (checked when they are loaded).
const char* model_name(const LanguageExperimentConfig& c) {
  return is_classify(c) ? kClassifierModel : is_listops(c) ? kListOpsModel : kMlmModel;
}

/// Outputs of the classification head: the labels (spam/ham built in), one for regression, ten
/// values (ListOps), or none (MLM). A run of the user's labelled files knows its labels once
/// with_labels() has read them.
int64_t classes_of(const LanguageExperimentConfig& c) {
  if (uses_labelled_files(c)) {
    const auto spec = labelled_text_spec(c);
    if (spec.regression) return 1;
    SETFORMER_CHECK(spec.labels.size() >= 2, "data.labels: the label set is not known yet");
    return static_cast<int64_t>(spec.labels.size());
  }
  return is_classify(c) ? 2 : is_listops(c) ? 10 : 0;
}

/// The run's own corpora and the user's: a built-in corpus by name, else a file or folder whose
/// documents are split 80/10/10 by a hash of their ids (as the built-in ones were first split).
bool is_builtin_corpus(const std::string& name) {
  const auto& names = data::text_corpora();
  return std::find(names.begin(), names.end(), name) != names.end();
}

data::ListOpsOptions listops_options(const LanguageExperimentConfig& c) {
  const auto o =
      data::ListOpsOptions().min_length(c.listops_min_length).max_length(c.listops_max_length);
  data::validate(o);
  return o;
}

data::SentencePieceTrainOptions sentencepiece_options(const LanguageExperimentConfig& c) {
  data::SentencePieceTrainOptions o;
  o.vocab_size = c.vocab_size;
  o.model_type = c.model_type;
  o.character_coverage = c.character_coverage;
  o.threads = std::max<int64_t>(1, c.threads > 0 ? c.threads : at::get_num_threads());
  return o;
}

void check_config(const LanguageExperimentConfig& c) {
  SETFORMER_CHECK(c.task == "mlm" || c.task == "classify" || c.task == "listops",
                  "task.name = '{}' is not valid; expected mlm | classify | listops", c.task);
  if (is_listops(c)) {
    listops_options(c);
    SETFORMER_CHECK(c.eval_sequences >= 1, "data.eval_sequences must be >= 1 for listops");
  }
  SETFORMER_CHECK(!c.corpora.empty(), "data.corpora must name at least one corpus");
  if (uses_labelled_files(c))
    labelled_text_spec(c);
  else if (is_classify(c))
    SETFORMER_CHECK(c.corpora == std::vector<std::string>{"spam_assassin"},
                    "data.corpora must be [\"spam_assassin\"] for task classify (or set "
                    "data.train_file or task.glue for labelled files of your own)");
  SETFORMER_CHECK(c.glue.empty() || is_classify(c), "task.glue needs task.name = classify");
  SETFORMER_CHECK(c.document == "file" || c.document == "line",
                  "data.document = '{}' is not valid; expected file | line", c.document);
  data::validate(data::TextReadOptions{c.max_record_bytes, c.invalid_utf8, c.bad_rows});
  SETFORMER_CHECK(c.length >= 2, "data.length must be >= 2, got {}", c.length);
  SETFORMER_CHECK(c.batch_size >= 1, "data.batch_size must be >= 1, got {}", c.batch_size);
  SETFORMER_CHECK(c.mask_rate > 0 && c.mask_rate < 1, "data.mask_rate must be in (0, 1), got {}",
                  c.mask_rate);
  SETFORMER_CHECK(c.tokenizer == "sentencepiece" || c.tokenizer == "bpe" || c.tokenizer == "bytes",
                  "tokenizer.kind = '{}' is not valid; expected sentencepiece | bytes | bpe",
                  c.tokenizer);
  if (c.tokenizer == "sentencepiece" && c.tokenizer_model.empty())
    validate(sentencepiece_options(c));
  SETFORMER_CHECK(c.steps >= 1, "optim.steps must be >= 1, got {}", c.steps);
  models::parse_text_positions("model.positions", c.positions);
  attention::parse_enum<models::TextPooling>("model.pooling", c.pooling);
  SETFORMER_CHECK(c.sigma > 0, "model.sigma must be > 0, got {}", c.sigma);
  attention::parse_enum<attention::Values>("model.values", c.values);
  attention::parse_enum<attention::References>("model.references", c.references);
  attention::parse_enum<attention::SimilarityKernel>("model.similarity", c.similarity);
}

models::TextEncoderOptions model_options(const LanguageExperimentConfig& c, int64_t vocab,
                                         int64_t classes) {
  auto o = models::TextEncoderOptions(vocab, classes)
               .dim(c.dim)
               .heads(c.heads)
               .depth(c.depth)
               .mlp_ratio(c.mlp_ratio)
               .dropout(c.dropout)
               .attention_dropout(c.attention_dropout)
               .kernel(c.kernel)
               .positions(models::parse_text_positions("model.positions", c.positions))
               .pooling(attention::parse_enum<models::TextPooling>("model.pooling", c.pooling))
               // One more position for a [CLS] in front.
               .max_length(
                   std::max<int64_t>({c.length, 16, is_listops(c) ? c.listops_max_length : 0}) + 1)
               .pad_id(data::Tokenizer::kPad)
               .segments(uses_labelled_files(c) && labelled_text_spec(c).pairs ? 2 : 0);
  o.kernels()
      .set()
      .num_references(c.m)
      .epsilon(c.epsilon)
      .iterations(c.iterations)
      .sigma(c.sigma)
      .values(attention::parse_enum<attention::Values>("model.values", c.values))
      .references(attention::parse_enum<attention::References>("model.references", c.references))
      .kernel(attention::parse_enum<attention::SimilarityKernel>("model.similarity", c.similarity));
  o.kernels().nystrom().landmarks(c.m);
  o.kernels().inducing().points(c.m);
  return o;
}

data::Corpus read(const LanguageExperimentConfig& c, const std::string& name) {
  if (is_builtin_corpus(name))
    return data::read_corpus(name, c.data_dir, c.splits_dir + "/" + name + ".tsv");
  data::CorpusOptions o;
  o.document = c.document;
  o.text_field = c.text_field;
  o.read = data::TextReadOptions{c.max_record_bytes, c.invalid_utf8, c.bad_rows};
  data::Corpus corpus;
  corpus.name = name;
  for (auto& d : data::read_text_corpus(name, o)) {
    data::Document doc;
    doc.split = data::hashed_split(d.id);
    doc.id = std::move(d.id);
    doc.text = std::move(d.text);
    corpus.documents.push_back(std::move(doc));
  }
  return corpus;
}

/// The run's checkpoint configuration: the config and the tokenizer.
nlohmann::json checkpoint_config(const LanguageExperimentConfig& c, const data::Tokenizer& t) {
  nlohmann::json j = c;
  j["tokenizer_vocabulary"] = t.to_json();
  return j;
}

struct Loaded {
  LanguageExperimentConfig config;
  data::Tokenizer tokenizer;
  Checkpoint info;
};

Loaded read_language_checkpoint(const std::string& path) {
  Loaded l;
  l.info = read_checkpoint_info(path);
  try {
    const auto j = nlohmann::json::parse(l.info.config);
    l.config = j.get<LanguageExperimentConfig>();
    l.tokenizer = data::Tokenizer::from_json(j.at("tokenizer_vocabulary"));
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: not a checkpoint of a language task ({})", path, e.what()));
  }
  return l;
}

/// The model's vocabulary: ListOps' own tokens, else the tokenizer's.
int64_t vocab_of(const LanguageExperimentConfig& c, const data::Tokenizer& tokenizer) {
  return is_listops(c) ? data::listops::kVocab : tokenizer.vocab_size();
}

/// A checkpoint's run (config, tokenizer, step) and its trained model, in eval mode on `device`.
struct LoadedModel {
  Loaded run;
  models::TextEncoder model{nullptr};
};

LoadedModel load_language_model(const std::string& path, const torch::Device& device) {
  LoadedModel l;
  l.run = read_language_checkpoint(path);
  const auto& c = l.run.config;
  check_config(c);
  l.model = models::TextEncoder(model_options(c, vocab_of(c, l.run.tokenizer), classes_of(c)));
  load_checkpoint(path, model_name(c), *l.model);
  l.model->to(device);
  l.model->eval();
  return l;
}

/// The tokenizer's input sentences: the texts' non-empty lines (SentencePiece reads sentences, and
/// skips those longer than its max_sentence_length).
std::vector<std::string_view> sentences_of(const std::vector<std::string>& texts) {
  std::vector<std::string_view> out;
  for (const auto& t : texts) {
    const std::string_view v(t);
    for (size_t start = 0; start < v.size();) {
      auto end = v.find('\n', start);
      if (end == std::string_view::npos) end = v.size();
      const auto line = v.substr(start, end - start);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) out.push_back(line);
      start = end + 1;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> tokenizer_training_texts(const LanguageExperimentConfig& c) {
  std::vector<std::string> texts;
  if (c.tokenizer_corpora.empty() && uses_labelled_files(c)) {
    const auto spec = labelled_text_spec(c);
    for (auto& e :
         data::read_text_examples(spec.train, spec.columns, spec.read, spec.format).examples) {
      texts.push_back(std::move(e.text));
      if (spec.pairs) texts.push_back(std::move(e.text_pair));
    }
    return texts;
  }
  for (const auto& name : c.tokenizer_corpora.empty() ? c.corpora : c.tokenizer_corpora) {
    auto corpus = read(c, name);
    // The built-in corpora's held-out splits stay unseen; the user's text is used whole (a single
    // file would otherwise fall in one split).
    if (!is_builtin_corpus(name)) {
      for (auto& d : corpus.documents) texts.push_back(std::move(d.text));
      continue;
    }
    for (const auto* d : corpus.documents_in(data::Split::train)) texts.push_back(d->text);
  }
  return texts;
}

data::Tokenizer build_tokenizer(const LanguageExperimentConfig& c,
                                const std::function<void(const std::string&)>& print) {
  if (!c.init.empty()) return read_language_checkpoint(c.init).tokenizer;
  if (c.tokenizer == "bytes") return data::Tokenizer();
  if (c.tokenizer == "sentencepiece" && !c.tokenizer_model.empty())
    return data::Tokenizer::from_sentencepiece(read_file(c.tokenizer_model), c.tokenizer_model);
  const auto texts = tokenizer_training_texts(c);
  if (c.tokenizer == "sentencepiece") {
    const auto sentences = sentences_of(texts);
    print(fmt::format("training a SentencePiece {} model of {} pieces on {} lines of {} texts",
                      c.model_type, c.vocab_size, sentences.size(), texts.size()));
    return data::Tokenizer::train_sentencepiece(sentences, sentencepiece_options(c));
  }
  print(fmt::format("training a BPE vocabulary of {} tokens on {} training documents", c.vocab_size,
                    texts.size()));
  return data::Tokenizer::train_bpe(texts, c.vocab_size);
}

namespace {

namespace F = torch::nn::functional;

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return F::cross_entropy(logits.reshape({-1, logits.size(-1)}), labels.reshape({-1}),
                          F::CrossEntropyFuncOptions().ignore_index(data::kIgnoreLabel));
}

/// The MLM head on the masked positions only: logits [k, V] and their targets [k]. The other
/// positions carry no loss, and at a 15% rate scoring all n·V logits costs about 7× more.
std::pair<torch::Tensor, torch::Tensor> mlm_predictions(models::TextEncoder& model,
                                                        const data::MaskedTokens& masked,
                                                        const torch::Device& device) {
  const auto labels = masked.labels.to(device);
  const auto selected = labels.ne(data::kIgnoreLabel);
  const auto hidden = model->forward(masked.inputs.to(device));
  return {model->mlm_logits(hidden.index({selected})), labels.index({selected})};
}

/// The run's text, tokenized once: the training documents (the token stream of mlm, the e-mails
/// of classify) and the held-out ones (the validation split of mlm, the test e-mails of
/// classify) with their ids. Empty for ListOps, whose sequences are generated.
struct LanguageData {
  data::TokenizedDocuments train_tokens, eval_tokens;
  std::vector<std::string> eval_ids;
  /// The user's labelled files (uses_labelled_files): training and evaluation splits.
  LabelledSplit labelled_train;
  std::vector<LabelledSplit> labelled_eval;
};

LanguageData read_language_data(const LanguageExperimentConfig& c, const data::Tokenizer& tokenizer,
                                bool training,
                                const std::function<void(const std::string&)>& print) {
  LanguageData d;
  if (is_listops(c)) return d;
  if (uses_labelled_files(c)) {
    const auto spec = labelled_text_spec(c);
    if (training)
      d.labelled_train =
          read_labelled_split(spec, {"train", spec.train, ""}, tokenizer, c.length, true, print);
    for (const auto& split : spec.eval)
      d.labelled_eval.push_back(read_labelled_split(spec, split, tokenizer, c.length, true, print));
    return d;
  }
  std::vector<data::Corpus> corpora;
  for (const auto& name : c.corpora) corpora.push_back(read(c, name));
  std::vector<const data::Document*> train_docs, eval_docs;
  for (const auto& corpus : corpora) {
    SETFORMER_CHECK(!training || !corpus.documents_in(data::Split::train).empty(),
                    "{}: none of its {} documents fell in the training split (80% of documents, "
                    "by a hash of their ids); with few files, data.document = line makes each line "
                    "a document",
                    corpus.name, corpus.documents.size());
    if (training)
      for (const auto* doc : corpus.documents_in(data::Split::train)) train_docs.push_back(doc);
    const auto held_out =
        corpus.documents_in(is_classify(c) ? data::Split::test : data::Split::validation);
    eval_docs.insert(eval_docs.end(), held_out.begin(), held_out.end());
  }
  const int64_t cut = is_classify(c) ? c.length : 0;
  d.train_tokens = data::tokenize_documents(train_docs, tokenizer, cut);
  d.eval_tokens = data::tokenize_documents(eval_docs, tokenizer, cut);
  for (const auto* doc : eval_docs) d.eval_ids.push_back(doc->id);
  return d;
}

/// The held-out evaluation of a run (mlm: masked-token loss and accuracy on validation windows
/// with fixed masks; classify: accuracy, spam F1 and the ids of the misread test e-mails;
/// listops: accuracy on the test sequences), in eval mode. Training's evaluations and `language
/// eval` both call it, so a checkpoint evaluated later gives its run's figures.
nlohmann::json evaluate_language(const LanguageExperimentConfig& c, models::TextEncoder& model,
                                 const LanguageData& text, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  nlohmann::json metrics;
  if (uses_labelled_files(c)) {
    metrics =
        evaluate_labelled(model, labelled_text_spec(c), text.labelled_eval, c.batch_size, device);
  } else if (is_listops(c)) {
    double hits = 0;
    for (int64_t first = 0; first < c.eval_sequences; first += c.batch_size) {
      const int64_t n = std::min(c.batch_size, c.eval_sequences - first);
      const auto [tokens, labels] = data::listops_batch(listops_options(c), c.test_seed, first, n);
      hits += model->classify(tokens.to(device)).argmax(-1).cpu().eq(labels).sum().item<double>();
    }
    metrics["test_accuracy"] = hits / static_cast<double>(c.eval_sequences);
  } else if (is_classify(c)) {
    const auto n = static_cast<int64_t>(text.eval_ids.size());
    const int64_t count = c.eval_sequences > 0 ? std::min(c.eval_sequences, n) : n;
    double hits = 0, tp = 0, fp = 0, fn = 0;
    // The ids of the misread e-mails, so that rows with equal accuracy can be told apart (and
    // the hard ones found) without their checkpoints.
    std::vector<std::string> errors;
    for (int64_t first = 0; first < count; first += c.batch_size) {
      std::vector<int64_t> indices;
      // Evenly spread over the split (it lists the groups in order: ham first).
      for (int64_t i = first; i < std::min(count, first + c.batch_size); ++i)
        indices.push_back(i * n / count);
      const auto [tokens, labels] = data::classification_batch(text.eval_tokens, indices, c.length);
      const auto predicted = model->classify(tokens.to(device)).argmax(-1).cpu();
      hits += predicted.eq(labels).sum().item<double>();
      tp += (predicted.eq(1) & labels.eq(1)).sum().item<double>();
      fp += (predicted.eq(1) & labels.eq(0)).sum().item<double>();
      fn += (predicted.eq(0) & labels.eq(1)).sum().item<double>();
      const auto wrong = predicted.ne(labels);
      for (size_t i = 0; i < indices.size(); ++i) {
        if (wrong[static_cast<int64_t>(i)].item<bool>())
          errors.push_back(text.eval_ids[static_cast<size_t>(indices[i])]);
      }
    }
    metrics["test_accuracy"] = hits / static_cast<double>(count);
    metrics["test_f1"] = tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
    metrics["test_errors"] = errors;
  } else {
    const data::TokenStream stream(text.eval_tokens);
    const int64_t vocab = model->options.vocab();
    const int64_t count = std::min(c.eval_sequences, stream.window_count(c.length));
    SETFORMER_CHECK(count >= 1, "the validation split holds no window of {} tokens", c.length);
    double loss = 0, hits = 0, total = 0;
    for (int64_t first = 0; first < count; first += c.batch_size) {
      const int64_t n = std::min(c.batch_size, count - first);
      const auto masked = data::mask_tokens(stream.windows(first, n, c.length), c.mask_rate,
                                            data::Tokenizer::kMask, data::Tokenizer::kSpecials,
                                            vocab, data::mix(0xE7A1, static_cast<uint64_t>(first)));
      const auto [logits, targets] = mlm_predictions(model, masked, device);
      const double k = static_cast<double>(targets.size(0));
      loss += cross_entropy(logits, targets).item<double>() * k;
      hits += logits.argmax(-1).eq(targets).sum().item<double>();
      total += k;
    }
    metrics["valid_mlm_loss"] = loss / total;
    metrics["valid_mlm_accuracy"] = hits / total;
  }
  model->train(was_training);
  return metrics;
}

}  // namespace

models::TextEncoder build_language_model(const LanguageExperimentConfig& config) {
  check_config(config);
  const auto c =
      uses_labelled_files(config) ? with_labels(config, [](const std::string&) {}) : config;
  int64_t vocab = c.vocab_size;
  if (is_listops(c)) {
    vocab = data::listops::kVocab;
  } else if (!c.init.empty() && std::filesystem::exists(c.init)) {
    // (a dry run of a config whose pre-training has not run yet counts the vocabulary below)
    vocab = read_language_checkpoint(c.init).tokenizer.vocab_size();
  } else if (c.tokenizer == "bytes") {
    vocab = data::Tokenizer().vocab_size();
  } else if (c.tokenizer == "sentencepiece") {
    vocab = c.tokenizer_model.empty() ? data::Tokenizer::kSpecials + c.vocab_size
                                      : data::Tokenizer::from_sentencepiece(
                                            read_file(c.tokenizer_model), c.tokenizer_model)
                                            .vocab_size();
  }
  torch::manual_seed(c.seed);
  return models::TextEncoder(model_options(c, vocab, classes_of(c)));
}

std::string describe_language_experiment(const LanguageExperimentConfig& c) {
  parse_device(c.device);
  auto model = build_language_model(c);
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  return fmt::format(
      "{} ({}, kernel {}): {:.3f} M parameters, {:.2f} GFLOPs per sequence of {} tokens, {} "
      "steps of {}",
      c.row.empty() ? "text encoder" : c.row, c.task, c.kernel,
      static_cast<double>(parameters) / 1e6,
      model->flops(is_listops(c) ? c.listops_max_length : c.length) / 1e9,
      is_listops(c) ? c.listops_max_length : c.length, c.steps, c.batch_size);
}

std::string describe_language_data(const LanguageExperimentConfig& c) {
  check_config(c);
  if (is_listops(c)) {
    return fmt::format("generated ListOps sequences of {}..{} tokens; {} test sequences (seed {})",
                       c.listops_min_length, c.listops_max_length, c.eval_sequences, c.test_seed);
  }
  const auto trained_on = c.tokenizer_corpora.empty()
                              ? std::string("the run's training text")
                              : fmt::format("{}", fmt::join(c.tokenizer_corpora, ", "));
  const std::string tokenizer =
      !c.init.empty()              ? "the tokenizer of " + c.init
      : c.tokenizer == "bytes"     ? std::string("bytes")
      : !c.tokenizer_model.empty() ? "the SentencePiece model " + c.tokenizer_model
      : c.tokenizer == "sentencepiece"
          ? fmt::format("a SentencePiece {} model of {} pieces trained on {}", c.model_type,
                        c.vocab_size, trained_on)
          : fmt::format("a BPE vocabulary of {} tokens trained on {}", c.vocab_size, trained_on);
  if (uses_labelled_files(c)) {
    const auto spec = labelled_text_spec(c);
    std::vector<std::string> eval;
    for (const auto& e : spec.eval) eval.push_back(e.name + " " + e.path);
    return fmt::format(
        "{}{} {} from {} (text column '{}'{}, label column '{}'), evaluated on {}; {} tokens "
        "per {}; tokenizer: {}",
        spec.glue.empty() ? "" : "GLUE " + spec.glue + ": ",
        spec.regression ? "regression" : "classification",
        spec.pairs ? "of text pairs" : "of texts", spec.train, spec.columns.text,
        spec.pairs ? ", pair column '" + spec.columns.text_pair + "'" : std::string(),
        spec.columns.label,
        eval.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(eval, ", ")), c.length,
        spec.pairs ? "pair" : "text", tokenizer);
  }
  return fmt::format("corpora {} in {} (splits in {}), {} tokens per sequence; tokenizer: {}",
                     fmt::join(c.corpora, ", "), c.data_dir, c.splits_dir, c.length, tokenizer);
}

LanguageTrainResult train_language_experiment(
    const LanguageExperimentConfig& config, const std::function<void(const std::string&)>& print) {
  check_config(config);
  // The label set, once read from the training file, is part of the run's config (and checkpoint).
  const auto c = uses_labelled_files(config) ? with_labels(config, print) : config;
  const bool labelled = uses_labelled_files(c);
  const auto spec = labelled ? labelled_text_spec(c) : LabelledTextSpec();
  const auto device = parse_device(c.device);
  // Before any tensor exists: the tracker must own every CPU allocation it later frees.
  if (device.is_cpu()) install_cpu_memory_tracker();
  // ListOps brings its own tokens; the byte tokenizer stands in, unused, in its checkpoints.
  const auto tokenizer = is_listops(c) ? data::Tokenizer() : build_tokenizer(c, print);
  const int64_t vocab = vocab_of(c, tokenizer);
  const auto text = read_language_data(c, tokenizer, /*training=*/true, print);
  const data::TokenStream train_stream(text.train_tokens);
  const auto train_examples = static_cast<int64_t>(text.labelled_train.examples.ids.size());

  torch::manual_seed(c.seed);
  models::TextEncoder model(model_options(c, vocab, classes_of(c)));
  if (!c.init.empty()) {
    // The pre-trained encoder: every parameter but the classification head, and the buffers
    // (Performer's random features, which its projections were trained against).
    const auto init = read_language_checkpoint(c.init);
    models::TextEncoder source(model_options(init.config, vocab, 0));
    load_checkpoint(c.init, kMlmModel, *source);
    torch::NoGradGuard no_grad;
    const auto copy = [&](auto target, const auto& from, const char* what) {
      for (const auto& p : from) {
        SETFORMER_CHECK(target.contains(p.key()) && target[p.key()].sizes() == p.value().sizes(),
                        "{}: {} '{}' does not fit this model (model.* must match the "
                        "pre-training run)",
                        c.init, what, p.key());
        target[p.key()].copy_(p.value());
      }
    };
    copy(model->named_parameters(), source->named_parameters(), "parameter");
    copy(model->named_buffers(), source->named_buffers(), "buffer");
  }
  model->to(device);
  LanguageTrainResult result;
  for (const auto& p : model->parameters()) result.parameters += p.numel();
  print(describe_language_experiment(c) +
        (labelled ? fmt::format("; tokenizer {} ({} tokens), {} training examples",
                                tokenizer.kind(), vocab, train_examples)
                  : fmt::format("; tokenizer {} ({} tokens), {} training tokens", tokenizer.kind(),
                                vocab, train_stream.size())));
  std::vector<std::string> curves{"loss"};
  if (!spec.regression) curves.push_back("accuracy");
  if (labelled) {
    const auto keys = labelled_metric_keys(spec);
    curves.insert(curves.end(), keys.begin(), keys.end());
  } else if (is_classify(c)) {
    curves.insert(curves.end(), {"test_accuracy", "test_f1"});
  } else if (is_listops(c)) {
    curves.push_back("test_accuracy");
  } else {
    curves.insert(curves.end(), {"valid_mlm_loss", "valid_mlm_accuracy"});
  }

  reset_peak_memory(device);
  const int64_t per_eval = c.eval_every > 0 ? std::min(c.eval_every, c.steps) : c.steps;
  Trainer trainer(*model, TrainerOptions()
                              .out_dir(c.out)
                              .model_name(model_name(c))
                              .config_json(checkpoint_config(c, tokenizer).dump())
                              .total_steps(c.steps)
                              .steps_per_epoch(per_eval)
                              .optim(OptimOptions()
                                         .lr(c.lr)
                                         .min_lr(c.lr * 0.01)
                                         .warmup_steps(c.warmup_steps)
                                         .weight_decay(c.weight_decay)
                                         .clip_norm(c.clip_norm))
                              .checkpoint_every(c.checkpoint_every)
                              .log_every(c.log_every)
                              .eval_every_epochs(c.eval_every > 0 ? 1 : 0)
                              .resume(c.resume)
                              .unit(is_classify(c) || is_listops(c) ? "seq" : "tok")
                              .curves(curves));
  // A classification step's examples: batch_size draws from `count`, a function of (seed, step).
  const auto sampled = [&](int64_t s, int64_t count) {
    data::Random random(data::mix(c.seed, static_cast<uint64_t>(s), 0xC1A5));
    std::vector<int64_t> indices;
    for (int64_t b = 0; b < c.batch_size; ++b) indices.push_back(random.integer(0, count - 1));
    return indices;
  };
  const auto step = [&](int64_t s) {
    StepOutput out;
    // The text is tokenized before training; a step's batch is sampled, padded (and masked) on the
    // training thread. Its share of the step is the progress line's "data" figure.
    const auto started = std::chrono::steady_clock::now();
    const auto batch_made = [&] {
      out.data_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    if (labelled) {
      const auto batch = data::pair_batch(text.labelled_train.examples, sampled(s, train_examples),
                                          spec.regression);
      batch_made();
      std::tie(out.loss, out.correct) = labelled_loss(model, batch, spec.regression, device);
      out.count = c.batch_size;
    } else if (is_listops(c)) {
      const auto [tokens, labels] =
          data::listops_batch(listops_options(c), c.seed, s * c.batch_size, c.batch_size);
      const auto logits = model->classify(tokens.to(device));
      out.loss = cross_entropy(logits, labels.to(device));
      out.correct = logits.argmax(-1).eq(labels.to(device)).sum();
      out.count = c.batch_size;
    } else if (is_classify(c)) {
      const auto [tokens, labels] = data::classification_batch(
          text.train_tokens, sampled(s, static_cast<int64_t>(text.train_tokens.ids.size())),
          c.length);
      batch_made();
      const auto logits = model->classify(tokens.to(device));
      out.loss = cross_entropy(logits, labels.to(device));
      out.correct = logits.argmax(-1).eq(labels.to(device)).sum();
      out.count = c.batch_size;
    } else {
      const auto windows = train_stream.random_windows(c.batch_size, c.length, c.seed, s);
      const auto masked = data::mask_tokens(windows, c.mask_rate, data::Tokenizer::kMask,
                                            data::Tokenizer::kSpecials, vocab,
                                            data::mix(c.seed, static_cast<uint64_t>(s), 0x3A5C));
      batch_made();
      const auto [logits, targets] = mlm_predictions(model, masked, device);
      out.loss = cross_entropy(logits, targets);
      out.correct = logits.argmax(-1).eq(targets).sum();
      out.count = targets.size(0);
    }
    return out;
  };
  const auto evaluate = [&]() -> nlohmann::json {
    result.metrics = evaluate_language(c, model, text, device);
    return result.metrics;
  };
  result.summary = trainer.run(step, evaluate, print);
  if (result.summary.interrupted) return result;
  result.metrics["peak_train_mib"] =
      static_cast<double>(peak_memory_bytes(device)) / (1024.0 * 1024.0);
  write_file_atomic(c.out + "/summary.json",
                    run_summary(c.task, c.row, result.parameters, result.metrics,
                                result.summary.steps_done, result.summary.train_seconds, c.device,
                                c, {{"kernel", c.kernel}, {"tokenizer_vocab", vocab}})
                            .dump(2) +
                        "\n");
  return result;
}

nlohmann::json evaluate_language_checkpoint(const std::string& checkpoint,
                                            const std::string& device_name,
                                            const std::string& data_root) {
  const auto device = parse_device(device_name);
  auto loaded = load_language_model(checkpoint, device);
  auto& c = loaded.run.config;
  if (!data_root.empty()) c.root = data_root;
  const auto text =
      read_language_data(c, loaded.run.tokenizer, /*training=*/false, [](const std::string&) {});
  return {{"checkpoint", checkpoint},
          {"task", c.task},
          {"row", c.row},
          {"step", loaded.run.info.step},
          {"metrics", evaluate_language(c, loaded.model, text, device)}};
}

namespace {

/// A classification row from before runs listed their misread e-mails takes the list from the
/// eval.json that `setformer eval` wrote beside its summary, once that evaluation is shown to be
/// of the row's final weights: the same step, accuracy and F1.
void take_errors_from_eval(nlohmann::json& run, const std::string& summary) {
  if (run["task"] != "classify" || run["metrics"].contains("test_errors")) return;
  const auto path = (std::filesystem::path(summary).parent_path() / "eval.json").string();
  if (!std::filesystem::exists(path)) return;
  nlohmann::json e;
  try {
    e = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(fmt::format("{}: not JSON ({})", path, error.what()));
  }
  // Files that do not fit, like summaries that do not (read_summaries), are runtime errors.
  if (!(e.contains("step") && e.contains("metrics") && e["metrics"].contains("test_errors") &&
        e["metrics"].contains("test_accuracy") && e["metrics"].contains("test_f1")))
    throw std::runtime_error(
        fmt::format("{}: not an evaluation of a classifier written by setformer eval", path));
  const auto& m = run["metrics"];
  const auto same = [&](const char* key) {
    return m.contains(key) &&
           std::abs(m[key].get<double>() - e["metrics"][key].get<double>()) < 1e-12;
  };
  if (!(e["step"] == run["steps"] && same("test_accuracy") && same("test_f1")))
    throw std::runtime_error(
        fmt::format("{}: its evaluation (step {}, test_accuracy {}) is not of the run in {} (step "
                    "{}, test_accuracy {}); evaluate the row's final checkpoint again",
                    path, e["step"].dump(), e["metrics"]["test_accuracy"].dump(), summary,
                    run["steps"].dump(), m.value("test_accuracy", nlohmann::json()).dump()));
  run["metrics"]["test_errors"] = e["metrics"]["test_errors"];
}

/// Which classification rows misread which test e-mails, per length, the e-mails most rows miss
/// first: whether rows of equal accuracy fail on the same e-mails. Empty when no row lists its
/// errors (runs from before test_errors).
std::string misread_table(const std::vector<nlohmann::json>& runs) {
  // length -> rows that list their errors, and e-mail -> the rows that misread it.
  std::map<int64_t, int64_t> listing;
  std::map<std::pair<int64_t, std::string>, std::vector<std::string>> misread;
  for (const auto& r : runs) {
    if (r["task"] != "classify" || !r["metrics"].contains("test_errors")) continue;
    const int64_t length = r["config"].value("length", int64_t{0});
    ++listing[length];
    for (const auto& id : r["metrics"]["test_errors"])
      misread[{length, id.get<std::string>()}].push_back(r["row"].get<std::string>());
  }
  if (listing.empty()) return "";
  std::vector<std::pair<std::pair<int64_t, std::string>, std::vector<std::string>>> order(
      misread.begin(), misread.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.first.first, -static_cast<int64_t>(a.second.size())) <
           std::make_pair(b.first.first, -static_cast<int64_t>(b.second.size()));
  });
  io::Table table;
  table.columns = {"length", "test e-mail", "misread by"};
  for (const auto& [key, rows] : order) {
    table.add(
        {std::to_string(key.first), key.second,
         fmt::format("{} of {}: {}", rows.size(), listing[key.first], fmt::join(rows, "; "))});
  }
  return "Misread test e-mails (rows that list them in `test_errors`):\n\n" + table.markdown();
}

/// Classification accuracy in the layout of the SeTformer paper's Table 11: a row per kernel, a
/// column per length, without and with pre-training. Only rows with the kernel's default
/// settings take part (SeT's ablations stay in the main table); two runs in one cell show both.
/// Empty when no row qualifies.
std::string accuracy_by_length(const std::vector<nlohmann::json>& runs) {
  const LanguageExperimentConfig defaults;
  using Column = std::pair<int64_t, bool>;  // length, pre-trained
  std::vector<std::string> kernels;
  std::map<std::string, std::map<Column, std::vector<std::string>>> cells;
  std::set<Column> columns;
  for (const auto& r : runs) {
    if (r["task"] != "classify" || !r["metrics"].contains("test_accuracy")) continue;
    const auto c = r["config"].get<LanguageExperimentConfig>();
    if (c.values != defaults.values || c.references != defaults.references ||
        c.similarity != defaults.similarity || c.positions != defaults.positions ||
        c.pooling != defaults.pooling || c.m != defaults.m || c.sigma != defaults.sigma ||
        c.epsilon != defaults.epsilon || c.iterations != defaults.iterations)
      continue;
    const Column column{c.length, !c.init.empty()};
    columns.insert(column);
    if (!cells.count(c.kernel)) kernels.push_back(c.kernel);
    cells[c.kernel][column].push_back(
        fmt::format("{:.2f}%", 100 * r["metrics"]["test_accuracy"].get<double>()));
  }
  if (kernels.empty()) return "";
  // In the library's order of kernels (softmax, then SeT, then the efficient baselines).
  const auto& order = attention::attention_kernels();
  const auto rank = [&](const std::string& k) { return std::find(order.begin(), order.end(), k); };
  std::stable_sort(kernels.begin(), kernels.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  io::Table table;
  table.columns = {"kernel"};
  for (const auto& [length, pretrained] : columns)
    table.columns.push_back(std::to_string(length) + (pretrained ? ", pre-trained" : ""));
  for (const auto& kernel : kernels) {
    std::vector<std::string> row{kernel};
    for (const auto& column : columns) {
      const auto it = cells[kernel].find(column);
      row.push_back(it == cells[kernel].end() ? "—"
                                              : fmt::format("{}", fmt::join(it->second, " / ")));
    }
    table.add(row);
  }
  return "Test accuracy by kernel and length (the rows with each kernel's default settings):\n\n" +
         table.markdown();
}

}  // namespace

std::string write_language_table(const std::vector<std::string>& files, const std::string& out,
                                 const std::string& command) {
  auto runs = read_summaries(files, {"task", "row", "metrics", "steps", "train_seconds"}, {},
                             "setformer train");
  for (size_t i = 0; i < runs.size(); ++i) take_errors_from_eval(runs[i], files[i]);
  // Grouped by task and length (the kernels of one length side by side), else in the given order.
  const auto group = [](const nlohmann::json& r) {
    return std::make_pair(r["task"].get<std::string>(), r["config"].value("length", int64_t{0}));
  };
  std::stable_sort(runs.begin(), runs.end(),
                   [&](const auto& a, const auto& b) { return group(a) < group(b); });
  const auto number = [](const nlohmann::json& m, const char* key, bool percent, int digits) {
    if (!m.contains(key)) return std::string("—");
    const double v = m[key].get<double>();
    return percent ? fmt::format("{:.{}f}%", 100 * v, digits) : fmt::format("{:.{}f}", v, digits);
  };
  io::Table table;
  table.columns = {"task",          "model", "kernel",     "length",  "accuracy",
                   "F1 / MLM loss", "steps", "train time", "peak MiB"};
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : runs) {
    const auto& m = r["metrics"];
    const auto& config = r["config"];
    const bool mlm = r["task"] == "mlm";
    const auto length = r["task"] == "listops"
                            ? fmt::format("{}–{}", config.value("listops_min_length", 0),
                                          config.value("listops_max_length", 0))
                            : std::to_string(config.value("length", 0));
    table.add({r["task"], r["row"], config.value("kernel", "?"), length,
               mlm ? number(m, "valid_mlm_accuracy", true, 2) : number(m, "test_accuracy", true, 2),
               mlm ? number(m, "valid_mlm_loss", false, 4) : number(m, "test_f1", false, 4),
               std::to_string(r["steps"].get<int64_t>()),
               format_duration(r["train_seconds"].get<double>()),
               number(m, "peak_train_mib", false, 0)});
    rows.push_back({{"task", r["task"]},
                    {"row", r["row"]},
                    {"kernel", config.value("kernel", "?")},
                    {"metrics", m},
                    {"steps", r["steps"]},
                    {"train_seconds", r["train_seconds"]}});
  }
  // ListOps: what no model reaches, on the same test sequences as the rows (one pair of rows per
  // setting of lengths and seeds).
  std::set<std::tuple<int64_t, int64_t, uint64_t, uint64_t, int64_t>> settings;
  for (const auto& r : runs) {
    if (r["task"] != "listops") continue;
    const auto& c = r["config"];
    settings.insert({c.value("listops_min_length", int64_t{0}),
                     c.value("listops_max_length", int64_t{0}), c.value("seed", uint64_t{0}),
                     c.value("test_seed", uint64_t{0}), c.value("eval_sequences", int64_t{0})});
  }
  nlohmann::json baselines = nlohmann::json::array();
  for (const auto& [min_length, max_length, seed, test_seed, count] : settings) {
    const auto b = data::listops_baselines(
        data::ListOpsOptions().min_length(min_length).max_length(max_length), seed,
        kListOpsBaselineTraining, test_seed, count);
    const auto length = fmt::format("{}–{}", min_length, max_length);
    for (const auto& [name, accuracy] :
         {std::pair<std::string, double>{"no model: the most frequent value", b.most_frequent},
          {"no model: the root operator's most frequent value", b.root_operator}})
      table.add({"listops", name, "—", length, fmt::format("{:.2f}%", 100 * accuracy), "—", "—",
                 "—", "—"});
    baselines.push_back({{"listops_min_length", min_length},
                         {"listops_max_length", max_length},
                         {"test_sequences", count},
                         {"most_frequent", b.most_frequent},
                         {"root_operator", b.root_operator}});
  }
  nlohmann::json extra = {{"rows", rows}};
  if (!baselines.empty()) extra["listops_baselines"] = baselines;
  auto appendix = accuracy_by_length(runs);
  const auto misread = misread_table(runs);
  if (!appendix.empty() && !misread.empty()) appendix += "\n";
  return write_results_table(table, runs, extra, out, command, appendix + misread);
}

TextClassifier load_text_classifier(const std::string& checkpoint, const std::string& device) {
  auto loaded = load_language_model(checkpoint, parse_device(device));
  SETFORMER_CHECK(is_classify(loaded.run.config),
                  "{}: a checkpoint of task '{}', not of a classifier (task classify)", checkpoint,
                  loaded.run.config.task);
  return TextClassifier{loaded.run.config, loaded.run.tokenizer, loaded.model};
}

namespace {

/// A token's text for people: its bytes in quotes, line ends and tabs escaped.
std::string quoted_token(const data::Tokenizer& tokenizer, int64_t id) {
  std::string out = "'";
  for (const char ch : tokenizer.token_bytes(id)) {
    if (ch == '\n')
      out += "\\n";
    else if (ch == '\t')
      out += "\\t";
    else
      out += ch;
  }
  return out + "'";
}

/// The tokens of `text` with every "[MASK]" replaced by the mask token.
std::vector<int64_t> encode_with_masks(const data::Tokenizer& tokenizer, const std::string& text) {
  static const std::string marker = "[MASK]";
  std::vector<int64_t> ids;
  size_t start = 0;
  for (;;) {
    const auto at = text.find(marker, start);
    const auto piece = tokenizer.encode(text.substr(start, at - start));
    ids.insert(ids.end(), piece.begin(), piece.end());
    if (at == std::string::npos) return ids;
    ids.push_back(data::Tokenizer::kMask);
    start = at + marker.size();
  }
}

std::string fill_masks(models::TextEncoder& model, const data::Tokenizer& tokenizer,
                       const LanguageExperimentConfig& c, const std::string& path, int64_t top) {
  const auto ids = encode_with_masks(tokenizer, read_file(path));
  SETFORMER_CHECK(std::count(ids.begin(), ids.end(), data::Tokenizer::kMask) > 0,
                  "{}: no [MASK] in the text; mark each token to predict with [MASK]", path);
  SETFORMER_CHECK(static_cast<int64_t>(ids.size()) <= c.length,
                  "{}: {} tokens, but the model was trained on sequences of at most {}", path,
                  ids.size(), c.length);
  const auto device = model->parameters().front().device();
  const auto tokens = torch::tensor(ids, torch::kLong).unsqueeze(0).to(device);
  const auto masked = tokens[0].eq(data::Tokenizer::kMask);
  const auto probabilities =
      torch::softmax(model->mlm_logits(model->forward(tokens)[0].index({masked})), -1).cpu();
  const int64_t k = std::min<int64_t>(std::max<int64_t>(1, top), probabilities.size(1));
  const auto [values, indices] = probabilities.topk(k, 1);
  std::string line = path + ":";
  for (int64_t m = 0; m < probabilities.size(0); ++m) {
    line += fmt::format("  [MASK] {}:", m + 1);
    for (int64_t j = 0; j < k; ++j) {
      line += fmt::format(" {} {:.3f}", quoted_token(tokenizer, indices[m][j].item<int64_t>()),
                          values[m][j].item<double>());
    }
  }
  return line;
}

std::vector<std::string> solve_listops(models::TextEncoder& model, const std::string& path) {
  const auto device = model->parameters().front().device();
  std::vector<std::string> lines;
  const auto text = read_file(path);
  std::istringstream in(text);
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<int64_t> tokens;
    int64_t value = 0;
    try {
      tokens = data::parse_listops(line);
      value = data::evaluate_listops(tokens);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{} line {}: {}", path, number, e.what()));
    }
    const auto input = torch::tensor(tokens, torch::kLong).unsqueeze(0).to(device);
    const auto predicted = model->classify(input).argmax(-1).item<int64_t>();
    lines.push_back(
        fmt::format("{} line {}: {} (evaluates to {})", path, number, predicted, value));
  }
  return lines;
}

}  // namespace

std::vector<std::string> predict_language(const std::string& checkpoint,
                                          const std::vector<std::string>& inputs,
                                          const TextPredictOptions& options,
                                          const std::string& device) {
  SETFORMER_CHECK(!inputs.empty(), "no inputs: give text files (or - for standard input)");
  for (const auto& path : inputs)
    SETFORMER_CHECK(path == "-" || std::filesystem::is_regular_file(path), "{}: file not found",
                    path);
  auto loaded = load_language_model(checkpoint, parse_device(device));
  auto& c = loaded.run.config;
  if (!options.data_root.empty()) c.root = options.data_root;
  torch::NoGradGuard no_grad;
  std::vector<std::string> lines;
  if (uses_labelled_files(c)) {
    const auto spec = labelled_text_spec(c);
    const auto texts = read_text_inputs(spec, inputs, loaded.run.tokenizer, c.length);
    const auto outputs = labelled_outputs(loaded.model, texts.examples, options.batch_size,
                                          spec.regression, parse_device(device));
    return format_predictions(spec, texts, outputs, options.json);
  }
  for (const auto& path : inputs)
    SETFORMER_CHECK(path != "-", "standard input is read by classifiers of labelled files only");
  if (is_classify(c)) {
    std::vector<std::string> texts;
    for (const auto& path : inputs) texts.push_back(read_file(path));
    TextClassifier classifier{c, loaded.run.tokenizer, loaded.model};
    const auto p = classify_texts(classifier, texts);
    for (size_t i = 0; i < p.size(); ++i)
      lines.push_back(
          fmt::format("{}\t{}\tp(spam) = {:.4f}", inputs[i], p[i] >= 0.5 ? "spam" : "ham", p[i]));
  } else if (is_listops(c)) {
    for (const auto& path : inputs) {
      const auto answers = solve_listops(loaded.model, path);
      lines.insert(lines.end(), answers.begin(), answers.end());
    }
  } else {
    for (const auto& path : inputs)
      lines.push_back(fill_masks(loaded.model, loaded.run.tokenizer, c, path, options.top));
  }
  return lines;
}

std::vector<std::string> write_glue_submission(
    const std::string& checkpoint, const std::string& dir, const TextPredictOptions& options,
    const std::string& device, const std::function<void(const std::string&)>& print) {
  auto loaded = load_language_model(checkpoint, parse_device(device));
  auto& c = loaded.run.config;
  if (!options.data_root.empty()) c.root = options.data_root;
  SETFORMER_CHECK(uses_labelled_files(c),
                  "{}: --glue-submission needs a classifier of labelled files (task.glue or "
                  "data.test_files), not a run of task '{}'",
                  checkpoint, c.task);
  const auto spec = labelled_text_spec(c);
  SETFORMER_CHECK(!spec.test.empty(), "{}: the run has no test files (data.test_files)",
                  checkpoint);
  std::filesystem::create_directories(dir);
  std::vector<std::string> written;
  for (const auto& split : spec.test) {
    if (!std::filesystem::is_regular_file(split.path) && split.name == "ax") {
      print(fmt::format("{}: not found; AX.tsv (GLUE's diagnostic set) is left out", split.path));
      continue;
    }
    const auto rows = read_labelled_split(spec, split, loaded.run.tokenizer, c.length,
                                          /*labelled=*/false, print);
    const auto outputs = labelled_outputs(loaded.model, rows.examples, options.batch_size,
                                          spec.regression, parse_device(device));
    const auto path = (std::filesystem::path(dir) /
                       (split.submission.empty() ? split.name + ".tsv" : split.submission))
                          .string();
    write_file_atomic(path, submission_file(spec, rows.ids, outputs));
    print(fmt::format("{}: {} predictions for {}", path, rows.ids.size(), split.path));
    written.push_back(path);
  }
  return written;
}

std::vector<double> classify_texts(TextClassifier& t, const std::vector<std::string>& texts) {
  torch::NoGradGuard no_grad;
  const auto device = t.model->parameters().front().device();
  std::vector<double> out;
  for (const auto& text : texts) {
    auto ids = t.tokenizer.encode(text);
    SETFORMER_CHECK(!ids.empty(), "classify: an empty document");
    if (static_cast<int64_t>(ids.size()) > t.config.length)
      ids.resize(static_cast<size_t>(t.config.length));
    const auto tokens = torch::tensor(ids, torch::kLong).unsqueeze(0).to(device);
    out.push_back(torch::softmax(t.model->classify(tokens), -1)[0][1].item<double>());
  }
  return out;
}

}  // namespace setformer::tasks

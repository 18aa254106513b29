#include "setformer/tasks/seq2seq.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/core/runtime.h"
#include "setformer/io/table.h"
#include "setformer/train/checkpoint.h"
#include "setformer/train/progress.h"
#include "setformer/train/result_tables.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace setformer::tasks {

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

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    SequenceExperimentConfig, task, row, note, symbols, min_length, max_length, digits,
    pad_operands, reverse_sum, reverse_operands, mixed_digits, batch_size, test_examples,
    eval_batch_size, test_seed, dim, heads, ffn_dim, encoder_layers, decoder_layers, dropout,
    attention_dropout, norm, positions, encoder_kernel, decoder_kernel, cross_kernel, m, steps,
    schedule, lr, warmup_steps, label_smoothing, weight_decay, clip_norm, beta2, beam,
    length_penalty, seed, threads, device, out, checkpoint_every, log_every, eval_every, resume)

namespace {

constexpr const char* kModelName = "seq2seq-transformer";

void check_config(const SequenceExperimentConfig& c) {
  SETFORMER_CHECK(c.batch_size >= 1, "task.batch_size must be >= 1, got {}", c.batch_size);
  SETFORMER_CHECK(c.test_examples >= 1 && c.eval_batch_size >= 1,
                  "task.test_examples and task.eval_batch_size must be >= 1");
  SETFORMER_CHECK(c.steps >= 1, "optim.steps must be >= 1, got {}", c.steps);
  SETFORMER_CHECK(c.schedule == "inverse_sqrt" || c.schedule == "cosine",
                  "optim.schedule = '{}' is not valid; expected inverse_sqrt | cosine", c.schedule);
  SETFORMER_CHECK(c.label_smoothing >= 0 && c.label_smoothing < 1,
                  "optim.label_smoothing must be in [0, 1), got {}", c.label_smoothing);
  SETFORMER_CHECK(c.beam >= 1, "decode.beam must be >= 1, got {}", c.beam);
  SETFORMER_CHECK(c.m >= 1, "model.m must be >= 1, got {}", c.m);
  SETFORMER_CHECK(c.eval_every >= 0, "run.eval_every must be >= 0, got {}", c.eval_every);
}

/// Held-out examples, decoded in batches: exact match under greedy and beam decoding, and
/// teacher-forced token accuracy.
struct TestSet {
  std::vector<data::SequenceBatch> batches;
  int64_t longest_target = 0;
};

TestSet make_test_set(const SequenceExperimentConfig& c, const data::SequenceTaskOptions& task) {
  TestSet t;
  for (int64_t first = 0; first < c.test_examples; first += c.eval_batch_size) {
    const int64_t n = std::min(c.eval_batch_size, c.test_examples - first);
    t.batches.push_back(data::sequence_batch(task, c.test_seed, first, n));
    t.longest_target = std::max(t.longest_target, t.batches.back().target_out.size(1));
  }
  return t;
}

torch::Tensor loss_of(const torch::Tensor& logits, const torch::Tensor& target_out,
                      double smoothing) {
  namespace F = torch::nn::functional;
  return F::cross_entropy(
      logits.reshape({-1, logits.size(-1)}), target_out.reshape({-1}),
      F::CrossEntropyFuncOptions().ignore_index(data::Vocabulary::kPad).label_smoothing(smoothing));
}

models::DecodeOptions decode_options(const SequenceExperimentConfig& c, int64_t max_length,
                                     int64_t beam) {
  return models::DecodeOptions()
      .bos_id(data::Vocabulary::kBos)
      .eos_id(data::Vocabulary::kEos)
      .max_length(max_length)
      .beam(beam)
      .length_penalty(c.length_penalty);
}

nlohmann::json evaluate(models::Transformer& model, const SequenceExperimentConfig& c,
                        const data::Vocabulary& vocabulary, const TestSet& test,
                        const torch::Device& device, const std::string& samples_path) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  int64_t examples = 0, greedy_hits = 0, beam_hits = 0, beam_not_worse = 0;
  double tokens = 0, token_hits = 0, greedy_log_p = 0, beam_log_p = 0;
  std::string samples;
  // A target has at most longest_target − 1 characters; a little room past it shows overruns.
  const int64_t max_length = test.longest_target + 5;
  for (const auto& batch : test.batches) {
    const auto source = batch.source.to(device);
    const auto target_out = batch.target_out.to(device);
    const auto logits = model->forward(source, batch.target_in.to(device));
    const auto valid = target_out.ne(data::Vocabulary::kPad);
    token_hits += (logits.argmax(-1).eq(target_out) & valid).sum().item<double>();
    tokens += valid.sum().item<double>();
    const auto greedy = models::greedy_decode(model, source, decode_options(c, max_length, 1));
    const auto beam =
        c.beam > 1 ? models::beam_search(model, source, decode_options(c, max_length, c.beam))
                   : greedy;
    for (size_t i = 0; i < greedy.size(); ++i) {
      const auto& e = batch.examples[i];
      const auto g = vocabulary.decode(greedy[i].tokens), b = vocabulary.decode(beam[i].tokens);
      greedy_hits += g == e.target && greedy[i].finished;
      beam_hits += b == e.target && beam[i].finished;
      beam_not_worse +=
          (b == e.target && beam[i].finished) || !(g == e.target && greedy[i].finished);
      greedy_log_p += greedy[i].log_probability;
      beam_log_p += beam[i].log_probability;
      if (examples < 20) {
        samples += fmt::format("source  {}\ntarget  {}\ngreedy  {}{}\nbeam {}  {}{}\n\n", e.source,
                               e.target, g, g == e.target ? "" : "   ✗", c.beam, b,
                               b == e.target ? "" : "   ✗");
      }
      ++examples;
    }
  }
  if (!samples_path.empty()) write_file_atomic(samples_path, samples);
  if (was_training) model->train();
  const double n = static_cast<double>(examples);
  return {{"test_exact_match", static_cast<double>(greedy_hits) / n},
          {"test_exact_match_beam", static_cast<double>(beam_hits) / n},
          {"test_token_accuracy", token_hits / tokens},
          {"test_beam_not_worse", static_cast<double>(beam_not_worse) / n},
          {"test_log_probability_greedy", greedy_log_p / n},
          {"test_log_probability_beam", beam_log_p / n}};
}

std::string describe(const SequenceExperimentConfig& c, const models::Transformer& model,
                     const data::SequenceTaskOptions& task) {
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  const auto example = data::sequence_example(task, c.seed, 0);
  const auto length = static_cast<int64_t>(example.source.size());
  return fmt::format(
      "{} on {}: {:.3f} M parameters, {:.2f} MFLOPs per example of {} source tokens, {} steps of "
      "{} examples",
      c.row.empty() ? "transformer" : c.row, c.task, static_cast<double>(parameters) / 1e6,
      model->flops(length, static_cast<int64_t>(example.target.size()) + 1) / 1e6, length, c.steps,
      c.batch_size);
}

}  // namespace

data::SequenceTaskOptions sequence_task_options(const SequenceExperimentConfig& c) {
  const auto task = data::SequenceTaskOptions()
                        .task(data::parse_sequence_task("task.name", c.task))
                        .symbols(c.symbols)
                        .min_length(c.min_length)
                        .max_length(c.max_length)
                        .digits(c.digits)
                        .pad_operands(c.pad_operands)
                        .reverse_sum(c.reverse_sum)
                        .reverse_operands(c.reverse_operands);
  data::validate(task);
  return task;
}

models::TransformerOptions sequence_model_options(const SequenceExperimentConfig& c) {
  const int64_t vocab = data::task_vocabulary(sequence_task_options(c)).size();
  SETFORMER_CHECK(c.norm == "post" || c.norm == "pre",
                  "model.norm = '{}' is not valid; expected post | pre", c.norm);
  SETFORMER_CHECK(c.positions == "sinusoidal" || c.positions == "learned",
                  "model.positions = '{}' is not valid; expected sinusoidal | learned",
                  c.positions);
  auto o = models::TransformerOptions(vocab, vocab)
               .dim(c.dim)
               .heads(c.heads)
               .ffn_dim(c.ffn_dim)
               .encoder_layers(c.encoder_layers)
               .decoder_layers(c.decoder_layers)
               .dropout(c.dropout)
               .attention_dropout(c.attention_dropout)
               .norm(c.norm == "post" ? nn::NormPlacement::post : nn::NormPlacement::pre)
               .positions(c.positions == "learned" ? models::PositionEncoding::learned
                                                   : models::PositionEncoding::sinusoidal)
               .max_length(std::max<int64_t>(64, 2 * std::max(c.max_length, 2 * c.digits + 1)))
               .encoder_kernel(c.encoder_kernel)
               .decoder_kernel(c.decoder_kernel)
               .cross_kernel(c.cross_kernel)
               .pad_id(data::Vocabulary::kPad);
  o.kernels().set().num_references(c.m);
  o.kernels().nystrom().landmarks(c.m);
  o.kernels().inducing().points(c.m);
  return o;
}

std::string describe_sequence_data(const SequenceExperimentConfig& c) {
  const auto t = sequence_task_options(c);
  const std::string examples =
      c.task == "addition"
          ? fmt::format("generated additions of two numbers of up to {} digits", t.digits())
          : fmt::format("generated {} examples over {} symbols, sources of {}..{} symbols", c.task,
                        t.symbols(), t.min_length(), t.max_length());
  return fmt::format("{}; {} held-out examples (seed {})", examples, c.test_examples, c.test_seed);
}

std::string describe_sequence_experiment(const SequenceExperimentConfig& c) {
  check_config(c);
  parse_device(c.device);
  const models::Transformer model(sequence_model_options(c));
  return describe(c, model, sequence_task_options(c));
}

SequenceTrainResult train_sequence_experiment(
    const SequenceExperimentConfig& c, const std::function<void(const std::string&)>& print) {
  check_config(c);
  const auto device = parse_device(c.device);
  const auto task = sequence_task_options(c);
  const auto vocabulary = data::task_vocabulary(task);
  const TestSet test = make_test_set(c, task);
  // Held-out examples always follow the task's own distribution; only training mixes lengths.
  const auto train_task = data::SequenceTaskOptions(task).mixed_digits(c.mixed_digits);
  torch::manual_seed(c.seed);
  models::Transformer model(sequence_model_options(c));
  model->to(device);

  SequenceTrainResult result;
  for (const auto& p : model->parameters()) result.parameters += p.numel();
  print(describe(c, model, task));

  const int64_t per_eval = c.eval_every > 0 ? std::min(c.eval_every, c.steps) : c.steps;
  auto optim = OptimOptions()
                   .lr(c.lr)
                   .min_lr(c.schedule == "cosine" ? c.lr * 0.01 : c.lr)
                   .warmup_steps(c.warmup_steps)
                   .weight_decay(c.weight_decay)
                   .clip_norm(c.clip_norm)
                   .beta2(c.beta2);
  if (c.schedule == "inverse_sqrt") optim.inverse_sqrt_dim(c.dim);
  Trainer trainer(*model,
                  TrainerOptions()
                      .out_dir(c.out)
                      .model_name(kModelName)
                      .config_json(nlohmann::json(c).dump())
                      .total_steps(c.steps)
                      .steps_per_epoch(per_eval)
                      .optim(optim)
                      .checkpoint_every(c.checkpoint_every)
                      .log_every(c.log_every)
                      .eval_every_epochs(c.eval_every > 0 ? 1 : 0)
                      .resume(c.resume)
                      .unit("tok")
                      .curves({"loss", "accuracy", "test_exact_match", "test_token_accuracy"}));
  const auto step = [&](int64_t s) {
    // Step s trains on examples s·B .. (s+1)·B − 1 of the run's stream: resumable exactly.
    const auto batch = data::sequence_batch(train_task, c.seed, s * c.batch_size, c.batch_size);
    const auto target_out = batch.target_out.to(device);
    const auto logits = model->forward(batch.source.to(device), batch.target_in.to(device));
    StepOutput out;
    out.loss = loss_of(logits, target_out, c.label_smoothing);
    const auto valid = target_out.ne(data::Vocabulary::kPad);
    out.correct = (logits.argmax(-1).eq(target_out) & valid).sum();
    out.count = valid.sum().item<int64_t>();
    return out;
  };
  const auto evaluate_now = [&] {
    result.metrics = evaluate(model, c, vocabulary, test, device, c.out + "/samples.txt");
    return result.metrics;
  };
  result.summary = trainer.run(step, evaluate_now, print);
  if (result.summary.interrupted) return result;

  const auto summary =
      run_summary(c.task, c.row, result.parameters, result.metrics, result.summary.steps_done,
                  result.summary.train_seconds, c.device, c);
  write_file_atomic(c.out + "/summary.json", summary.dump(2) + "\n");
  return result;
}

nlohmann::json evaluate_sequence_checkpoint(const std::string& checkpoint, const std::string& out,
                                            const std::string& device,
                                            const std::function<void(const std::string&)>& print) {
  auto m = load_sequence_model(checkpoint, device);
  const auto info = read_checkpoint_info(checkpoint);
  const std::string folder =
      out.empty() ? std::filesystem::path(checkpoint).parent_path().string() : out;
  print(fmt::format("{} ({} steps) on {} held-out examples", checkpoint, info.step,
                    m.config.test_examples));
  int64_t parameters = 0;
  for (const auto& p : m.model->parameters()) parameters += p.numel();
  const auto metrics = evaluate(m.model, m.config, m.vocabulary, make_test_set(m.config, m.task),
                                parse_device(device), folder + "/samples.txt");
  write_file_atomic(folder + "/summary.json",
                    run_summary(m.config.task, m.config.row, parameters, metrics, info.step,
                                info.train_seconds, m.config.device, m.config)
                            .dump(2) +
                        "\n");
  return metrics;
}

std::string write_sequence_table(const std::vector<std::string>& files, const std::string& out,
                                 const std::string& command) {
  const auto runs =
      read_summaries(files, {"task", "row", "metrics", "steps", "train_seconds", "parameters"}, {},
                     "setformer train");
  const auto percent = [](const nlohmann::json& m, const char* key) {
    return m.contains(key) ? fmt::format("{:.2f}%", 100 * m[key].get<double>()) : std::string("—");
  };
  io::Table table;
  table.columns = {"task",
                   "model",
                   "exact match (greedy)",
                   "exact match (beam)",
                   "token accuracy",
                   "params (k)",
                   "steps",
                   "train time"};
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : runs) {
    const auto& m = r["metrics"];
    const auto beam = r["config"].value("beam", 1);
    table.add({r["task"], r["row"], percent(m, "test_exact_match"),
               fmt::format("{} (k = {})", percent(m, "test_exact_match_beam"), beam),
               percent(m, "test_token_accuracy"),
               fmt::format("{:.1f}", r["parameters"].get<double>() / 1e3),
               std::to_string(r["steps"].get<int64_t>()),
               format_duration(r["train_seconds"].get<double>())});
    rows.push_back({{"task", r["task"]},
                    {"row", r["row"]},
                    {"metrics", m},
                    {"steps", r["steps"]},
                    {"train_seconds", r["train_seconds"]}});
  }
  return write_results_table(table, runs, {{"rows", rows}}, out, command);
}

SequenceModel load_sequence_model(const std::string& checkpoint, const std::string& device) {
  const auto info = read_checkpoint_info(checkpoint);
  SequenceModel m;
  try {
    m.config = nlohmann::json::parse(info.config).get<SequenceExperimentConfig>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: not a checkpoint of setformer train ({})", checkpoint, e.what()));
  }
  m.task = sequence_task_options(m.config);
  m.vocabulary = data::task_vocabulary(m.task);
  m.model = models::Transformer(sequence_model_options(m.config));
  load_checkpoint(checkpoint, kModelName, *m.model);
  m.model->to(parse_device(device));
  m.model->eval();
  return m;
}

std::vector<std::string> translate(SequenceModel& m, const std::vector<std::string>& sources,
                                   const models::DecodeOptions& options, int64_t batch,
                                   const std::function<std::string(size_t)>& where) {
  SETFORMER_CHECK(batch >= 1, "translate: batch must be >= 1, got {}", batch);
  const auto device = m.model->parameters().front().device();
  std::vector<std::string> out;
  for (size_t first = 0; first < sources.size(); first += static_cast<size_t>(batch)) {
    std::vector<data::SequenceExample> examples;
    for (size_t i = first; i < std::min(sources.size(), first + static_cast<size_t>(batch)); ++i) {
      SETFORMER_CHECK(!sources[i].empty(), "{}: empty source", where(i));
      m.vocabulary.encode(sources[i], where(i));  // names the line and character
      examples.push_back({sources[i], ""});
    }
    const auto encoded = data::encode_examples(m.vocabulary, examples);
    for (const auto& h : models::decode(m.model, encoded.source.to(device), options))
      out.push_back(m.vocabulary.decode(h.tokens));
  }
  return out;
}

}  // namespace setformer::tasks

// `setformer seq2seq train|table` (the Transformer on copy, reverse, sort and addition, one row
// per config file) and `setformer translate` (decode lines of text with a trained checkpoint).
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/train/sequence_experiments.h"

#include <fstream>

namespace setformer::cli {
namespace {

using Config = train::SequenceExperimentConfig;

void declare_sequence_options(ConfigurableOptions<Config>& o) {
  // task
  o.add("--task", "task.name", &Config::task, "copy | reverse | sort | addition");
  o.add("--row", "task.row", &Config::row, "Row name in results tables");
  o.add("--note", "task.note", &Config::note,
        "Printed under the results table: what the row changes or what was tried");
  o.add("--symbols", "task.symbols", &Config::symbols,
        "Alphabet size of copy, reverse and sort (letters a, b, ...)");
  o.add("--min-length", "task.min_length", &Config::min_length,
        "Shortest source (copy/reverse/sort)");
  o.add("--max-length", "task.max_length", &Config::max_length,
        "Longest source (copy/reverse/sort)");
  o.add("--digits", "task.digits", &Config::digits, "Digits of each operand (addition)");
  o.add("--pad-operands", "task.pad_operands", &Config::pad_operands,
        "Addition: operands and sum with leading zeros to a fixed width");
  o.add("--reverse-sum", "task.reverse_sum", &Config::reverse_sum,
        "Addition: the sum least-significant digit first");
  o.add("--reverse-operands", "task.reverse_operands", &Config::reverse_operands,
        "Addition: the operands least-significant digit first");
  o.add("--mixed-digits", "task.mixed_digits", &Config::mixed_digits,
        "Addition, training examples only: each operand's length uniform in 1..digits");
  o.add("--batch-size", "task.batch_size", &Config::batch_size, "Examples per training step");
  o.add("--test-examples", "task.test_examples", &Config::test_examples,
        "Held-out examples evaluated");
  o.add("--eval-batch-size", "task.eval_batch_size", &Config::eval_batch_size,
        "Examples per evaluation batch");
  o.add("--test-seed", "task.test_seed", &Config::test_seed, "Seed of the held-out examples");
  // model
  o.add("--dim", "model.dim", &Config::dim, "d_model");
  o.add("--heads", "model.heads", &Config::heads, "Attention heads");
  o.add("--ffn-dim", "model.ffn_dim", &Config::ffn_dim, "Feed-forward width d_ff");
  o.add("--encoder-layers", "model.encoder_layers", &Config::encoder_layers, "Encoder layers N");
  o.add("--decoder-layers", "model.decoder_layers", &Config::decoder_layers, "Decoder layers N");
  o.add("--dropout", "model.dropout", &Config::dropout,
        "P_drop on sub-layer outputs and embeddings");
  o.add("--attention-dropout", "model.attention_dropout", &Config::attention_dropout,
        "Dropout on attention weights");
  o.add("--norm", "model.norm", &Config::norm, "post (the paper's) | pre");
  o.add("--positions", "model.positions", &Config::positions, "sinusoidal | learned");
  o.add("--encoder-kernel", "model.encoder_kernel", &Config::encoder_kernel,
        "Encoder self-attention kernel (softmax, set, linear, performer, nystrom, isab)");
  o.add("--decoder-kernel", "model.decoder_kernel", &Config::decoder_kernel,
        "Decoder self-attention kernel (causal: softmax, linear, performer)");
  o.add("--cross-kernel", "model.cross_kernel", &Config::cross_kernel,
        "Decoder cross-attention kernel");
  o.add("--m", "model.m", &Config::m, "SeT references, Nyström landmarks or inducing points");
  // optimisation
  o.add("--steps", "optim.steps", &Config::steps, "Training steps");
  o.add("--schedule", "optim.schedule", &Config::schedule,
        "inverse_sqrt (the paper's; --lr is its scale) | cosine");
  o.add("--lr", "optim.lr", &Config::lr, "Learning rate, or the inverse_sqrt schedule's scale");
  o.add("--warmup-steps", "optim.warmup_steps", &Config::warmup_steps, "Warm-up steps");
  o.add("--label-smoothing", "optim.label_smoothing", &Config::label_smoothing,
        "ε_ls of the cross-entropy");
  o.add("--weight-decay", "optim.weight_decay", &Config::weight_decay, "Decoupled weight decay");
  o.add("--clip-norm", "optim.clip_norm", &Config::clip_norm, "Gradient-norm clipping (0: off)");
  o.add("--beta2", "optim.beta2", &Config::beta2, "Adam β2 (the paper's 0.98)");
  // decoding
  o.add("--beam", "decode.beam", &Config::beam, "Beam width of the evaluation's beam search");
  o.add("--length-penalty", "decode.length_penalty", &Config::length_penalty,
        "α of the GNMT length penalty");
  declare_run_options(o, "examples",
                      "checkpoint.pt, log.jsonl, curves.png, samples.txt, summary.json");
}

void add_translate_command(CLI::App& app) {
  struct Args {
    std::string checkpoint, input = "-", output = "-", device = "cpu";
    int64_t beam = 1, batch = 64, max_length = 0;
    double length_penalty = 0.6;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "translate",
      "Decode lines of text with a checkpoint of `seq2seq train` (one output per line)");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt of seq2seq train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--input", args->input, "Text file of sources, one per line; - for stdin")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "Where outputs go, one per line; - for stdout")
      ->capture_default_str();
  cmd->add_option("--beam", args->beam, "Beam width (1: greedy)")->capture_default_str();
  cmd->add_option("--length-penalty", args->length_penalty, "α of the GNMT length penalty")
      ->capture_default_str();
  cmd->add_option("--max-length", args->max_length,
                  "Most tokens generated per line (0: twice the source length + 10)")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "Lines decoded together")->capture_default_str();
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all available cores)");
  cmd->callback([args] {
    set_threads(args->threads);
    std::vector<std::string> lines;
    {
      std::ifstream file;
      if (args->input != "-") {
        file.open(args->input);
        SETFORMER_CHECK(file.good(), "translate: cannot read --input {}", args->input);
      }
      std::istream& in = args->input == "-" ? std::cin : file;
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(line);
      }
    }
    auto model = train::load_sequence_model(args->checkpoint, args->device);
    size_t longest = 1;
    for (const auto& l : lines) longest = std::max(longest, l.size());
    const auto options =
        models::DecodeOptions()
            .bos_id(data::Vocabulary::kBos)
            .eos_id(data::Vocabulary::kEos)
            .beam(args->beam)
            .length_penalty(args->length_penalty)
            .max_length(args->max_length > 0 ? args->max_length
                                             : 2 * static_cast<int64_t>(longest) + 10);
    const std::string source_name = args->input == "-" ? "stdin" : args->input;
    const auto outputs = train::translate(model, lines, options, args->batch, [&](size_t i) {
      return fmt::format("{} line {}", source_name, i + 1);
    });
    std::string text;
    for (const auto& o : outputs) text += o + "\n";
    if (args->output == "-") {
      fmt::print("{}", text);
    } else {
      write_file_atomic(args->output, text);
    }
  });
}

void add_seq2seq_eval(CLI::App& seq) {
  struct Args {
    std::string checkpoint, out, device = "cpu";
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = seq.add_subcommand(
      "eval", "Evaluate a checkpoint again on its held-out examples; rewrites summary.json");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt of seq2seq train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out,
                  "Folder of summary.json and samples.txt (default: the "
                  "checkpoint's)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all available cores)");
  cmd->callback([args] {
    set_threads(args->threads);
    const auto metrics = train::evaluate_sequence_checkpoint(
        args->checkpoint, args->out, args->device,
        [](const std::string& line) { std::cerr << line << std::endl; });
    for (const auto& [key, value] : metrics.items())
      fmt::print("{}: {:.4f}\n", key, value.get<double>());
  });
}

}  // namespace

void add_seq2seq_commands(CLI::App& app) {
  auto* seq = app.add_subcommand(
      "seq2seq", "Transformer experiments: copy, reverse, sort and addition of sequences");
  seq->require_subcommand(1);
  add_experiment_train<Config, train::SequenceTrainResult>(
      *seq, "Train and evaluate one Transformer on one sequence task", declare_sequence_options,
      train::describe_sequence_experiment, train::train_sequence_experiment,
      "checkpoint.pt, log.jsonl, curves.png, samples.txt, summary.json");
  add_table_command(*seq, "Results table (<out>.md, <out>.json) from runs' summary.json files",
                    "results/seq2seq/table", "summary.json files written by seq2seq train",
                    train::write_sequence_table);
  add_seq2seq_eval(*seq);
  add_translate_command(app);
}

}  // namespace setformer::cli

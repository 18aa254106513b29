// `setformer pretrain` (masked language modelling), `setformer finetune` (SpamAssassin
// classification, from scratch or from a pretrain checkpoint), `setformer classify` (spam
// probability of e-mail files with a finetune checkpoint) and `setformer language` (train, table
// and eval, the forms scripts/experiments.sh drives).
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/train/language_experiments.h"

#include <filesystem>

namespace setformer::cli {

using Config = train::LanguageExperimentConfig;

void declare_language_options(ConfigurableOptions<Config>& o) {
  o.add("--task", "task.name", &Config::task, "mlm (pretrain) | classify (finetune) | listops");
  o.add("--row", "task.row", &Config::row, "Row name in results tables");
  o.add("--note", "task.note", &Config::note, "Printed under the results table");
  o.add("--corpora", "data.corpora", &Config::corpora,
        "Corpora: moby_dick, sotu (mlm); spam_assassin (classify)");
  o.add("--data-dir", "data.dir", &Config::data_dir, "Folder of the npm corpora");
  o.add("--splits-dir", "data.splits_dir", &Config::splits_dir,
        "Folder of the split files (written on first use)");
  o.add("--length", "data.length", &Config::length, "Tokens per sequence");
  o.add("--batch-size", "data.batch_size", &Config::batch_size, "Sequences per step");
  o.add("--mask-rate", "data.mask_rate", &Config::mask_rate, "MLM: fraction of tokens predicted");
  o.add("--eval-sequences", "data.eval_sequences", &Config::eval_sequences,
        "Validation windows (mlm) or test e-mails (classify; 0: all)");
  o.add("--listops-min-length", "data.listops_min_length", &Config::listops_min_length,
        "ListOps: shortest sequence (LRA: 500)");
  o.add("--listops-max-length", "data.listops_max_length", &Config::listops_max_length,
        "ListOps: longest sequence (LRA: 2000)");
  o.add("--test-seed", "data.test_seed", &Config::test_seed, "ListOps: seed of the test sequences");
  o.add("--tokenizer", "tokenizer.kind", &Config::tokenizer, "bpe | bytes");
  o.add("--vocab-size", "tokenizer.vocab_size", &Config::vocab_size, "BPE vocabulary size");
  o.add("--tokenizer-corpora", "tokenizer.corpora", &Config::tokenizer_corpora,
        "Corpora whose training splits train the BPE vocabulary");
  o.add("--dim", "model.dim", &Config::dim, "Width d");
  o.add("--heads", "model.heads", &Config::heads, "Attention heads");
  o.add("--depth", "model.depth", &Config::depth, "Blocks");
  o.add("--mlp-ratio", "model.mlp_ratio", &Config::mlp_ratio, "MLP width / d");
  o.add("--dropout", "model.dropout", &Config::dropout,
        "Dropout on embeddings, attention output and MLP");
  o.add("--attention-dropout", "model.attention_dropout", &Config::attention_dropout,
        "Dropout on the attention weights (0: SeT's fused core; performer and linear take none)");
  o.add("--kernel", "model.kernel", &Config::kernel,
        "Attention kernel: softmax, set, performer, nystrom, linear, isab");
  o.add("--positions", "model.positions", &Config::positions, "auto | sinusoidal | learned | none");
  o.add("--pooling", "model.pooling", &Config::pooling,
        "Classification head's input: mean (of the tokens) | cls (a learned vector in front)");
  o.add("--m", "model.m", &Config::m, "SeT references, Nyström landmarks or inducing points");
  o.add("--epsilon", "model.epsilon", &Config::epsilon, "SeT entropic regularisation");
  o.add("--iterations", "model.iterations", &Config::iterations, "SeT Sinkhorn iterations");
  o.add("--sigma", "model.sigma", &Config::sigma,
        "SeT's LPE width on positions in [0, 1) (0.5: nearly flat over a sequence)");
  o.add("--values", "model.values", &Config::values, "SeT values: linear | nystrom");
  o.add("--references", "model.references", &Config::references,
        "SeT references: learned | none (transport between the tokens; quadratic)");
  o.add("--similarity", "model.similarity", &Config::similarity,
        "SeT similarity: spherical_gaussian | gaussian | dot");
  o.add("--init", "model.init", &Config::init, "A pretrain checkpoint to start from");
  o.add("--steps", "optim.steps", &Config::steps, "Training steps");
  o.add("--lr", "optim.lr", &Config::lr, "Peak learning rate (warm-up, then cosine)");
  o.add("--warmup-steps", "optim.warmup_steps", &Config::warmup_steps, "Warm-up steps");
  o.add("--weight-decay", "optim.weight_decay", &Config::weight_decay, "AdamW weight decay");
  o.add("--clip-norm", "optim.clip_norm", &Config::clip_norm, "Gradient-norm clipping (0: off)");
  declare_run_options(o, "sequences", "checkpoint.pt, log.jsonl, curves.png, summary.json");
}

namespace {

void add_classify(CLI::App& app) {
  struct Args {
    std::string checkpoint, device = "cpu";
    std::vector<std::string> files;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd =
      app.add_subcommand("classify", "Spam probability of e-mail files (a finetune checkpoint)");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt of setformer finetune")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("files", args->files, "Text files, one document each")->required();
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all available cores)");
  cmd->callback([args] {
    set_threads(args->threads);
    std::vector<std::string> texts;
    for (const auto& f : args->files) {
      SETFORMER_CHECK(std::filesystem::exists(f), "{}: file not found", f);
      texts.push_back(read_file(f));
    }
    auto classifier = train::load_text_classifier(args->checkpoint, args->device);
    const auto p = train::classify_texts(classifier, texts);
    for (size_t i = 0; i < p.size(); ++i)
      fmt::print("{}\t{}\tp(spam) = {:.4f}\n", args->files[i], p[i] >= 0.5 ? "spam" : "ham", p[i]);
  });
}

/// `language eval`: a checkpoint's held-out figures again, into eval.json.
void add_language_eval(CLI::App& language) {
  struct Args {
    std::string checkpoint, out, device = "cpu";
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = language.add_subcommand(
      "eval",
      "Evaluate a checkpoint on its run's held-out data as the run's last evaluation did; writes "
      "eval.json (beside the checkpoint unless --out), which language table reads for rows from "
      "before test_errors");
  cmd->add_option("--checkpoint", args->checkpoint,
                  "checkpoint.pt of pretrain, finetune or language train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out,
                  "Output JSON file (default: eval.json beside the checkpoint)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0: all available cores)");
  cmd->callback([args] {
    set_threads(args->threads);
    const auto result = train::evaluate_language_checkpoint(args->checkpoint, args->device);
    fmt::print("{} ({}) at step {}\n", args->checkpoint, result["task"].get<std::string>(),
               result["step"].get<int64_t>());
    for (const auto& [key, value] : result["metrics"].items()) {
      if (value.is_array())
        fmt::print("{}: {} ({})\n", key, value.size(), value.dump());
      else
        fmt::print("{}: {:.4f}\n", key, value.get<double>());
    }
    const auto out =
        args->out.empty()
            ? (std::filesystem::path(args->checkpoint).parent_path() / "eval.json").string()
            : args->out;
    write_file_atomic(out, result.dump(2) + "\n");
    fmt::print("wrote {}\n", out);
  });
}

}  // namespace

void add_language_commands(CLI::App& app) {
  // `pretrain` and `finetune` are one command with a different default task.
  const std::string files = "checkpoint.pt, log.jsonl, curves.png, summary.json";
  add_experiment_train<Config, train::LanguageTrainResult>(
      app, "Masked language modelling on the text corpora", declare_language_options,
      train::describe_language_experiment, train::train_language_experiment, files, "pretrain");
  Config classify;
  classify.task = "classify";
  classify.corpora = {"spam_assassin"};
  add_experiment_train<Config, train::LanguageTrainResult>(
      app, "SpamAssassin classification of whole e-mails (optionally from --init)",
      declare_language_options, train::describe_language_experiment,
      train::train_language_experiment, files, "finetune", classify);
  add_classify(app);
  // `language train` (the task from the config) and `language table`, the form
  // scripts/experiments.sh drives.
  auto* language = app.add_subcommand(
      "language", "Language experiments: MLM, SpamAssassin classification, ListOps");
  language->require_subcommand(1);
  add_experiment_train<Config, train::LanguageTrainResult>(
      *language, "Train and evaluate one language row (task.name: mlm | classify | listops)",
      declare_language_options, train::describe_language_experiment,
      train::train_language_experiment, files);
  add_table_command(*language, "Results table (<out>.md, <out>.json) from runs' summary.json files",
                    "results/language/table", "summary.json files of pretrain / finetune runs",
                    train::write_language_table);
  add_language_eval(*language);
}

}  // namespace setformer::cli

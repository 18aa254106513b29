// `setformer bench ...`: benchmarks that write tables and plots: `bench attention` (attention
// kernels against sequence length), `bench train` (training throughput of SeT's paths),
// `bench infer` (inference throughput of image classifiers side by side), `bench language`
// (training throughput and memory of text classifiers side by side) and `bench data` (the
// image-folder input pipeline against torchvision's).
#include "setformer/cli/commands.h"

#include "setformer/bench/attention_bench.h"
#include "setformer/bench/data_bench.h"
#include "setformer/bench/infer_bench.h"
#include "setformer/bench/language_bench.h"
#include "setformer/bench/text_bench.h"
#include "setformer/bench/train_bench.h"
#include "setformer/cli/config_options.h"
#include "setformer/core/runtime.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace setformer::cli {
namespace {

void add_bench_train(CLI::App& bench_cmd) {
  auto* cmd = bench_cmd.add_subcommand(
      "train",
      "Training images/s of an image-classifier config (train's options and --config) for SeT's "
      "implementation paths side by side; writes <table>.md/.json");
  auto config = std::make_shared<ConfigurableOptions<tasks::ImageClassifierConfig>>(cmd);
  declare_image_options(*config);
  auto options = std::make_shared<bench::TrainBenchOptions>();
  auto table = std::make_shared<std::string>("results/bench_train");
  cmd->add_option(
         "--variants", options->variants,
         fmt::format("Variants to compare: {}", fmt::join(bench::train_bench_variants(), ", ")))
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--steps", options->steps, "Timed steps per variant and round")
      ->capture_default_str();
  cmd->add_option("--rounds", options->rounds, "Rounds (the median is over rounds)")
      ->capture_default_str();
  cmd->add_option("--warmup-steps", options->warmup, "Untimed steps per variant first")
      ->capture_default_str();
  cmd->add_option("--table", *table, "Output path prefix of the table")->capture_default_str();
  cmd->callback([config, options, table] {
    const auto c = config->resolve();
    const auto result = bench::run_train_bench(c, *options, [](const std::string& line) {
      std::cerr << "bench train " << line << std::endl;
    });
    bench::write_train_bench_outputs(result, *table, command_line());
    fmt::print("{0}wrote {1}.md, {1}.json\n", bench::train_bench_table(result).markdown(), *table);
  });
}

void add_bench_infer(CLI::App& bench_cmd) {
  auto* cmd = bench_cmd.add_subcommand(
      "infer",
      "Inference images/s of image classifiers side by side: each ROW a training config (.toml, "
      "the model as initialised) or a checkpoint (.pt, the trained model); writes "
      "<table>.md/.json");
  auto options = std::make_shared<bench::InferBenchOptions>();
  auto table = std::make_shared<std::string>("results/bench_infer");
  cmd->add_option("rows", options->rows, "Rows: .toml configurations or .pt checkpoints")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--batch", options->batch, "Images per forward pass")->capture_default_str();
  cmd->add_option("--batches", options->batches, "Timed forward passes per row and round")
      ->capture_default_str();
  cmd->add_option("--rounds", options->rounds, "Rounds (the median is over rounds)")
      ->capture_default_str();
  cmd->add_option("--warmup", options->warmup, "Untimed forward passes per row first")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "CPU threads (0: all available cores)")
      ->capture_default_str();
  cmd->add_option("--parallel", options->parallel,
                  "batch (one shard of each batch per core) or ops (LibTorch's intra-op threads)")
      ->capture_default_str();
  cmd->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--stop-tolerance", options->stop_tolerance,
                  "Replace every row's set.stop_tolerance (negative: keep each row's)")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed of the initial weights and the images")
      ->capture_default_str();
  cmd->add_option("--table", *table, "Output path prefix of the table")->capture_default_str();
  cmd->callback([options, table] {
    // A configuration row reads the keys of `setformer train --config`.
    CLI::App keys;
    ConfigurableOptions<tasks::ImageClassifierConfig> config(&keys);
    declare_image_options(config);
    const auto result = bench::run_infer_bench(
        *options, [&](const std::string& file) { return config.resolve_file(file); },
        [](const std::string& line) { std::cerr << "bench infer " << line << std::endl; });
    bench::write_infer_bench_outputs(result, *table, command_line());
    fmt::print("{0}wrote {1}.md, {1}.json\n", bench::infer_bench_table(result).markdown(), *table);
  });
}

void add_bench_data(CLI::App& bench_cmd) {
  auto* cmd = bench_cmd.add_subcommand(
      "data",
      "Training images/s of the image-folder input pipeline (decode, random-resized crop, flip, "
      "RandAugment, normalise) at each worker count, beside torchvision's ImageFolder and "
      "DataLoader with the same transforms; writes <table>.md/.json");
  auto o = std::make_shared<bench::DataBenchOptions>();
  auto table = std::make_shared<std::string>("results/bench_data");
  cmd->add_option("--root", o->root, "Image folder (ROOT/<split>/<class>/*)")->required();
  cmd->add_option("--split", o->split, "Sub-folder read (empty: the root itself)")
      ->capture_default_str();
  cmd->add_option("--workers", o->workers, "Worker counts, each a row")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per batch")->capture_default_str();
  cmd->add_option("--batches", o->batches, "Timed batches per row and round")
      ->capture_default_str();
  cmd->add_option("--rounds", o->rounds, "Rounds (the median is over rounds)")
      ->capture_default_str();
  cmd->add_option("--size", o->size, "Crop side")->capture_default_str();
  cmd->add_option("--rand-augment", o->rand_augment, "timm RandAugment specification")
      ->capture_default_str();
  cmd->add_option("--python", o->python,
                  "Interpreter that imports torch and torchvision for the peer (empty: no peer)")
      ->capture_default_str();
  cmd->add_option("--peer-script", o->peer_script, "The torchvision peer")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the order and the augmentation")
      ->capture_default_str();
  cmd->add_option("--table", *table, "Output path prefix of the table")->capture_default_str();
  cmd->callback([o, table] {
    const auto result = bench::run_data_bench(
        *o, [](const std::string& line) { std::cerr << "bench data " << line << std::endl; });
    bench::write_data_bench_outputs(result, *table, command_line());
    fmt::print("{0}wrote {1}.md, {1}.json\n", bench::data_bench_table(result).markdown(), *table);
  });
}

void add_bench_language(CLI::App& bench_cmd) {
  auto* cmd = bench_cmd.add_subcommand(
      "language",
      "Training sequences/s and peak memory of text classifiers side by side: each ROW a language "
      "config (.toml) at one --length; writes <table>.md/.json");
  auto options = std::make_shared<bench::LanguageBenchOptions>();
  auto table = std::make_shared<std::string>("results/bench_language");
  cmd->add_option("rows", options->rows, "Rows: .toml language configurations")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--length", options->length, "Tokens per sequence (0: each row's data.length)")
      ->capture_default_str();
  cmd->add_option("--batch", options->batch, "Sequences per step (0: each row's data.batch_size)")
      ->capture_default_str();
  cmd->add_option("--steps", options->steps, "Timed steps per row and round")
      ->capture_default_str();
  cmd->add_option("--rounds", options->rounds, "Rounds (the median is over rounds)")
      ->capture_default_str();
  cmd->add_option("--warmup", options->warmup, "Untimed steps per row first")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "CPU threads (0: all available cores)")
      ->capture_default_str();
  cmd->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed of the initial weights and the tokens")
      ->capture_default_str();
  cmd->add_option("--table", *table, "Output path prefix of the table")->capture_default_str();
  cmd->callback([options, table] {
    // A row reads the keys of `setformer train --config`.
    CLI::App keys;
    ConfigurableOptions<tasks::LanguageExperimentConfig> config(&keys);
    declare_language_options(config);
    const auto result = bench::run_language_bench(
        *options, [&](const std::string& file) { return config.resolve_file(file); },
        [](const std::string& line) { std::cerr << "bench language " << line << std::endl; });
    bench::write_language_bench_outputs(result, *table, command_line());
    fmt::print("{0}wrote {1}.md, {1}.json\n", bench::language_bench_table(result).markdown(),
               *table);
  });
}

void add_bench_text(CLI::App& bench_cmd) {
  auto* cmd = bench_cmd.add_subcommand(
      "text",
      "Tokens/s of SentencePiece encoding (setformer beside Python's sentencepiece on the same "
      "model), of the byte tokenizer and of training-batch assembly; writes <table>.md/.json");
  auto options = std::make_shared<bench::TextBenchOptions>();
  options->config.tokenizer_corpora = {"spam_assassin"};
  auto table = std::make_shared<std::string>("results/bench_text");
  cmd->add_option("--corpus", options->config.tokenizer_corpora,
                  "Texts: built-in corpora by name (their training splits), files or folders")
      ->capture_default_str();
  cmd->add_option("--model", options->model, "A SentencePiece .model (empty: train one first)");
  cmd->add_option("--vocab-size", options->config.vocab_size, "Pieces of the model trained")
      ->capture_default_str();
  cmd->add_option("--data-dir", options->config.data_dir, "Folder of the npm corpora")
      ->capture_default_str();
  cmd->add_option("--splits-dir", options->config.splits_dir, "Folder of the corpora's split files")
      ->capture_default_str();
  cmd->add_option("--rounds", options->rounds, "Rounds (the median is over rounds)")
      ->capture_default_str();
  cmd->add_option("--batch", options->batch, "Texts per training batch")->capture_default_str();
  cmd->add_option("--length", options->length, "Tokens per text in a batch")->capture_default_str();
  cmd->add_option("--python", options->python,
                  "Interpreter of the Python peer (\"\": none); needs python3-sentencepiece")
      ->capture_default_str();
  cmd->add_option("--peer-script", options->peer_script, "The peer")->capture_default_str();
  cmd->add_option("--table", *table, "Output path prefix of the table")->capture_default_str();
  cmd->callback([options, table] {
    set_threads(1);
    options->config.threads = 1;
    const auto result = bench::run_text_bench(
        *options, [](const std::string& line) { std::cerr << "bench text " << line << std::endl; });
    bench::write_text_bench_outputs(result, *table, command_line());
    fmt::print("{0}wrote {1}.md, {1}.json\n", bench::text_bench_table(result).markdown(), *table);
  });
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* bench_cmd = app.add_subcommand("bench", "Benchmarks that write tables and plots");
  bench_cmd->require_subcommand(1);

  auto* cmd = bench_cmd->add_subcommand(
      "attention",
      "Forward+backward time and peak memory of each attention kernel against sequence length; "
      "writes <out>.md/.csv/.json/.png");
  using Options = bench::AttentionBenchOptions;
  auto options = std::make_shared<ConfigurableOptions<Options>>(cmd);
  options->add("--kernels", "kernels", &Options::kernels,
               fmt::format("Kernels to compare: {}", fmt::join(bench::bench_kernels(), ", ")));
  options->add("--lengths", "lengths", &Options::lengths, "Sequence lengths n");
  options->add("--batch", "batch", &Options::batch, "Batch size B");
  options->add("--heads", "heads", &Options::heads, "Attention heads H");
  options->add("--dim", "dim", &Options::dim, "Model width d (d_h = d / H)");
  options->add("--m", "m", &Options::m, "SeT references m");
  options->add("--iterations", "iterations", &Options::iterations, "SeT Sinkhorn iterations T");
  options->add("--epsilon", "epsilon", &Options::epsilon, "SeT entropic regularisation ε");
  options->add("--reps", "repetitions", &Options::repetitions,
               "Timed repetitions per run (the median is reported)");
  options->add("--warmup", "warmup", &Options::warmup, "Untimed repetitions before timing");
  options->add("--memory-budget-gb", "memory_budget_gb", &Options::memory_budget_gb,
               "Skip runs predicted to need more memory (0: 75% of available memory)");
  options->add("--device", "device", &Options::device, "cpu, cuda or cuda:N");
  options->add("--seed", "seed", &Options::seed, "Random seed");
  options->add("--memory-iterations", "memory_iterations", &Options::memory_iterations,
               "Also measure the SeT variants at these Sinkhorn T (memory against T)");
  options->add("--memory-length", "memory_length", &Options::memory_length,
               "Sequence length of the memory-against-T runs");
  auto threads = std::make_shared<int>(0);
  auto out = std::make_shared<std::string>("results/bench_attention");
  cmd->add_option("--threads", *threads, "CPU threads (0: all available cores)")
      ->capture_default_str();
  cmd->add_option("--out", *out, "Output path prefix")->capture_default_str();
  auto dry_run = std::make_shared<bool>(false);
  cmd->add_flag("--dry-run", *dry_run, "Check the configuration, print what would run, and exit");
  cmd->callback([options, threads, out, dry_run] {
    if (*dry_run) {
      const auto o = options->resolve();
      bench::validate(o);
      fmt::print(
          "bench attention: kernels {} at lengths {}, batch {}, {} heads, width {}, m = {}\n",
          fmt::join(o.kernels, ", "), fmt::join(o.lengths, ", "), o.batch, o.heads, o.dim, o.m);
      return;
    }
    set_threads(*threads);
    const auto result = bench::run_attention_bench(options->resolve(), [](const std::string& line) {
      std::cerr << "bench attention " << line << std::endl;
    });
    bench::write_bench_outputs(result, *out, command_line());
    fmt::print("{}\n{}", bench::bench_table(result).markdown(), bench::bench_summary(result));
    fmt::print("wrote {0}.md, {0}.csv, {0}.json, {0}.png\n", *out);
  });
  add_bench_train(*bench_cmd);
  add_bench_infer(*bench_cmd);
  add_bench_language(*bench_cmd);
  add_bench_text(*bench_cmd);
  add_bench_data(*bench_cmd);
}

}  // namespace setformer::cli

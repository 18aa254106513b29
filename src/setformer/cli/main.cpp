// `setformer`: the command-line tool. Parses arguments with CLI11, runs the chosen sub-command,
// and turns any error into one line on stderr naming the culprit, with a non-zero exit.
#include "setformer/cli/commands.h"

#include "setformer/core/runtime.h"

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <optional>

namespace setformer::cli {
namespace {
std::string g_command_line;

/// Where the commands of earlier versions went (one command shape for every task): the message
/// for `args` when they start with one of them.
std::optional<std::string> moved_command(const std::vector<std::string>& args) {
  struct Moved {
    std::vector<std::string> old;
    std::string now;
  };
  static const std::vector<Moved> moved{
      {{"sets", "train"}, "setformer train --config C (task.name picks the task)"},
      {{"slots", "train"}, "setformer train --config C (task.name picks the task)"},
      {{"seq2seq", "train"}, "setformer train --config C (task.name picks the task)"},
      {{"language", "train"}, "setformer train --config C (task.name picks the task)"},
      {{"pretrain"}, "setformer train --config C with task.name = \"mlm\""},
      {{"finetune"}, "setformer train --config C with task.name = \"classify\" or \"listops\""},
      {{"slots", "eval"}, "setformer eval --checkpoint K"},
      {{"seq2seq", "eval"}, "setformer eval --checkpoint K"},
      {{"language", "eval"}, "setformer eval --checkpoint K"},
      {{"slots", "predict"}, "setformer predict --checkpoint K IMAGE..."},
      {{"translate"}, "setformer predict --checkpoint K FILE... (a source per line, - for stdin)"},
      {{"classify"}, "setformer predict --checkpoint K FILE..."},
  };
  for (const auto& m : moved) {
    if (args.size() >= m.old.size() && std::equal(m.old.begin(), m.old.end(), args.begin())) {
      return fmt::format("'setformer {}' is now '{}'; see docs/cli.md", fmt::join(m.old, " "),
                         m.now);
    }
  }
  return std::nullopt;
}

}  // namespace

const std::string& command_line() {
  return g_command_line;
}

void add_commands(CLI::App& app, const std::string& train_task) {
  app.name("setformer");
  app.description(
      "setformer: attention over sets and sequences (SeTformer, Transformer, Set Transformer, "
      "Slot Attention) on LibTorch");
  app.require_subcommand(1);
  add_train_command(app, train_task);
  add_eval_command(app);
  add_predict_command(app);
  add_data_command(app);
  add_tokenizer_command(app);
  add_info_command(app);
  add_bench_command(app);
  add_sets_command(app);
  add_slots_command(app);
  add_seq2seq_command(app);
  add_language_command(app);
  add_summarize_command(app);
  add_version_command(app);
  add_help_command(app);
}

}  // namespace setformer::cli

int main(int argc, char** argv) {
  using namespace setformer::cli;
  setformer::select_blas_kernels(argv);
  setformer::keep_freed_memory();
  g_command_line = "setformer";
  for (int i = 1; i < argc; ++i) {
    // Quoted when needed, so that the recorded command can be pasted back into a shell.
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"$*?;&|<>()") == std::string::npos;
    g_command_line += " " + (plain ? arg : "'" + arg + "'");
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (const auto moved = moved_command(args)) {
    std::cerr << "setformer: error: " << *moved << "\n";
    return 1;
  }

  CLI::App app;
  try {
    // `train` takes the options of its task's family, so the task is found before parsing.
    std::string task = setformer::tasks::kDefaultTask;
    if (!args.empty() && args[0] == "train")
      task = train_task(std::vector<std::string>(args.begin() + 1, args.end()));
    add_commands(app, task);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const c10::Error& e) {
    std::cerr << "setformer: error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "setformer: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

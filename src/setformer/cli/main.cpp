// `setformer`: the command-line tool. Parses arguments with CLI11, runs the chosen sub-command,
// and turns any error into one line on stderr naming the culprit, with a non-zero exit.
#include "setformer/cli/commands.h"

#include "setformer/core/runtime.h"

#include <c10/util/Exception.h>

#include <iostream>

namespace setformer::cli {
namespace {
std::string g_command_line;
}

const std::string& command_line() {
  return g_command_line;
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

  CLI::App app{
      "setformer: attention over sets and sequences (SeTformer, Transformer, Set Transformer, "
      "Slot Attention) on LibTorch"};
  app.require_subcommand(1);
  add_version_command(app);
  add_bench_command(app);
  add_info_command(app);
  add_train_commands(app);
  add_sets_command(app);
  add_slots_command(app);
  add_seq2seq_commands(app);
  add_language_commands(app);
  add_summarize_command(app);
  try {
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

// What the task commands share: the run options of every experiment family's config, the metrics
// and files a finished run prints, and the `table` sub-commands over runs' summary.json files.
#pragma once

#include "setformer/cli/commands.h"
#include "setformer/cli/config_options.h"
#include "setformer/core/runtime.h"
#include "setformer/train/progress.h"
#include "setformer/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace setformer::cli {

/// The [run] keys of an experiment config: seed, threads, device, out, checkpoint_every,
/// log_every, eval_every (in steps) and resume. `outputs` lists what run.out receives.
template <class Config>
void declare_run_options(ConfigurableOptions<Config>& o, const std::string& what,
                         const std::string& outputs) {
  o.add("--seed", "run.seed", &Config::seed, "Random seed (model and training " + what + ")");
  o.add("--threads", "run.threads", &Config::threads, "CPU threads (0: all available cores)");
  o.add("--device", "run.device", &Config::device, "cpu, cuda or cuda:N");
  o.add("--out", "run.out", &Config::out, "Run folder: " + outputs);
  o.add("--checkpoint-every", "run.checkpoint_every", &Config::checkpoint_every,
        "Checkpoint every N steps (0: only at the end)");
  o.add("--log-every", "run.log_every", &Config::log_every, "Progress line every N steps");
  o.add("--eval-every", "run.eval_every", &Config::eval_every,
        "Evaluate on the test " + what + " every N steps (0: only at the end)");
  o.add("--resume", "run.resume", &Config::resume, "Continue the run in --out from its checkpoint");
}

/// What an experiment's train function returns (SetTrainResult, SlotTrainResult).
template <class Result>
void print_train_result(const Result& result, const std::string& out, const std::string& files) {
  for (const auto& [key, value] : result.metrics.items()) {
    if (value.is_number_float()) fmt::print("{}: {:.4f}\n", key, value.template get<double>());
  }
  fmt::print("parameters: {:.3f} M, training time: {} on {} thread(s)\n",
             static_cast<double>(result.parameters) / 1e6,
             train::format_duration(result.summary.train_seconds), torch::get_num_threads());
  fmt::print("wrote {}: {}\n", out, files);
}

/// `<parent> table SUMMARY... --out PREFIX`: `write(summaries, out, command line)` returns the
/// markdown it wrote to PREFIX.md (and PREFIX.json).
inline void add_table_command(
    CLI::App& parent, const std::string& help, const std::string& default_out,
    const std::string& summaries_help,
    const std::function<std::string(const std::vector<std::string>&, const std::string&,
                                    const std::string&)>& write) {
  struct Args {
    std::vector<std::string> summaries;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  args->out = default_out;
  auto* cmd = parent.add_subcommand("table", help);
  cmd->add_option("summaries", args->summaries, summaries_help)
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Output path prefix")->capture_default_str();
  cmd->callback([args, write] {
    fmt::print("{}", write(args->summaries, args->out, command_line()));
    fmt::print("wrote {0}.md, {0}.json\n", args->out);
  });
}

}  // namespace setformer::cli

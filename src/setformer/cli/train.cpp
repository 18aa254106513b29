// `setformer train --config C`: one command for every task. The configuration's task.name picks
// the task's family (tasks/task.h) and with it the options the command takes, so the same flags
// and TOML keys that a family always had keep their meaning; a config without task.name trains an
// image classifier. `--dry-run` validates the configuration and builds the model without
// training.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"
#include "setformer/core/error.h"
#include "setformer/tasks/task.h"

#include <fmt/format.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

namespace setformer::cli {
namespace {

using Print = std::function<void(const std::string&)>;

/// What `train` does for one family: its options, its dry-run lines, its run and what it prints
/// when the run ends.
template <class Config, class Result>
struct TrainCommand {
  void (*declare)(ConfigurableOptions<Config>&);
  std::string (*describe_model)(const Config&);
  std::string (*describe_data)(const Config&);
  std::function<Result(const Config&, const Print&)> run;
  std::function<void(const Config&, const Result&)> report;
};

/// `train` with `command`'s options over `defaults` (the task's own defaults).
template <class Config, class Result>
void add_train(CLI::App& app, const Config& defaults, const TrainCommand<Config, Result>& command) {
  const auto family = tasks::family_of(defaults.task, "task.name");
  auto* cmd = app.add_subcommand(
      "train",
      "Train and evaluate a model on any task: task.name in the --config (or --task) "
      "picks the task, and with it the options");
  cmd->footer(fmt::format(
      "These are the options of family {}; `setformer train --task NAME --help` lists another "
      "family's, and docs/cli.md every family's.",
      tasks::family_title(family)));
  auto options = std::make_shared<ConfigurableOptions<Config>>(cmd);
  auto dry_run = std::make_shared<bool>(false);
  cmd->add_flag("--dry-run", *dry_run,
                "Check the configuration and build the model; print the task, model, parameters "
                "and data source, and exit without training");
  command.declare(*options);
  cmd->callback([options, dry_run, family, command, defaults] {
    const Config config = options->resolve(defaults);
    const auto task_family = tasks::family_of(config.task, "task.name");
    SETFORMER_CHECK(task_family == family,
                    "task.name = '{}' belongs to family {}, but the options were read for family "
                    "{}: give the task in the --config file, or as --task",
                    config.task, tasks::family_name(task_family), tasks::family_name(family));
    if (*dry_run) {
      fmt::print("task: {} ({})\nmodel: {}\ndata: {}\nout: {}\n", config.task,
                 tasks::family_name(family), command.describe_model(config),
                 command.describe_data(config), config.out);
      return;
    }
    train::install_interrupt_handler();
    const Result result =
        command.run(config, [](const std::string& line) { std::cerr << line << std::endl; });
    if (result.summary.interrupted) std::exit(train::interrupted_exit_code());
    command.report(config, result);
  });
}

/// The command of an experiment family (sets, slots, seq2seq, language): run.threads set, then
/// `train`; at the end the final metrics and the files written to run.out.
template <class Config, class Result>
TrainCommand<Config, Result> experiment(void (*declare)(ConfigurableOptions<Config>&),
                                        std::string (*describe_model)(const Config&),
                                        std::string (*describe_data)(const Config&),
                                        Result (*train)(const Config&, const Print&),
                                        const std::string& files) {
  TrainCommand<Config, Result> c{declare, describe_model, describe_data, {}, {}};
  c.run = [train](const Config& config, const Print& print) {
    set_threads(static_cast<int>(config.threads));
    return train(config, print);
  };
  c.report = [files](const Config& config, const Result& result) {
    print_train_result(result, config.out, files);
  };
  return c;
}

/// The defaults of `Config` for `task`: the family's, with task.name set.
template <class Config>
Config task_defaults(const std::string& task) {
  Config c;
  c.task = task;
  return c;
}

}  // namespace

void add_train_command(CLI::App& app, const std::string& task) {
  using tasks::Family;
  switch (tasks::family_of(task, "task.name")) {
    case Family::image_classification: {
      using Config = tasks::ImageClassifierConfig;
      // The classifier sets its threads itself (run.parallel shares them out).
      TrainCommand<Config, tasks::TrainResult> c{declare_image_options,
                                                 tasks::describe_image_classifier,
                                                 tasks::describe_image_data,
                                                 tasks::train_image_classifier,
                                                 {}};
      c.report = [](const Config& config, const tasks::TrainResult& result) {
        fmt::print("test accuracy: {:.4f} on {} images\n", result.test.confusion.accuracy(),
                   result.test.confusion.total());
        fmt::print("parameters: {:.3f} M, FLOPs: {:.1f} M per image\n",
                   static_cast<double>(result.parameters) / 1e6, result.flops / 1e6);
        fmt::print("training time: {}, inference: {:.0f} images/s on {} thread(s), parallel {}\n",
                   train::format_duration(result.summary.train_seconds),
                   result.test.images_per_second, result.cores, result.parallel);
        fmt::print(
            "wrote {0}/checkpoint.pt, {0}/log.jsonl, {0}/curves.png, {0}/confusion.png, "
            "{0}/summary.json\n",
            config.out);
      };
      return add_train(app, task_defaults<Config>(task), c);
    }
    case Family::sets:
      return add_train(
          app, task_defaults<tasks::SetExperimentConfig>(task),
          experiment(declare_set_options, tasks::describe_set_experiment, tasks::describe_set_data,
                     tasks::train_set_experiment,
                     "checkpoint.pt, log.jsonl, curves.png, predictions.png, summary.json"));
    case Family::slots:
      return add_train(
          app, task_defaults<tasks::SlotExperimentConfig>(task),
          experiment(declare_slot_options, tasks::describe_slot_experiment,
                     tasks::describe_slot_data, tasks::train_slot_experiment,
                     "checkpoint.pt, log.jsonl, curves.png, summary.json and pictures"));
    case Family::seq2seq:
      return add_train(
          app, task_defaults<tasks::SequenceExperimentConfig>(task),
          experiment(declare_sequence_options, tasks::describe_sequence_experiment,
                     tasks::describe_sequence_data, tasks::train_sequence_experiment,
                     "checkpoint.pt, log.jsonl, curves.png, samples.txt, summary.json"));
    case Family::language: {
      auto defaults = task_defaults<tasks::LanguageExperimentConfig>(task);
      // Classification reads the one labelled corpus.
      if (task == "classify") defaults.corpora = {"spam_assassin"};
      return add_train(app, defaults,
                       experiment(declare_language_options, tasks::describe_language_experiment,
                                  tasks::describe_language_data, tasks::train_language_experiment,
                                  "checkpoint.pt, log.jsonl, curves.png, summary.json"));
    }
  }
}

std::string train_task(const std::vector<std::string>& args) {
  std::string task, config;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto value = [&](const std::string& flag, std::string& out) {
      if (args[i] == flag && i + 1 < args.size()) out = args[i + 1];
      if (args[i].rfind(flag + "=", 0) == 0) out = args[i].substr(flag.size() + 1);
    };
    value("--task", task);
    value("--config", config);
  }
  if (!task.empty()) {
    tasks::family_of(task, "--task");
    return task;
  }
  // A missing file is left to the option's own check, which names it.
  if (!config.empty() && std::filesystem::is_regular_file(config)) {
    task = tasks::config_task(config);
    tasks::family_of(task, config + ": task.name");
    return task;
  }
  return tasks::kDefaultTask;
}

}  // namespace setformer::cli

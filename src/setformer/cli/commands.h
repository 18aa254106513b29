// Sub-commands of the `setformer` tool, one file each; main.cpp wires them together.
#pragma once

#include "setformer/cli/config_options.h"
#include "setformer/tasks/image_classification.h"
#include "setformer/tasks/language.h"
#include "setformer/tasks/seq2seq.h"
#include "setformer/tasks/sets.h"
#include "setformer/tasks/slots.h"
#include "setformer/tasks/task.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace setformer::cli {

/// The command line as typed, recorded in results so that they can be reproduced.
const std::string& command_line();

/// Every command, in the order `setformer --help` lists them. `train` takes the options of the
/// family of `train_task` (see train_task()).
void add_commands(CLI::App& app, const std::string& train_task);

void add_version_command(CLI::App& app);
void add_info_command(CLI::App& app);
/// `train` with the options of the family of `task` (task_options.cpp), over that task's
/// defaults.
void add_train_command(CLI::App& app, const std::string& task);
/// The task whose options `setformer train ARGS` takes: --task when given, else the --config
/// file's task.name, else image classification. Throws naming the file or flag when the task is
/// unknown.
std::string train_task(const std::vector<std::string>& args);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);
/// `sets table`: the Set Transformer paper's tables from runs' summaries.
void add_sets_command(CLI::App& app);
/// `slots scenes` and `slots table`.
void add_slots_command(CLI::App& app);
/// `seq2seq table`.
void add_seq2seq_command(CLI::App& app);
/// `language table`.
void add_language_command(CLI::App& app);
/// `data export`: the built-in datasets written as files of the kinds users bring.
void add_data_command(CLI::App& app);
/// `setformer tokenizer train|encode`: SentencePiece models (cli/tokenizer.cpp).
void add_tokenizer_command(CLI::App& app);
/// `summarize`: a results table and curves from image-classification runs' summaries.
void add_summarize_command(CLI::App& app);
/// `help`: every command's help, or docs/cli.md with --markdown.
void add_help_command(CLI::App& app);

/// Training options, as flags and config keys, one function per task family (task_options.cpp);
/// `bench train` and `bench language` reuse the image and language ones.
void declare_image_options(ConfigurableOptions<tasks::ImageClassifierConfig>& o);
void declare_set_options(ConfigurableOptions<tasks::SetExperimentConfig>& o);
void declare_slot_options(ConfigurableOptions<tasks::SlotExperimentConfig>& o);
void declare_sequence_options(ConfigurableOptions<tasks::SequenceExperimentConfig>& o);
void declare_language_options(ConfigurableOptions<tasks::LanguageExperimentConfig>& o);

}  // namespace setformer::cli

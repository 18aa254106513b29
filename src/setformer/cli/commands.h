// Sub-commands of the `setformer` tool, one file each; main.cpp wires them together.
#pragma once

#include "setformer/cli/config_options.h"
#include "setformer/train/image_classification.h"
#include "setformer/train/language_experiments.h"

#include <CLI/CLI.hpp>

#include <string>

namespace setformer::cli {

/// The command line as typed, recorded in results so that they can be reproduced.
const std::string& command_line();

void add_version_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_info_command(CLI::App& app);
/// `train`, `eval` and `predict`.
void add_train_commands(CLI::App& app);
/// Every training option, as a flag and a config key: shared by `train` and `bench train`.
void declare_train_options(ConfigurableOptions<train::ImageClassifierConfig>& o);
/// `sets train` and `sets table`: the Set Transformer paper's experiments.
void add_sets_command(CLI::App& app);
void add_slots_command(CLI::App& app);
/// `seq2seq train|table` (the Transformer on generated sequence tasks) and `translate`.
void add_seq2seq_commands(CLI::App& app);
/// `pretrain`, `finetune` and `classify`: the language experiments.
void add_language_commands(CLI::App& app);
/// Every language option, as a flag and a config key: shared by the language commands and
/// `bench language`.
void declare_language_options(ConfigurableOptions<train::LanguageExperimentConfig>& o);
/// `summarize`: a results table and curves from training runs' summaries.
void add_summarize_command(CLI::App& app);

}  // namespace setformer::cli

// The GLUE benchmark's tasks (Wang et al., ICLR 2019) as its official distribution lays them out
// (the unpacked glue_data/ folder): for each task, its folder and files, the columns of its
// training, development and test files, its label set, and the file the GLUE server expects for
// its test predictions. `task.glue = sst2` in a config fills the data settings from here, so that
// `setformer train --config configs/glue/sst2.toml --data-root GLUE_DIR` reads the download as it
// is. No LibTorch here.
#pragma once

#include "setformer/data/text_files.h"

#include <string>
#include <vector>

namespace setformer::data {

struct GlueSplit {
  std::string name;  // "dev", "dev_matched", "test_mismatched", "ax"
  std::string file;  // relative to the task's folder ("dev_matched.tsv", "../diagnostic/...")
  /// Test splits: the file the GLUE server expects ("MNLI-m.tsv").
  std::string submission;
};

struct GlueTask {
  std::string name;    // cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli
  std::string folder;  // "CoLA", "SST-2", ...
  std::string train = "train.tsv";
  std::vector<GlueSplit> eval;  // labelled development splits
  std::vector<GlueSplit> test;  // unlabelled test splits
  TextColumns columns;          // training and development files
  TextColumns test_columns;     // test files (their own layout, no labels)
  /// The labels in GLUE's order; empty for STS-B, a regression on [0, 5].
  std::vector<std::string> labels;
  /// The metrics GLUE reports for the task (train/glue_metrics.h): accuracy, f1, matthews,
  /// pearson, spearman.
  std::vector<std::string> metrics;
  /// QQP's training file holds a few malformed lines, which GLUE's own baselines skip.
  std::string bad_rows = "error";
  bool regression() const { return labels.empty(); }
};

/// "cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli".
const std::vector<std::string>& glue_task_names();

/// The task `name`; throws std::invalid_argument listing the valid names.
const GlueTask& glue_task(const std::string& name);

/// The folder of `task` under `root`: root/<task folder> when it exists (root is the unpacked
/// glue_data/), else root itself (root is the task's own folder).
std::string glue_folder(const GlueTask& task, const std::string& root);

}  // namespace setformer::data

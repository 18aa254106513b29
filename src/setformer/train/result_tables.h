// Results tables built from runs' summary.json files (sets table, slots table): reading and
// validating the summaries, and writing the markdown and JSON with the rows' notes.
#pragma once

#include "setformer/io/table.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace setformer::train {

/// The summary.json of a finished run, the fields every results table reads: task, row,
/// parameters, metrics, train_seconds, steps, threads, device and the resolved config (which
/// holds the row's note). `extra` adds fields of one kind of experiment.
nlohmann::json run_summary(const std::string& task, const std::string& row, int64_t parameters,
                           const nlohmann::json& metrics, int64_t steps, double train_seconds,
                           const std::string& device, const nlohmann::json& config,
                           const nlohmann::json& extra = nlohmann::json::object());

/// Parses every file; throws naming the file when it is not JSON, lacks one of `required`, or
/// differs from the first file in one of `same` (e.g. the task). `writer` names the command that
/// writes such summaries, for the error.
std::vector<nlohmann::json> read_summaries(const std::vector<std::string>& files,
                                           const std::vector<std::string>& required,
                                           const std::vector<std::string>& same,
                                           const std::string& writer);

/// Writes <out>.md (the command, the table, each run's config.note as a bullet, then `appendix`)
/// and <out>.json (`json` plus the command); returns the markdown.
std::string write_results_table(const io::Table& table, const std::vector<nlohmann::json>& runs,
                                nlohmann::json json, const std::string& out,
                                const std::string& command, const std::string& appendix = "");

}  // namespace setformer::train

#include "setformer/train/result_tables.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <stdexcept>

namespace setformer::train {

nlohmann::json run_summary(const std::string& task, const std::string& row, int64_t parameters,
                           const nlohmann::json& metrics, int64_t steps, double train_seconds,
                           const std::string& device, const nlohmann::json& config,
                           const nlohmann::json& extra) {
  nlohmann::json j{{"task", task},
                   {"row", row},
                   {"parameters", parameters},
                   {"metrics", metrics},
                   {"train_seconds", train_seconds},
                   {"steps", steps},
                   {"threads", torch::get_num_threads()},
                   {"device", device},
                   {"config", config}};
  j.update(extra);
  return j;
}

std::vector<nlohmann::json> read_summaries(const std::vector<std::string>& files,
                                           const std::vector<std::string>& required,
                                           const std::vector<std::string>& same,
                                           const std::string& writer) {
  SETFORMER_CHECK(!files.empty(), "results table: no summary files given");
  std::vector<nlohmann::json> runs;
  for (const auto& file : files) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(file));
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(fmt::format("{}: not JSON ({})", file, e.what()));
    }
    for (const auto& key : required) {
      if (!j.contains(key)) {
        throw std::runtime_error(
            fmt::format("{}: no '{}' (not a summary written by {})", file, key, writer));
      }
    }
    for (const auto& key : same) {
      if (!runs.empty() && j[key] != runs.front()[key]) {
        throw std::runtime_error(fmt::format("{}: {} '{}' differs from the table's '{}'", file, key,
                                             j[key].dump(), runs.front()[key].dump()));
      }
    }
    runs.push_back(std::move(j));
  }
  return runs;
}

std::string write_results_table(const io::Table& table, const std::vector<nlohmann::json>& runs,
                                nlohmann::json json, const std::string& out,
                                const std::string& command, const std::string& appendix) {
  std::string notes;
  for (const auto& r : runs) {
    const std::string note = r.contains("config") ? r["config"].value("note", "") : "";
    if (!note.empty()) notes += fmt::format("- {}: {}\n", r["row"].get<std::string>(), note);
  }
  const std::string markdown =
      fmt::format("Command: `{}`\n\n{}{}{}", command, table.markdown(),
                  notes.empty() ? "" : "\n" + notes, appendix.empty() ? "" : "\n" + appendix);
  write_file_atomic(out + ".md", markdown);
  json["command"] = command;
  write_file_atomic(out + ".json", json.dump(2) + "\n");
  return markdown;
}

}  // namespace setformer::train

// What a long run shows and leaves behind: a one-line progress report (step, epoch, loss,
// accuracy, throughput, time left), a JSONL metrics log with one object per line, and the loss
// and accuracy curves drawn from that log as a PNG.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace setformer::train {

/// "45s", "3m07s", "2h05m".
std::string format_duration(double seconds);

struct ProgressState {
  int64_t step = 0, total_steps = 0, epoch = 0;
  double loss = 0, accuracy = -1;  // accuracy < 0: not shown
  double items_per_second = 0;     // throughput, e.g. images/s
  double seconds_left = 0;
  double data_fraction = -1;  // share of the time spent waiting for data (< 0: not shown)
  std::string unit = "img";
};

/// "step  120/5000  epoch 1  loss 0.4321  acc 0.8812  850.2 img/s  data 3%  3m12s left"
std::string format_progress(const ProgressState& state);

/// Appends JSON objects to a file, one per line, flushed after each so that a crash loses at
/// most the line being written.
class JsonlLog {
 public:
  /// Opens `path` for appending (creating folders); truncate = true starts a new log.
  JsonlLog(const std::string& path, bool truncate);
  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

/// Reads a JSONL log. A final line without its newline (a crash mid-write) is ignored; any
/// other unparsable line is an error naming the file and line.
std::vector<nlohmann::json> read_jsonl(const std::string& path);

/// Draws records' `y_keys` (e.g. "loss", "accuracy") against `x_key` (e.g. "step"), one panel
/// per key, and saves the PNG atomically. Records without a key are skipped for that panel.
void plot_curves(const std::vector<nlohmann::json>& records, const std::string& x_key,
                 const std::vector<std::string>& y_keys, const std::string& title,
                 const std::string& path);

}  // namespace setformer::train

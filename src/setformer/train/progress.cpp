#include "setformer/train/progress.h"

#include "setformer/core/files.h"
#include "setformer/io/plot.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace setformer::train {

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string format_progress(const ProgressState& p) {
  const int width = static_cast<int>(std::to_string(p.total_steps).size());
  std::string s = fmt::format("step {:>{}}/{}  epoch {}  loss {:.4f}", p.step, width, p.total_steps,
                              p.epoch, p.loss);
  if (p.accuracy >= 0) s += fmt::format("  acc {:.4f}", p.accuracy);
  s += fmt::format("  {:.1f} {}/s", p.items_per_second, p.unit);
  if (p.data_fraction >= 0) s += fmt::format("  data {:.0f}%", 100 * p.data_fraction);
  return s + fmt::format("  {} left", format_duration(p.seconds_left));
}

JsonlLog::JsonlLog(const std::string& path, bool truncate) : path_(path) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  out_.open(path, truncate ? std::ios::trunc : std::ios::app);
  if (!out_)
    throw std::runtime_error(fmt::format("{}: cannot open the metrics log for writing", path));
}

void JsonlLog::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) throw std::runtime_error(fmt::format("{}: cannot write the metrics log", path_));
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<nlohmann::json> records;
  size_t start = 0;
  int line = 1;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // incomplete last line: the write a crash cut off
    const std::string_view content(text.data() + start, end - start);
    if (!content.empty()) {
      try {
        records.push_back(nlohmann::json::parse(content));
      } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(
            fmt::format("{}:{}: not a JSON object ({})", path, line, e.what()));
      }
    }
    start = end + 1;
    ++line;
  }
  return records;
}

void plot_curves(const std::vector<nlohmann::json>& records, const std::string& x_key,
                 const std::vector<std::string>& y_keys, const std::string& title,
                 const std::string& path) {
  const int panel_width = 800, height = 600;
  io::Image image(panel_width * static_cast<int>(std::max<size_t>(1, y_keys.size())), height);
  for (size_t k = 0; k < y_keys.size(); ++k) {
    io::Series series;
    series.label = y_keys[k];
    for (const auto& r : records) {
      if (!r.contains(x_key) || !r.contains(y_keys[k]) || !r[y_keys[k]].is_number()) continue;
      series.x.push_back(r[x_key].get<double>());
      series.y.push_back(r[y_keys[k]].get<double>());
    }
    io::ChartOptions options;
    options.title = title + ": " + y_keys[k];
    options.x_label = x_key;
    options.y_label = y_keys[k];
    io::draw_line_chart(image, panel_width * static_cast<int>(k), 10, panel_width, height - 20,
                        options, {series});
  }
  image.save_png(path);
}

}  // namespace setformer::train

#include "setformer/io/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace setformer::io {

void Table::add(std::vector<std::string> row) {
  if (row.size() != columns.size()) {
    throw std::invalid_argument(fmt::format("table row has {} fields but the table has {} columns",
                                            row.size(), columns.size()));
  }
  rows.push_back(std::move(row));
}

std::string Table::markdown() const {
  std::vector<size_t> width(columns.size(), 3);
  for (size_t c = 0; c < columns.size(); ++c) {
    width[c] = std::max(width[c], columns[c].size());
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string s = "|";
    for (size_t c = 0; c < cells.size(); ++c) s += fmt::format(" {:<{}} |", cells[c], width[c]);
    return s + "\n";
  };
  std::string out = line(columns) + "|";
  for (size_t c = 0; c < columns.size(); ++c) out += std::string(width[c] + 2, '-') + "|";
  out += "\n";
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string Table::csv() const {
  const auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char ch : s) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return quoted + "\"";
  };
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); ++c) s += (c ? "," : "") + field(cells[c]);
    return s + "\n";
  };
  std::string out = line(columns);
  for (const auto& row : rows) out += line(row);
  return out;
}

}  // namespace setformer::io

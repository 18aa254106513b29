#include "setformer/io/delimited.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace setformer::io {

std::vector<DelimitedRow> parse_delimited(std::string_view text, const std::string& name,
                                          const DelimitedOptions& o) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const auto fail = [&](int64_t line, const std::string& why) {
    throw std::invalid_argument(fmt::format("{}:{}: {}", name, line, why));
  };
  std::vector<DelimitedRow> rows;
  DelimitedRow row;
  std::string field;
  int64_t line = o.first_line;
  size_t i = 0;
  const auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
  };
  const auto end_row = [&] {
    end_field();
    // A blank line is one empty field: skipped.
    if (!(row.fields.size() == 1 && row.fields[0].empty())) rows.push_back(std::move(row));
    row = DelimitedRow{};
  };
  row.line = line;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\0') fail(line, "NUL byte (a binary file?)");
    if (o.quoting && c == '"' && field.empty()) {
      // A quoted field: up to the quote that is not doubled.
      const int64_t start_line = line;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        const char q = text[i];
        if (q == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (q == '\0') fail(line, "NUL byte (a binary file?)");
        if (q == '\n') ++line;
        field += q;
        ++i;
      }
      if (!closed) fail(start_line, "quoted field never closed (a '\"' is missing)");
      if (i < text.size() && text[i] != o.delimiter && text[i] != '\n' && text[i] != '\r') {
        fail(line, fmt::format("unexpected character '{}' after a closing quote (double a quote "
                               "inside a quoted field: \"\")",
                               text[i]));
      }
      continue;
    }
    if (c == o.delimiter) {
      end_field();
      ++i;
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      end_row();
      i += c == '\r' ? 2 : 1;
      ++line;
      row.line = line;
    } else {
      field += c;
      ++i;
    }
  }
  if (!field.empty() || !row.fields.empty()) end_row();
  return rows;
}

bool ends_in_quoted_field(std::string_view text, const DelimitedOptions& o) {
  if (!o.quoting) return false;
  bool quoted = false, field_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"')
          ++i;
        else
          quoted = false;
      }
    } else if (c == '"' && field_start) {
      quoted = true;
      field_start = false;
    } else {
      field_start = c == o.delimiter || c == '\n';
    }
  }
  return quoted;
}

DelimitedOptions delimited_options_for(const std::string& path) {
  const auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), path.rbegin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if (ends_with(".tsv") || ends_with(".txt")) return {'\t', false};
  return {',', true};
}

}  // namespace setformer::io

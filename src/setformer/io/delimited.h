// Delimited text tables (CSV and TSV) as users write them: list files of images and labels now,
// labelled text (GLUE's TSV files, CSV exports) later. No LibTorch here, so that the fuzz target
// (fuzz/image_list_fuzz.cpp) builds in seconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace setformer::io {

struct DelimitedOptions {
  char delimiter = ',';
  /// RFC 4180 quoting: a field that starts with '"' runs to the matching '"' and may hold the
  /// delimiter, line breaks and doubled quotes (""). Off for TSV, whose fields are taken
  /// verbatim (GLUE's files hold unbalanced quotes inside sentences).
  bool quoting = true;
  /// The line number of the text's first line, for messages about a record cut from a file.
  int64_t first_line = 1;
};

/// One record and the line it starts on (1-based), for error messages.
struct DelimitedRow {
  int64_t line = 0;
  std::vector<std::string> fields;
};

/// The records of `text`: lines end with "\n" or "\r\n", blank lines are skipped and a UTF-8
/// byte-order mark is ignored. Throws std::invalid_argument naming `name`, the line and the rule
/// (an unterminated quoted field, a character after a closing quote, a NUL byte).
std::vector<DelimitedRow> parse_delimited(std::string_view text, const std::string& name,
                                          const DelimitedOptions& options = {});

/// Whether `text` ends inside a quoted field, i.e. a record of it continues on the next line.
/// Always false without quoting.
bool ends_in_quoted_field(std::string_view text, const DelimitedOptions& options);

/// The options a file name implies: tab-separated without quoting for ".tsv" and ".txt",
/// comma-separated with RFC 4180 quoting otherwise.
DelimitedOptions delimited_options_for(const std::string& path);

}  // namespace setformer::io

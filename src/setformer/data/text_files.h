// Text of the user's own (issue 40), read as the Hugging Face and GLUE tooling lays it out:
// corpora for pre-training (plain-text files or folders, one document per file or per line; JSONL
// with a text field) and labelled examples (TSV, CSV with RFC 4180 quoting, JSONL) with named
// columns for a text, an optional second text and a label. Files ending in ".gz" are gunzipped
// as they are read. No LibTorch here, so that the fuzz target (fuzz/text_files_fuzz.cpp) builds
// in seconds.
//
// Policies, the same for every format:
//   - a UTF-8 byte-order mark at the start of a file is dropped; "\r\n" ends a line as "\n" does;
//   - invalid UTF-8 is an error naming the file and line (`invalid_utf8 = error`), or each
//     invalid byte becomes U+FFFD (`replace`);
//   - a record longer than `max_record_bytes` is an error naming the file and line, found while
//     reading it, so that a file of one enormous line never fills the memory;
//   - a labelled row with the wrong number of columns, an empty text or (where labels are
//     required) an empty label is a bad row: an error naming the file, line and column, or left
//     out and counted (`bad_rows = skip`).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace setformer::data {

struct TextReadOptions {
  int64_t max_record_bytes = int64_t{16} << 20;
  std::string invalid_utf8 = "error";  // error | replace
  std::string bad_rows = "error";      // error | skip
};

/// Throws std::invalid_argument naming the field.
void validate(const TextReadOptions& options);

/// Calls `line` with each line of the file at `path` (plain or gzip, by content) and its 1-based
/// number, without the line end, UTF-8 checked or repaired. Throws std::runtime_error naming the
/// file when it cannot be read, std::invalid_argument naming the file and line for a bad line.
void for_each_line(const std::string& path, const TextReadOptions& options,
                   const std::function<void(std::string&&, int64_t)>& line);

/// Checks `text` as UTF-8 (overlong forms, surrogates and code points above U+10FFFF are
/// invalid); invalid bytes are replaced by U+FFFD when `replace`, else std::invalid_argument
/// names `where` and the byte's column.
void check_utf8(std::string& text, bool replace, const std::string& where);

// --- corpora -------------------------------------------------------------------------------

struct CorpusOptions {
  /// Plain text: `file`, each file one document; `line`, each non-empty line one.
  std::string document = "file";
  /// JSONL files (".jsonl", ".ndjson", with or without ".gz"): the field holding the text.
  std::string text_field = "text";
  TextReadOptions read;
};

struct TextDocument {
  std::string id;  // "PATH" (one document per file) or "PATH:LINE"
  std::string text;
};

/// The documents of `path`: a file, or every file under a folder (recursively, sorted, hidden
/// files and folders skipped). Empty documents are left out. Throws naming the file (and line)
/// when nothing is found or a record is bad.
std::vector<TextDocument> read_text_corpus(const std::string& path, const CorpusOptions& options);

// --- labelled examples ---------------------------------------------------------------------

struct TextColumns {
  std::string text = "text";
  std::string text_pair = "";  // empty: single texts
  std::string label = "label";
  std::string id = "";  // empty: the line number is the id
  /// The columns of a TSV/CSV file without a header, in order (GLUE's CoLA); empty: the first
  /// row names them.
  std::vector<std::string> names;
  /// false for test files, whose labels are hidden (GLUE's test.tsv).
  bool label_required = true;
};

struct TextExample {
  int64_t line = 0;  // where the row starts, for messages
  std::string id, text, text_pair, label;
};

struct TextExamples {
  std::vector<TextExample> examples;
  /// Rows left out by bad_rows = skip, as "FILE:LINE: reason".
  std::vector<std::string> skipped;
};

/// "tsv", "csv" or "jsonl" from the file name (".gz" stripped): .tsv/.txt, .csv,
/// .jsonl/.ndjson/.json; `format` other than "auto" wins. Throws naming the file otherwise.
std::string text_format(const std::string& path, const std::string& format = "auto");

/// The labelled rows of a file.
TextExamples read_text_examples(const std::string& path, const TextColumns& columns,
                                const TextReadOptions& options, const std::string& format = "auto");

/// read_text_examples on a file's contents (uncompressed), `name` naming it in errors: the fuzz
/// target's entry.
TextExamples parse_text_examples(std::string_view text, const std::string& name,
                                 const TextColumns& columns, const TextReadOptions& options,
                                 const std::string& format);

/// A table of text as a file of `format`: "jsonl" (an object per row, every value a string),
/// "csv" (RFC 4180, quoted where needed; lossless) or "tsv" (a header, then fields verbatim; TSV
/// has no quoting, so tabs and line breaks inside a field become spaces).
std::string text_table(const std::vector<std::string>& columns,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& format);

/// The distinct labels, sorted; numerically when every label is an integer ("2" before "10").
std::vector<std::string> label_set(std::vector<std::string> labels);

}  // namespace setformer::data

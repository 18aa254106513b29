#include "setformer/data/text_files.h"

#include "setformer/io/delimited.h"

#include <fmt/format.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

namespace setformer::data {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
      return false;
  }
  return true;
}

/// The name without a trailing ".gz".
std::string without_gz(const std::string& path) {
  return ends_with(path, ".gz") ? path.substr(0, path.size() - 3) : path;
}

[[noreturn]] void fail(const std::string& name, int64_t line, const std::string& why) {
  throw std::invalid_argument(fmt::format("{}:{}: {}", name, line, why));
}

/// Lines of a file or of a text, with their numbers: the line end, a leading byte-order mark and
/// NUL bytes are dealt with here, UTF-8 by the caller.
class LineSource {
 public:
  LineSource(std::string name, int64_t max_bytes) : name_(std::move(name)), max_(max_bytes) {}
  virtual ~LineSource() = default;
  /// The next line in `line`; false at the end.
  bool next(std::string& line) {
    if (!read(line)) return false;
    ++number_;
    if (number_ == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find('\0') != std::string::npos) fail(name_, number_, "NUL byte (a binary file?)");
    return true;
  }
  int64_t number() const { return number_; }
  const std::string& name() const { return name_; }
  int64_t max_bytes() const { return max_; }

 protected:
  /// The raw line; an error names the line being read when it grows past the limit.
  virtual bool read(std::string& line) = 0;
  [[noreturn]] void too_long() const {
    fail(name_, number_ + 1,
         fmt::format("a line longer than {} bytes (data.max_record_bytes); is this a text file?",
                     max_));
  }

 private:
  std::string name_;
  int64_t max_;
  int64_t number_ = 0;
};

class MemoryLines : public LineSource {
 public:
  MemoryLines(std::string_view text, const std::string& name, int64_t max_bytes)
      : LineSource(name, max_bytes), text_(text) {}

 private:
  bool read(std::string& line) override {
    if (at_ >= text_.size()) return false;
    auto end = text_.find('\n', at_);
    if (end == std::string_view::npos) end = text_.size();
    if (static_cast<int64_t>(end - at_) > max_bytes()) too_long();
    line.assign(text_.substr(at_, end - at_));
    at_ = end + 1;
    return true;
  }
  std::string_view text_;
  size_t at_ = 0;
};

/// A file read through zlib, which passes uncompressed files through unchanged.
class FileLines : public LineSource {
 public:
  FileLines(const std::string& path, int64_t max_bytes) : LineSource(path, max_bytes) {
    if (!fs::is_regular_file(path))
      throw std::runtime_error(fmt::format("{}: file not found", path));
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw std::runtime_error(fmt::format("{}: cannot open it", path));
    gzbuffer(file_, 1 << 17);
  }
  ~FileLines() override { gzclose(file_); }

 private:
  bool read(std::string& line) override {
    line.clear();
    for (;;) {
      if (at_ == size_ && !fill()) return !line.empty();
      const char* begin = buffer_.data() + at_;
      const auto* end = static_cast<const char*>(std::memchr(begin, '\n', size_ - at_));
      const size_t n = end ? static_cast<size_t>(end - begin) : size_ - at_;
      if (static_cast<int64_t>(line.size() + n) > max_bytes()) too_long();
      line.append(begin, n);
      at_ += n;
      if (end) {
        ++at_;
        return true;
      }
    }
  }
  bool fill() {
    const int n = gzread(file_, buffer_.data(), static_cast<unsigned>(buffer_.size()));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file_, &code);
      throw std::runtime_error(
          fmt::format("{}: cannot read it past line {} ({})", name(), number(), message));
    }
    at_ = 0;
    size_ = static_cast<size_t>(n);
    return n > 0;
  }
  gzFile file_ = nullptr;
  std::string buffer_ = std::string(size_t{1} << 17, '\0');
  size_t at_ = 0, size_ = 0;
};

void check_line(std::string& line, const LineSource& source, const TextReadOptions& o) {
  check_utf8(line, o.invalid_utf8 == "replace",
             fmt::format("{}:{}", source.name(), source.number()));
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string list(const std::vector<std::string>& names) {
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

/// Adds a row, or settles it as bad by the policy.
class Rows {
 public:
  Rows(const std::string& name, const TextColumns& c, const TextReadOptions& o)
      : name_(name), c_(c), o_(o) {}
  void bad(int64_t line, const std::string& why) {
    if (o_.bad_rows != "skip")
      fail(name_, line, why + " (data.bad_rows = skip leaves such rows out)");
    out.skipped.push_back(fmt::format("{}:{}: {}", name_, line, why));
  }
  /// Checks and adds one example whose fields were found.
  void add(TextExample e, bool has_label) {
    if (trim(e.text).empty()) return bad(e.line, fmt::format("empty text in column '{}'", c_.text));
    if (!c_.text_pair.empty() && trim(e.text_pair).empty())
      return bad(e.line, fmt::format("empty text in column '{}'", c_.text_pair));
    if (c_.label_required && (!has_label || trim(e.label).empty()))
      return bad(e.line, fmt::format("empty label in column '{}'", c_.label));
    if (e.id.empty()) e.id = std::to_string(e.line);
    out.examples.push_back(std::move(e));
  }
  TextExamples out;

 private:
  const std::string& name_;
  const TextColumns& c_;
  const TextReadOptions& o_;
};

TextExamples read_delimited(LineSource& source, const TextColumns& c, const TextReadOptions& o,
                            bool csv) {
  io::DelimitedOptions dialect{csv ? ',' : '\t', csv};
  Rows rows(source.name(), c, o);
  std::vector<std::string> names = c.names;
  std::map<std::string, size_t> index;
  const auto set_names = [&](int64_t line) {
    for (size_t i = 0; i < names.size(); ++i) index.emplace(names[i], i);
    for (const auto* column : {&c.text, &c.text_pair, &c.label, &c.id}) {
      if (column->empty() || index.count(*column)) continue;
      if (column == &c.label && !c.label_required) continue;
      fail(source.name(), line,
           fmt::format("no column '{}' {} (it has: {})", *column,
                       c.names.empty() ? "in the header" : "in the columns given", list(names)));
    }
  };
  if (!names.empty()) set_names(0);
  std::string line, record;
  while (source.next(line)) {
    check_line(line, source, o);
    record = std::move(line);
    dialect.first_line = source.number();
    // A quoted CSV field may hold line breaks: the record runs on until the quote closes.
    while (io::ends_in_quoted_field(record, dialect)) {
      if (!source.next(line)) break;  // parse_delimited names the open quote
      check_line(line, source, o);
      if (static_cast<int64_t>(record.size() + line.size() + 1) > o.max_record_bytes)
        fail(source.name(), dialect.first_line,
             fmt::format("a record longer than {} bytes (data.max_record_bytes); a quote never "
                         "closed?",
                         o.max_record_bytes));
      record += '\n';
      record += line;
    }
    const auto parsed = io::parse_delimited(record, source.name(), dialect);
    if (parsed.empty()) continue;  // a blank line
    const auto& fields = parsed.front().fields;
    if (names.empty()) {
      names = fields;
      set_names(dialect.first_line);
      continue;
    }
    if (fields.size() != names.size()) {
      rows.bad(dialect.first_line,
               fmt::format("{} columns, but {} has {}", fields.size(),
                           c.names.empty() ? "the header" : "the column list", names.size()));
      continue;
    }
    const auto field = [&](const std::string& column) {
      return column.empty() || !index.count(column) ? std::string() : fields[index.at(column)];
    };
    TextExample e;
    e.line = dialect.first_line;
    e.text = field(c.text);
    e.text_pair = field(c.text_pair);
    e.label = trim(field(c.label));
    e.id = trim(field(c.id));
    rows.add(std::move(e), index.count(c.label) > 0);
  }
  if (names.empty()) throw std::invalid_argument(fmt::format("{}: an empty file", source.name()));
  return std::move(rows.out);
}

/// A JSON value as a label or id: strings as they are, numbers and booleans as JSON writes them.
bool scalar_text(const nlohmann::json& v, std::string& out) {
  if (v.is_string()) {
    out = v.get<std::string>();
    return true;
  }
  if (v.is_number() || v.is_boolean()) {
    out = v.dump();
    return true;
  }
  return false;
}

TextExamples read_jsonl(LineSource& source, const TextColumns& c, const TextReadOptions& o) {
  Rows rows(source.name(), c, o);
  std::string line;
  while (source.next(line)) {
    check_line(line, source, o);
    if (trim(line).empty()) continue;
    const int64_t n = source.number();
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      rows.bad(n, "not a JSON object");
      continue;
    }
    TextExample e;
    e.line = n;
    bool ok = true;
    for (const auto& [column, target] :
         {std::pair<const std::string*, std::string*>{&c.text, &e.text},
          {&c.text_pair, &e.text_pair}}) {
      if (column->empty()) continue;
      if (!j.contains(*column) || !j[*column].is_string()) {
        rows.bad(n, fmt::format("no string field '{}'", *column));
        ok = false;
        break;
      }
      *target = j[*column].get<std::string>();
    }
    if (!ok) continue;
    const bool has_label = j.contains(c.label) && scalar_text(j[c.label], e.label);
    if (j.contains(c.label) && !has_label && c.label_required) {
      rows.bad(n, fmt::format("field '{}' is not a string, number or boolean", c.label));
      continue;
    }
    if (!c.id.empty() && j.contains(c.id)) scalar_text(j[c.id], e.id);
    rows.add(std::move(e), has_label);
  }
  return std::move(rows.out);
}

TextExamples read_examples(LineSource& source, const TextColumns& c, const TextReadOptions& o,
                           const std::string& format) {
  validate(o);
  if (c.text.empty()) throw std::invalid_argument("data.text_column must name a column");
  auto out =
      format == "jsonl" ? read_jsonl(source, c, o) : read_delimited(source, c, o, format == "csv");
  if (out.examples.empty())
    throw std::invalid_argument(
        fmt::format("{}: no examples ({} bad rows left out)", source.name(), out.skipped.size()));
  return out;
}

}  // namespace

void validate(const TextReadOptions& o) {
  if (o.max_record_bytes < 1)
    throw std::invalid_argument(
        fmt::format("data.max_record_bytes must be >= 1, got {}", o.max_record_bytes));
  if (o.invalid_utf8 != "error" && o.invalid_utf8 != "replace")
    throw std::invalid_argument(fmt::format(
        "data.invalid_utf8 = '{}' is not valid; expected error | replace", o.invalid_utf8));
  if (o.bad_rows != "error" && o.bad_rows != "skip")
    throw std::invalid_argument(
        fmt::format("data.bad_rows = '{}' is not valid; expected error | skip", o.bad_rows));
}

void check_utf8(std::string& text, bool replace, const std::string& where) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  std::string repaired;
  size_t copied = 0;  // bytes of `text` already in `repaired`
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    size_t length = 0;
    uint32_t min = 0, cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, cp = c & 0x07;
    }
    bool valid = length > 0 && i + length <= n;
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (s[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    valid = valid && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (valid) {
      i += length;
      continue;
    }
    if (!replace)
      throw std::invalid_argument(fmt::format(
          "{}: invalid UTF-8 at byte {} of the line (data.invalid_utf8 = replace turns such bytes "
          "into U+FFFD)",
          where, i + 1));
    repaired.append(text, copied, i - copied);
    repaired += "\xEF\xBF\xBD";
    ++i;
    copied = i;
  }
  if (copied > 0) {
    repaired.append(text, copied, n - copied);
    text = std::move(repaired);
  }
}

void for_each_line(const std::string& path, const TextReadOptions& o,
                   const std::function<void(std::string&&, int64_t)>& f) {
  validate(o);
  FileLines source(path, o.max_record_bytes);
  std::string line;
  while (source.next(line)) {
    check_line(line, source, o);
    f(std::move(line), source.number());
  }
}

std::vector<TextDocument> read_text_corpus(const std::string& path, const CorpusOptions& o) {
  validate(o.read);
  if (o.document != "file" && o.document != "line")
    throw std::invalid_argument(
        fmt::format("data.document = '{}' is not valid; expected file | line", o.document));
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (auto it = fs::recursive_directory_iterator(path); it != fs::recursive_directory_iterator();
         ++it) {
      if (it->path().filename().string().rfind('.', 0) == 0) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw std::invalid_argument(fmt::format("{}: a folder without files", path));
  } else if (fs::is_regular_file(path)) {
    files.push_back(path);
  } else {
    throw std::invalid_argument(fmt::format("{}: no such file or folder", path));
  }
  std::vector<TextDocument> documents;
  for (const auto& file : files) {
    const auto name = without_gz(file);
    if (ends_with(name, ".jsonl") || ends_with(name, ".ndjson")) {
      // An empty text is simply no document in a corpus.
      for_each_line(file, o.read, [&](std::string&& line, int64_t n) {
        if (trim(line).empty()) return;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains(o.text_field) ||
            !j[o.text_field].is_string())
          fail(file, n,
               fmt::format("not a JSON object with a string field '{}' (data.text_field)",
                           o.text_field));
        auto text = j[o.text_field].get<std::string>();
        if (!trim(text).empty())
          documents.push_back({fmt::format("{}:{}", file, n), std::move(text)});
      });
    } else if (o.document == "line") {
      for_each_line(file, o.read, [&](std::string&& line, int64_t n) {
        if (!trim(line).empty())
          documents.push_back({fmt::format("{}:{}", file, n), std::move(line)});
      });
    } else {
      std::string text;
      for_each_line(file, o.read, [&](std::string&& line, int64_t n) {
        if (static_cast<int64_t>(text.size() + line.size() + 1) > o.read.max_record_bytes)
          fail(file, n,
               fmt::format("a document longer than {} bytes (data.max_record_bytes; data.document "
                           "= line reads a file line by line)",
                           o.read.max_record_bytes));
        if (n > 1) text += '\n';
        text += line;
      });
      if (!trim(text).empty()) documents.push_back({file, std::move(text)});
    }
  }
  if (documents.empty()) throw std::invalid_argument(fmt::format("{}: no text found", path));
  return documents;
}

std::string text_format(const std::string& path, const std::string& format) {
  if (format == "tsv" || format == "csv" || format == "jsonl") return format;
  if (format != "auto")
    throw std::invalid_argument(
        fmt::format("data.format = '{}' is not valid; expected auto | tsv | csv | jsonl", format));
  const auto name = without_gz(path);
  if (ends_with(name, ".tsv") || ends_with(name, ".txt")) return "tsv";
  if (ends_with(name, ".csv")) return "csv";
  if (ends_with(name, ".jsonl") || ends_with(name, ".ndjson") || ends_with(name, ".json"))
    return "jsonl";
  throw std::invalid_argument(fmt::format(
      "{}: cannot tell the format from the name (.tsv, .csv, .jsonl, optionally .gz); set "
      "data.format",
      path));
}

TextExamples read_text_examples(const std::string& path, const TextColumns& columns,
                                const TextReadOptions& options, const std::string& format) {
  const auto f = text_format(path, format);
  FileLines source(path, options.max_record_bytes);
  return read_examples(source, columns, options, f);
}

TextExamples parse_text_examples(std::string_view text, const std::string& name,
                                 const TextColumns& columns, const TextReadOptions& options,
                                 const std::string& format) {
  MemoryLines source(text, name, options.max_record_bytes);
  return read_examples(source, columns, options, text_format(name, format));
}

std::string text_table(const std::vector<std::string>& columns,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& format) {
  if (format != "jsonl" && format != "csv" && format != "tsv")
    throw std::invalid_argument(
        fmt::format("text format '{}' is not valid; expected jsonl | csv | tsv", format));
  const auto field = [&](const std::string& v) {
    if (format == "tsv") {
      std::string out = v;
      for (auto& ch : out)
        if (ch == '\t' || ch == '\n' || ch == '\r') ch = ' ';
      return out;
    }
    if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
    std::string out = "\"";
    for (const char ch : v) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
  };
  std::string out;
  const auto line = [&](const std::vector<std::string>& values) {
    const char* sep = format == "tsv" ? "\t" : ",";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? sep : "") + field(values[i]);
    out += '\n';
  };
  if (format != "jsonl") line(columns);
  for (const auto& row : rows) {
    if (row.size() != columns.size())
      throw std::invalid_argument(
          fmt::format("a row of {} values for {} columns", row.size(), columns.size()));
    if (format == "jsonl") {
      nlohmann::json j = nlohmann::json::object();
      for (size_t i = 0; i < columns.size(); ++i) j[columns[i]] = row[i];
      out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
    } else {
      line(row);
    }
  }
  return out;
}

std::vector<std::string> label_set(std::vector<std::string> labels) {
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  const bool integers = std::all_of(labels.begin(), labels.end(), [](const std::string& s) {
    const size_t start = !s.empty() && s[0] == '-' ? 1 : 0;
    return s.size() > start && s.size() <= 18 &&
           std::all_of(s.begin() + static_cast<std::ptrdiff_t>(start), s.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  });
  if (integers)
    std::stable_sort(labels.begin(), labels.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a) < std::stoll(b);
    });
  return labels;
}

}  // namespace setformer::data

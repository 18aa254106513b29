// Configuration files (TOML). Every error names the file, the key and what was expected; keys a
// command does not know are errors, not silently ignored.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace setformer::io {

class Config {
 public:
  /// Parses `path`; throws std::invalid_argument naming the file, line and problem.
  static Config load(const std::string& path);
  /// Parses TOML text; `source` names it in errors.
  static Config parse(const std::string& text, const std::string& source);

  ~Config();
  Config(Config&&) noexcept;
  Config& operator=(Config&&) noexcept;

  /// Throws naming the first key (dotted, e.g. "set.epsilon") not in `known`.
  void check_keys(const std::set<std::string>& known) const;

  std::optional<int64_t> integer(const std::string& key) const;
  std::optional<double> number(const std::string& key) const;  // integers accepted
  std::optional<bool> boolean(const std::string& key) const;
  std::optional<std::string> string(const std::string& key) const;
  std::optional<std::vector<int64_t>> integers(const std::string& key) const;
  std::optional<std::vector<std::string>> strings(const std::string& key) const;
  std::optional<std::vector<double>> numbers(const std::string& key) const;  // integers accepted

  const std::string& source() const { return source_; }

 private:
  struct Data;
  Config(std::unique_ptr<Data> data, std::string source);
  std::unique_ptr<Data> data_;
  std::string source_;
};

}  // namespace setformer::io

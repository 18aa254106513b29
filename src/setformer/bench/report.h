// What the side-by-side benchmarks (`bench infer`, `bench language`) share in naming their rows
// and writing their markdown.
#pragma once

#include "setformer/core/files.h"
#include "setformer/io/table.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include <set>
#include <string>

namespace setformer::bench {

/// `name`, or `name-2`, `name-3`, ... when an earlier row took it (files of the same name in
/// other folders); records the result in `taken`.
inline std::string unique_row_name(const std::string& name, std::set<std::string>& taken) {
  std::string unique = name;
  for (int k = 2; taken.count(unique) > 0; ++k) unique = fmt::format("{}-{}", name, k);
  taken.insert(unique);
  return unique;
}

/// ", name = `source`" for each row (anything with .name and .source), to end a setup sentence.
template <class Rows>
std::string row_sources(const Rows& rows) {
  std::string out;
  for (const auto& r : rows) out += fmt::format(", {} = `{}`", r.name, r.source);
  return out;
}

/// Writes <prefix>.md: the command, the setup sentence and the table.
inline void write_bench_markdown(const std::string& prefix, const std::string& command,
                                 const std::string& setup, const io::Table& table) {
  write_file_atomic(prefix + ".md",
                    fmt::format("Command: `{}`\n\n{}.\n\n{}", command, setup, table.markdown()));
}

/// Runs a peer benchmark (`command`, a Python script that prints one JSON line last) and returns
/// that JSON; throws with the end of its output when it fails.
inline nlohmann::json run_peer(const std::string& command, const std::string& script) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get())) output += buffer.data();
  const int status = pclose(pipe.release());
  const auto last = output.rfind('{');
  if (status != 0 || last == std::string::npos) {
    throw std::runtime_error(fmt::format(
        "{} failed: {}", script, output.substr(output.size() > 600 ? output.size() - 600 : 0)));
  }
  return nlohmann::json::parse(output.substr(last));
}

}  // namespace setformer::bench

// What the side-by-side benchmarks (`bench infer`, `bench language`) share in naming their rows
// and writing their markdown.
#pragma once

#include "setformer/core/files.h"
#include "setformer/io/table.h"

#include <fmt/format.h>

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

}  // namespace setformer::bench

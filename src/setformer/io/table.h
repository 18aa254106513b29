// Result tables written as GitHub markdown (for the docs) and CSV (for tools).
#pragma once

#include <string>
#include <vector>

namespace setformer::io {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  /// Appends a row; throws when its width differs from the header's.
  void add(std::vector<std::string> row);
  /// Aligned GitHub markdown.
  std::string markdown() const;
  /// RFC 4180 CSV (fields with commas, quotes or newlines are quoted).
  std::string csv() const;
};

}  // namespace setformer::io

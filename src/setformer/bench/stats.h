// Small statistics shared by the benchmarks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace setformer::bench {

/// "1 thread", "2 threads": a count and its noun, for the setup sentences of the tables.
inline std::string counted(int64_t n, const std::string& noun, const std::string& plural = "") {
  return std::to_string(n) + " " + (n == 1 ? noun : plural.empty() ? noun + "s" : plural);
}

/// The median of `v` (the mean of the two middle values for an even count); v must not be empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

/// Median and range of repeated measurements.
struct Spread {
  double median = 0, min = 0, max = 0;
};

/// The spread of `v`; v must not be empty.
inline Spread spread(const std::vector<double>& v) {
  return {median(v), *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}

}  // namespace setformer::bench

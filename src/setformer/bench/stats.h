// Small statistics shared by the benchmarks.
#pragma once

#include <algorithm>
#include <vector>

namespace setformer::bench {

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

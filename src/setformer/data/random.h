// Seeded randomness for data: seed mixing, and a small generator whose draws are defined here
// (not by a standard library's distributions), so generated datasets are identical on every
// platform and compiler, and a batch is a pure function of (seed, step).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace setformer::data {

/// SplitMix64 of the combined inputs: well-spread seeds for (seed, epoch[, index]).
inline uint64_t mix(uint64_t a, uint64_t b, uint64_t c = 0) {
  uint64_t z = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL) * 0xBF58476D1CE4E5B9ULL ^
               c * 0x94D049BB133111EBULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

__extension__ typedef unsigned __int128 uint128_t;  // GCC/Clang; -Wpedantic needs the marker

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  /// Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [lo, hi] (inclusive), by the multiply-shift map.
  int64_t integer(int64_t lo, int64_t hi) {
    const auto range = static_cast<uint128_t>(hi - lo + 1);
    return lo + static_cast<int64_t>((static_cast<uint128_t>(engine_()) * range) >> 64);
  }
  /// Standard normal (Box–Muller; one draw per call keeps the stream simple).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  /// Dirichlet(1, ..., 1) over k components: normalised unit exponentials.
  std::vector<double> dirichlet_ones(int64_t k) {
    std::vector<double> p(static_cast<size_t>(k));
    double sum = 0;
    for (auto& v : p) sum += (v = -std::log(1.0 - uniform()));
    for (auto& v : p) v /= sum;
    return p;
  }
  /// Index drawn with probabilities p (summing to 1).
  int64_t categorical(const std::vector<double>& p) {
    const double u = uniform();
    double cumulative = 0;
    for (size_t i = 0; i + 1 < p.size(); ++i) {
      cumulative += p[i];
      if (u < cumulative) return static_cast<int64_t>(i);
    }
    return static_cast<int64_t>(p.size()) - 1;
  }
  /// Fisher–Yates.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i)
      std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(integer(0, i))]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace setformer::data

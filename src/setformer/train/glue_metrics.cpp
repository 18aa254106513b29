#include "setformer/train/glue_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace setformer::train {
namespace {

template <class T>
void check_pair(const std::vector<T>& a, const std::vector<T>& b, const char* metric) {
  if (a.size() != b.size() || a.empty()) {
    throw std::invalid_argument(
        fmt::format("{}: needs two non-empty lists of equal length, got {} and {}", metric,
                    a.size(), b.size()));
  }
}

double mean(const std::map<std::string, double>& values, const char* what) {
  if (values.empty()) throw std::invalid_argument(fmt::format("{}: no values", what));
  double sum = 0;
  for (const auto& [name, v] : values) sum += v;
  return sum / static_cast<double>(values.size());
}

/// 1-based ranks, ties sharing the mean of the ranks they span.
std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double shared = (static_cast<double>(i + j) / 2.0) + 1.0;
    for (size_t k = i; k <= j; ++k) r[order[k]] = shared;
    i = j + 1;
  }
  return r;
}

}  // namespace

double accuracy(const std::vector<int64_t>& predicted, const std::vector<int64_t>& gold) {
  check_pair(predicted, gold, "accuracy");
  size_t correct = 0;
  for (size_t i = 0; i < gold.size(); ++i) correct += predicted[i] == gold[i];
  return static_cast<double>(correct) / static_cast<double>(gold.size());
}

double f1_score(const std::vector<int64_t>& predicted, const std::vector<int64_t>& gold,
                int64_t positive) {
  check_pair(predicted, gold, "f1");
  double tp = 0, fp = 0, fn = 0;
  for (size_t i = 0; i < gold.size(); ++i) {
    const bool p = predicted[i] == positive, g = gold[i] == positive;
    tp += p && g;
    fp += p && !g;
    fn += !p && g;
  }
  return tp == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
}

double matthews_correlation(const std::vector<int64_t>& predicted,
                            const std::vector<int64_t>& gold) {
  check_pair(predicted, gold, "matthews_correlation");
  std::map<int64_t, double> p, t;
  double correct = 0;
  for (size_t i = 0; i < gold.size(); ++i) {
    p[predicted[i]] += 1;
    t[gold[i]] += 1;
    correct += predicted[i] == gold[i];
  }
  const auto s = static_cast<double>(gold.size());
  double pt = 0, pp = 0, tt = 0;
  for (const auto& [k, n] : p) {
    pp += n * n;
    if (const auto it = t.find(k); it != t.end()) pt += n * it->second;
  }
  for (const auto& [k, n] : t) tt += n * n;
  const double denominator = std::sqrt((s * s - pp) * (s * s - tt));
  return denominator == 0 ? 0.0 : (correct * s - pt) / denominator;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y, "pearson");
  const auto n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx == 0 || syy == 0 ? 0.0 : sxy / std::sqrt(sxx * syy);
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y, "spearman");
  return pearson(ranks(x), ranks(y));
}

double glue_task_score(const std::map<std::string, double>& metrics) {
  return mean(metrics, "glue_task_score");
}

double glue_average(const std::map<std::string, double>& task_scores) {
  return mean(task_scores, "glue_average");
}

}  // namespace setformer::train

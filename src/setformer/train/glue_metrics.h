// The GLUE benchmark's metrics (Wang et al., ICLR 2019), as its scorer computes them: accuracy;
// F1 of the positive class (MRPC, QQP); Matthews correlation (CoLA); Pearson and Spearman
// correlations (STS-B); and the GLUE score: each task's metrics averaged into one number, then
// the tasks averaged. A start on issue 40 (text of the user's own); no LibTorch here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace setformer::train {

/// Share of positions where `predicted` equals `gold`. Throws std::invalid_argument when the
/// lengths differ or are 0 (as do the others).
double accuracy(const std::vector<int64_t>& predicted, const std::vector<int64_t>& gold);

/// F1 = 2 PR / (P + R) of class `positive`: 0 when it is never predicted or never true.
double f1_score(const std::vector<int64_t>& predicted, const std::vector<int64_t>& gold,
                int64_t positive = 1);

/// Matthews correlation over any number of classes (Gorodkin's R_K, scikit-learn's
/// matthews_corrcoef): (c·s − Σ_k p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)) with c correct
/// predictions of s, p_k predictions and t_k true examples of class k; 0 when a factor is 0.
double matthews_correlation(const std::vector<int64_t>& predicted,
                            const std::vector<int64_t>& gold);

/// Pearson's correlation; 0 when either side is constant.
double pearson(const std::vector<double>& x, const std::vector<double>& y);

/// Spearman's correlation: Pearson's of the ranks, tied values sharing their mean rank.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

/// A task's GLUE score: the mean of its metrics (e.g. MRPC's accuracy and F1).
double glue_task_score(const std::map<std::string, double>& metrics);

/// The GLUE average over the tasks run: the mean of their task scores.
double glue_average(const std::map<std::string, double>& task_scores);

}  // namespace setformer::train

// Classification metrics: a confusion matrix accumulated over batches, with accuracy, per-class
// accuracy, an aligned text table and a PNG heat map.
#pragma once

#include "setformer/io/plot.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace setformer::train {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes);

  /// Adds a batch: predicted and target class indices, both [B] integers in [0, classes).
  void add(const torch::Tensor& predicted, const torch::Tensor& target);

  int64_t classes() const { return counts_.size(0); }
  int64_t total() const;
  /// [K, K] int64: row = true class, column = predicted class.
  const torch::Tensor& counts() const { return counts_; }
  /// Fraction of examples on the diagonal (0 when empty).
  double accuracy() const;
  /// Per true class: correct / examples of that class (NaN for a class with no examples).
  std::vector<double> per_class_accuracy() const;

  /// Rows of counts with per-class accuracy, headed by `names` (indices when empty).
  std::string text(const std::vector<std::string>& names = {}) const;
  /// A heat map of the row-normalised matrix with the counts written in the cells.
  io::Image image(const std::vector<std::string>& names = {}) const;

 private:
  torch::Tensor counts_;
};

}  // namespace setformer::train

#include "setformer/train/metrics.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <cmath>

namespace setformer::train {

ConfusionMatrix::ConfusionMatrix(int64_t classes) {
  SETFORMER_CHECK(classes >= 1, "confusion matrix: classes must be >= 1, got {}", classes);
  counts_ = torch::zeros({classes, classes}, torch::kLong);
}

void ConfusionMatrix::add(const torch::Tensor& predicted, const torch::Tensor& target) {
  check_shape(predicted, "predicted classes", {-1}, "[B]");
  check_shape(target, "target classes", {predicted.size(0)}, "[B]");
  if (predicted.numel() == 0) return;
  const auto p = predicted.to(torch::kCPU, torch::kLong), t = target.to(torch::kCPU, torch::kLong);
  const int64_t k = classes();
  for (const auto& [values, name] : {std::pair{p, "predicted"}, std::pair{t, "target"}}) {
    const int64_t lo = values.min().item<int64_t>(), hi = values.max().item<int64_t>();
    SETFORMER_CHECK(lo >= 0 && hi < k, "confusion matrix: {} class {} is out of range [0, {})",
                    name, lo < 0 ? lo : hi, k);
  }
  counts_ += torch::bincount(t * k + p, {}, k * k).view({k, k});
}

int64_t ConfusionMatrix::total() const {
  return counts_.sum().item<int64_t>();
}

double ConfusionMatrix::accuracy() const {
  const int64_t n = total();
  return n == 0 ? 0.0
                : static_cast<double>(counts_.diagonal().sum().item<int64_t>()) /
                      static_cast<double>(n);
}

std::vector<double> ConfusionMatrix::per_class_accuracy() const {
  std::vector<double> out;
  for (int64_t c = 0; c < classes(); ++c) {
    const int64_t n = counts_[c].sum().item<int64_t>();
    out.push_back(
        n == 0 ? NAN : static_cast<double>(counts_[c][c].item<int64_t>()) / static_cast<double>(n));
  }
  return out;
}

namespace {
std::string label(const std::vector<std::string>& names, int64_t c) {
  return c < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(c)] : std::to_string(c);
}
}  // namespace

std::string ConfusionMatrix::text(const std::vector<std::string>& names) const {
  const int64_t k = classes();
  size_t name_width = 4;
  for (int64_t c = 0; c < k; ++c) name_width = std::max(name_width, label(names, c).size());
  std::string s = fmt::format("{:<{}}", "true\\pred", name_width);
  for (int64_t c = 0; c < k; ++c) s += fmt::format(" {:>6}", c);
  s += "  accuracy\n";
  const auto acc = per_class_accuracy();
  for (int64_t r = 0; r < k; ++r) {
    s += fmt::format("{:<{}}", label(names, r), name_width);
    for (int64_t c = 0; c < k; ++c) s += fmt::format(" {:>6}", counts_[r][c].item<int64_t>());
    s += std::isnan(acc[static_cast<size_t>(r)])
             ? "  -\n"
             : fmt::format("  {:.4f}\n", acc[static_cast<size_t>(r)]);
  }
  return s + fmt::format("overall accuracy {:.4f} on {} examples\n", accuracy(), total());
}

io::Image ConfusionMatrix::image(const std::vector<std::string>& names) const {
  const int64_t k = classes();
  const int cell = 56, left = 200, top = 70;
  io::Image img(left + static_cast<int>(k) * cell + 20, top + static_cast<int>(k) * cell + 16);
  const io::Rgb ink{40, 40, 40};
  img.text(10, 10, fmt::format("confusion matrix (rows: true class), accuracy {:.4f}", accuracy()),
           ink, 2);
  for (int64_t r = 0; r < k; ++r) {
    const int64_t row_total = std::max<int64_t>(1, counts_[r].sum().item<int64_t>());
    img.text(10, top + static_cast<int>(r) * cell + cell / 2 - 8, label(names, r), ink, 2);
    for (int64_t c = 0; c < k; ++c) {
      const int64_t n = counts_[r][c].item<int64_t>();
      const double share = static_cast<double>(n) / static_cast<double>(row_total);
      // White to deep blue by the share of the row.
      const io::Rgb colour{static_cast<uint8_t>(255 - 220 * share),
                           static_cast<uint8_t>(255 - 140 * share), 255};
      const int x0 = left + static_cast<int>(c) * cell, y0 = top + static_cast<int>(r) * cell;
      img.fill_rect(x0, y0, x0 + cell - 2, y0 + cell - 2, colour);
      const std::string count = std::to_string(n);
      img.text(x0 + (cell - io::Image::text_width(count, 2)) / 2, y0 + cell / 2 - 8, count,
               share > 0.5 ? io::Rgb{255, 255, 255} : ink, 2);
    }
  }
  for (int64_t c = 0; c < k; ++c) {
    img.text(left + static_cast<int>(c) * cell + cell / 2 - 6, top - 24, std::to_string(c), ink, 2);
  }
  return img;
}

}  // namespace setformer::train

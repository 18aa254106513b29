#include "setformer/data/transforms.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <array>
#include <cmath>

namespace setformer::data {
namespace {

/// Uniform integer in [0, n) from the generator.
int64_t uniform_int(int64_t n, at::Generator& gen) {
  return torch::randint(n, {1}, gen).item<int64_t>();
}
double uniform(double lo, double hi, at::Generator& gen) {
  return lo + (hi - lo) * torch::rand({1}, gen, torch::kDouble).item<double>();
}

}  // namespace

torch::Tensor normalize(const torch::Tensor& images, double mean, double std) {
  check_shape(images, "images", {-1, -1, -1, -1}, "[B, C, H, W]");
  SETFORMER_CHECK(images.scalar_type() == torch::kUInt8, "normalize expects uint8 images, got {}",
                  c10::toString(images.scalar_type()));
  SETFORMER_CHECK(std > 0, "normalize: std must be > 0, got {}", std);
  return (images.to(torch::kFloat) / 255.0 - mean) / std;
}

torch::Tensor normalize(const torch::Tensor& images, const std::vector<double>& mean,
                        const std::vector<double>& std) {
  check_shape(images, "images", {-1, -1, -1, -1}, "[B, C, H, W]");
  if (mean.size() == 1 && std.size() == 1) return normalize(images, mean[0], std[0]);
  const auto channels = static_cast<size_t>(images.size(1));
  SETFORMER_CHECK(
      (mean.size() == 1 || mean.size() == channels) && (std.size() == 1 || std.size() == channels),
      "normalize: mean and std need 1 or {} values each, got {} and {}", channels, mean.size(),
      std.size());
  for (const double s : std) SETFORMER_CHECK(s > 0, "normalize: std must be > 0, got {}", s);
  SETFORMER_CHECK(images.scalar_type() == torch::kUInt8, "normalize expects uint8 images, got {}",
                  c10::toString(images.scalar_type()));
  // One pass over the batch through a table of the 256 levels per channel, each entry the same
  // float operations as (x / 255 − mean) / std: LibTorch's broadcast version took half a second
  // for 64 images at 224 on one thread.
  const auto x = images.contiguous();
  auto out = torch::empty(x.sizes(), torch::kFloat);
  const int64_t plane = x.size(2) * x.size(3);
  std::vector<std::array<float, 256>> tables(channels);
  for (size_t c = 0; c < channels; ++c) {
    const auto m = static_cast<float>(mean.size() == 1 ? mean[0] : mean[c]);
    const auto sd = static_cast<float>(std.size() == 1 ? std[0] : std[c]);
    for (int v = 0; v < 256; ++v)
      tables[c][static_cast<size_t>(v)] = (static_cast<float>(v) / 255.0f - m) / sd;
  }
  const uint8_t* in = x.data_ptr<uint8_t>();
  float* o = out.data_ptr<float>();
  for (int64_t b = 0; b < x.size(0); ++b) {
    for (size_t c = 0; c < channels; ++c, in += plane, o += plane) {
      const auto& table = tables[c];
      for (int64_t i = 0; i < plane; ++i) o[i] = table[in[i]];
    }
  }
  return out;
}

torch::Tensor augment(const torch::Tensor& images, const AugmentOptions& o, at::Generator& gen) {
  check_shape(images, "images", {-1, -1, -1, -1}, "[B, C, H, W]");
  SETFORMER_CHECK(o.crop_padding() >= 0, "augment: crop_padding must be >= 0, got {}",
                  o.crop_padding());
  SETFORMER_CHECK(o.erase_probability() >= 0 && o.erase_probability() <= 1,
                  "augment: erase_probability must be in [0, 1], got {}", o.erase_probability());
  SETFORMER_CHECK(
      0 < o.erase_min_area() && o.erase_min_area() <= o.erase_max_area() && o.erase_max_area() <= 1,
      "augment: need 0 < erase_min_area <= erase_max_area <= 1, got {} and {}", o.erase_min_area(),
      o.erase_max_area());
  // Nothing to do: no copy (a 224 batch is 38 MB).
  if (o.crop_padding() == 0 && !o.horizontal_flip() && o.erase_probability() == 0) return images;
  const int64_t batch = images.size(0), h = images.size(2), w = images.size(3);
  const int64_t p = o.crop_padding();
  const auto padded = p > 0 ? torch::constant_pad_nd(images, {p, p, p, p}, 0.0) : images;
  auto out = torch::empty_like(images);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t dy = p > 0 ? uniform_int(2 * p + 1, gen) : 0;
    const int64_t dx = p > 0 ? uniform_int(2 * p + 1, gen) : 0;
    auto image = padded[b].slice(1, dy, dy + h).slice(2, dx, dx + w);
    if (o.horizontal_flip() && uniform_int(2, gen) == 1) image = image.flip({2});
    out[b].copy_(image);
    if (o.erase_probability() > 0 && uniform(0, 1, gen) < o.erase_probability()) {
      // Retry until the rectangle fits, as the paper's algorithm does; give up after 10 tries.
      for (int attempt = 0; attempt < 10; ++attempt) {
        const double area =
            uniform(o.erase_min_area(), o.erase_max_area(), gen) * static_cast<double>(h * w);
        const double aspect = std::exp(uniform(std::log(0.3), std::log(3.3), gen));
        const auto eh = static_cast<int64_t>(std::round(std::sqrt(area * aspect)));
        const auto ew = static_cast<int64_t>(std::round(std::sqrt(area / aspect)));
        if (eh < 1 || ew < 1 || eh > h || ew > w) continue;
        const int64_t y = uniform_int(h - eh + 1, gen), x = uniform_int(w - ew + 1, gen);
        auto patch = out[b].slice(1, y, y + eh).slice(2, x, x + ew);
        if (o.erase_pixels()) {
          patch.copy_(torch::randn(patch.sizes(), gen));
        } else {
          patch.zero_();
        }
        break;
      }
    }
  }
  return out;
}

namespace {

/// Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) U^(1/shape).
double gamma_sample(double shape, Random& random) {
  if (shape < 1)
    return gamma_sample(shape + 1, random) * std::pow(1.0 - random.uniform(), 1 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9 * d);
  while (true) {
    double x, v;
    do {
      x = random.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - random.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

}  // namespace

double beta_sample(double a, double b, Random& random) {
  const double x = gamma_sample(a, random), y = gamma_sample(b, random);
  return x / (x + y);
}

torch::Tensor smoothed_targets(const torch::Tensor& labels, int64_t classes, double smoothing) {
  check_shape(labels, "labels", {-1}, "[B]");
  SETFORMER_CHECK(classes >= 1, "smoothed_targets: classes must be >= 1, got {}", classes);
  const double off = smoothing / static_cast<double>(classes), on = 1.0 - smoothing + off;
  return torch::full({labels.size(0), classes}, off).scatter_(1, labels.view({-1, 1}), on);
}

torch::Tensor mix_batch(torch::Tensor& images, const torch::Tensor& labels, const MixupOptions& o,
                        Random& random) {
  check_shape(images, "images", {-1, -1, -1, -1}, "[B, C, H, W]");
  check_shape(labels, "labels", {images.size(0)}, "[B]");
  SETFORMER_CHECK(o.mixup_alpha() >= 0 && o.cutmix_alpha() >= 0,
                  "data.mixup and data.cutmix must be >= 0, got {} and {}", o.mixup_alpha(),
                  o.cutmix_alpha());
  SETFORMER_CHECK(o.probability() >= 0 && o.probability() <= 1 && o.switch_probability() >= 0 &&
                      o.switch_probability() <= 1,
                  "data.mix_probability and data.mix_switch must be probabilities, got {} and {}",
                  o.probability(), o.switch_probability());
  double lambda = 1.0;
  bool cutmix = false;
  if (o.enabled() && random.uniform() < o.probability()) {
    if (o.mixup_alpha() > 0 && o.cutmix_alpha() > 0) {
      cutmix = random.uniform() < o.switch_probability();
    } else {
      cutmix = o.cutmix_alpha() > 0;
    }
    const double alpha = cutmix ? o.cutmix_alpha() : o.mixup_alpha();
    lambda = beta_sample(alpha, alpha, random);
  }
  if (lambda < 1.0) {
    const auto reversed = images.flip({0});
    if (cutmix) {
      // timm's rand_bbox: a box of sides √(1 − λ) of the image's, centred uniformly, clipped.
      const int64_t h = images.size(2), w = images.size(3);
      const double ratio = std::sqrt(1 - lambda);
      const auto cut_h = static_cast<int64_t>(static_cast<double>(h) * ratio);
      const auto cut_w = static_cast<int64_t>(static_cast<double>(w) * ratio);
      const int64_t cy = random.integer(0, h - 1), cx = random.integer(0, w - 1);
      const int64_t y0 = std::clamp<int64_t>(cy - cut_h / 2, 0, h);
      const int64_t y1 = std::clamp<int64_t>(cy + cut_h / 2, 0, h);
      const int64_t x0 = std::clamp<int64_t>(cx - cut_w / 2, 0, w);
      const int64_t x1 = std::clamp<int64_t>(cx + cut_w / 2, 0, w);
      images.slice(2, y0, y1).slice(3, x0, x1).copy_(reversed.slice(2, y0, y1).slice(3, x0, x1));
      lambda = 1.0 - static_cast<double>((y1 - y0) * (x1 - x0)) / static_cast<double>(h * w);
    } else {
      images.mul_(lambda).add_(reversed * (1.0 - lambda));
    }
  }
  const auto targets = smoothed_targets(labels, o.classes(), o.label_smoothing());
  return targets * lambda + targets.flip({0}) * (1.0 - lambda);
}

}  // namespace setformer::data

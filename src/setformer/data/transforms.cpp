#include "setformer/data/transforms.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

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
        out[b].slice(1, y, y + eh).slice(2, x, x + ew).zero_();
        break;
      }
    }
  }
  return out;
}

}  // namespace setformer::data

#include "setformer/data/rand_augment.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <stdexcept>

namespace setformer::data {
namespace {

constexpr double kLevelDenominator = 10.0;  // timm's _LEVEL_DENOM

torch::Tensor to_uint8(const torch::Tensor& x) {
  return x.round().clamp(0, 255).to(torch::kUInt8);
}

/// PIL's "L" conversion of uint8 [3, H, W]: (19595 r + 38470 g + 7471 b + 2^15) >> 16, as int32.
torch::Tensor grey_levels(const torch::Tensor& image) {
  const auto x = image.to(torch::kInt32);
  return (x[0] * 19595 + x[1] * 38470 + x[2] * 7471 + 32768).floor_divide(65536);
}

/// PIL's ImageEnhance: blend(degenerate, image, factor) = degenerate + factor (image − degenerate).
torch::Tensor blend(const torch::Tensor& degenerate, const torch::Tensor& image, double factor) {
  const auto d = degenerate.to(torch::kFloat);
  return to_uint8(d + factor * (image.to(torch::kFloat) - d));
}

/// Applies a 256-entry lookup table per channel: tables [C, 256] int64.
torch::Tensor lookup(const torch::Tensor& image, const torch::Tensor& tables) {
  auto out = torch::empty_like(image);
  for (int64_t c = 0; c < image.size(0); ++c) {
    out[c] = tables[c].index({image[c].to(torch::kLong)}).to(torch::kUInt8);
  }
  return out;
}

torch::Tensor histograms(const torch::Tensor& image) {
  std::vector<torch::Tensor> h;
  for (int64_t c = 0; c < image.size(0); ++c) {
    h.push_back(torch::bincount(image[c].flatten().to(torch::kLong), {}, 256));
  }
  return torch::stack(h);
}

torch::Tensor auto_contrast(const torch::Tensor& image) {
  const auto h = histograms(image);
  auto tables = torch::arange(256, torch::kLong).repeat({image.size(0), 1});
  const auto acc = h.accessor<int64_t, 2>();
  for (int64_t c = 0; c < image.size(0); ++c) {
    int64_t lo = 0, hi = 255;
    while (lo < 256 && acc[c][lo] == 0) ++lo;
    while (hi >= 0 && acc[c][hi] == 0) --hi;
    if (hi <= lo) continue;
    const double scale = 255.0 / static_cast<double>(hi - lo), offset = -lo * scale;
    for (int64_t i = 0; i < 256; ++i) {
      // PIL truncates towards zero, then clamps.
      const auto v = static_cast<int64_t>(static_cast<double>(i) * scale + offset);
      tables[c][i] = std::clamp<int64_t>(v, 0, 255);
    }
  }
  return lookup(image, tables);
}

torch::Tensor equalize(const torch::Tensor& image) {
  const auto h = histograms(image);
  auto tables = torch::arange(256, torch::kLong).repeat({image.size(0), 1});
  const auto acc = h.accessor<int64_t, 2>();
  for (int64_t c = 0; c < image.size(0); ++c) {
    int64_t total = 0, last = 0, nonzero = 0;
    for (int64_t i = 0; i < 256; ++i) {
      if (acc[c][i] > 0) {
        total += acc[c][i];
        last = acc[c][i];
        ++nonzero;
      }
    }
    if (nonzero <= 1) continue;
    const int64_t step = (total - last) / 255;
    if (step == 0) continue;
    int64_t n = step / 2;
    for (int64_t i = 0; i < 256; ++i) {
      tables[c][i] = std::min<int64_t>(n / step, 255);
      n += acc[c][i];
    }
  }
  return lookup(image, tables);
}

/// PIL's SMOOTH filter (3×3, centre 5, others 1, over 13), border pixels unchanged.
torch::Tensor smooth(const torch::Tensor& image) {
  const int64_t h = image.size(1), w = image.size(2);
  if (h < 3 || w < 3) return image.clone();
  const auto x = image.to(torch::kFloat).unsqueeze(1);  // [C, 1, H, W]
  auto kernel = torch::ones({1, 1, 3, 3});
  kernel[0][0][1][1] = 5;
  const auto inner = to_uint8(torch::conv2d(x, kernel / 13.0).squeeze(1));
  auto out = image.clone();
  out.slice(1, 1, h - 1).slice(2, 1, w - 1).copy_(inner);
  return out;
}

double signed_level(double level, Random& random) {
  return random.uniform() < 0.5 ? -level : level;  // timm's _randomly_negate
}

std::vector<double> fill_for(const torch::Tensor& image, const std::vector<double>& fill) {
  const auto c = static_cast<size_t>(image.size(0));
  SETFORMER_CHECK(fill.size() == 1 || fill.size() == c,
                  "RandAugment: fill has {} values for {} channels", fill.size(), c);
  return fill.size() == c ? fill : std::vector<double>(c, fill[0]);
}

}  // namespace

RandAugmentOptions parse_rand_augment(const std::string& spec) {
  RandAugmentOptions o;
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument(fmt::format(
        "data.rand_augment = '{}': {} (expected timm's form, e.g. rand-m9-mstd0.5)", spec, why));
  };
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dash = spec.find('-', start);
    parts.push_back(spec.substr(start, dash - start));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  if (parts[0] != "rand") throw bad("it must start with 'rand'");
  for (size_t i = 1; i < parts.size(); ++i) {
    const auto& p = parts[i];
    size_t key_end = 0;
    while (key_end < p.size() && std::isalpha(static_cast<unsigned char>(p[key_end]))) ++key_end;
    const auto key = p.substr(0, key_end), value = p.substr(key_end);
    double v = 0;
    try {
      size_t used = 0;
      v = std::stod(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw bad(fmt::format("field '{}' has no number", p));
    }
    if (key == "m") {
      o.magnitude = v;
    } else if (key == "n") {
      o.layers = static_cast<int64_t>(v);
    } else if (key == "mstd") {
      o.magnitude_std = v;
    } else if (key == "mmax") {
      o.magnitude_max = v;
    } else if (key == "p") {
      o.probability = v;
    } else if (key == "inc") {
      o.increasing = v != 0;
    } else {
      throw bad(fmt::format("unknown field '{}' (m, n, mstd, mmax, p, inc)", p));
    }
  }
  if (o.layers < 0 || o.magnitude < 0 || o.magnitude_std < 0 || o.magnitude_max <= 0 ||
      o.probability < 0 || o.probability > 1) {
    throw bad("need n >= 0, m >= 0, mstd >= 0, mmax > 0 and p in [0, 1]");
  }
  return o;
}

const std::vector<std::string>& rand_augment_ops() {
  static const std::vector<std::string> ops{
      "AutoContrast", "Equalize",    "Invert", "Rotate",        "Posterize",
      "Solarize",     "SolarizeAdd", "Color",  "Contrast",      "Brightness",
      "Sharpness",    "ShearX",      "ShearY", "TranslateXRel", "TranslateYRel"};
  return ops;
}

torch::Tensor affine_transform(const torch::Tensor& image, const std::vector<double>& m,
                               const std::vector<double>& fill) {
  check_shape(image, "image", {-1, -1, -1}, "[C, H, W]");
  SETFORMER_CHECK(m.size() == 6, "affine_transform: the matrix needs 6 values, got {}", m.size());
  const int64_t h = image.size(1), w = image.size(2);
  const auto f = fill_for(image, fill);
  // Output pixel centres, mapped to input coordinates, then to grid_sample's [-1, 1] with
  // align_corners = false (pixel i spans [i, i + 1]).
  const auto ys = torch::arange(h, torch::kDouble) + 0.5;
  const auto xs = torch::arange(w, torch::kDouble) + 0.5;
  const auto grid_y = ys.view({h, 1}).expand({h, w});
  const auto grid_x = xs.view({1, w}).expand({h, w});
  const auto in_x = m[0] * grid_x + m[1] * grid_y + m[2];
  const auto in_y = m[3] * grid_x + m[4] * grid_y + m[5];
  const auto grid =
      torch::stack({in_x / static_cast<double>(w) * 2 - 1, in_y / static_cast<double>(h) * 2 - 1},
                   -1)
          .to(torch::kFloat)
          .unsqueeze(0);
  // Sample the image and a coverage channel together: coverage < 1 is where the fill shows.
  const auto x = torch::cat({image.to(torch::kFloat), torch::ones({1, h, w})}).unsqueeze(0);
  const auto sampled = torch::grid_sampler(x, grid, /*bilinear*/ 0, /*zeros*/ 0,
                                           /*align_corners=*/false)
                           .squeeze(0);
  const auto coverage = sampled[image.size(0)];
  auto out = sampled.slice(0, 0, image.size(0)).clone();
  for (int64_t c = 0; c < image.size(0); ++c) out[c] += (1 - coverage) * f[static_cast<size_t>(c)];
  return to_uint8(out);
}

torch::Tensor rand_augment_op(const torch::Tensor& image, const std::string& op, double magnitude,
                              bool increasing, const std::vector<double>& fill, Random& random) {
  check_shape(image, "image", {-1, -1, -1}, "[C, H, W]");
  SETFORMER_CHECK(image.scalar_type() == torch::kUInt8, "RandAugment expects uint8 images");
  SETFORMER_CHECK(image.size(0) == 1 || image.size(0) == 3,
                  "RandAugment expects 1 or 3 channels, got {}", image.size(0));
  const double level = magnitude / kLevelDenominator;
  const int64_t h = image.size(1), w = image.size(2);
  const bool rgb = image.size(0) == 3;
  const auto grey = [&] { return rgb ? grey_levels(image) : image[0].to(torch::kInt32); };
  const auto enhance_factor = [&] {
    return increasing ? 1.0 + signed_level(level * 0.9, random) : level * 1.8 + 0.1;
  };
  if (op == "AutoContrast") return auto_contrast(image);
  if (op == "Equalize") return equalize(image);
  if (op == "Invert") return 255 - image;
  if (op == "Posterize") {
    const auto bits =
        increasing ? 4 - static_cast<int64_t>(level * 4) : static_cast<int64_t>(level * 4);
    if (bits >= 8) return image.clone();
    const int64_t mask = (0xFF << (8 - std::max<int64_t>(bits, 0))) & 0xFF;
    return torch::bitwise_and(image, mask);
  }
  if (op == "Solarize") {
    const auto threshold =
        increasing ? 256 - static_cast<int64_t>(level * 256) : static_cast<int64_t>(level * 256);
    // Compared in int32: a threshold of 256 (m = 10) must leave every level alone, and as a
    // uint8 scalar it would wrap to 0.
    return torch::where(image.to(torch::kInt32) < threshold, image, 255 - image);
  }
  if (op == "SolarizeAdd") {
    const auto add = static_cast<int64_t>(level * 110);
    return torch::where(image < 128, (image.to(torch::kInt32) + add).clamp_max(255),
                        image.to(torch::kInt32))
        .to(torch::kUInt8);
  }
  if (op == "Color") {
    if (!rgb) return image.clone();
    return blend(grey().unsqueeze(0).expand_as(image), image, enhance_factor());
  }
  if (op == "Contrast") {
    const auto mean = std::floor(grey().to(torch::kDouble).mean().item<double>() + 0.5);
    return blend(torch::full_like(image, mean, torch::kFloat), image, enhance_factor());
  }
  if (op == "Brightness") return blend(torch::zeros_like(image), image, enhance_factor());
  if (op == "Sharpness") return blend(smooth(image), image, enhance_factor());
  if (op == "Rotate") {
    // PIL's Image.rotate(degrees) about the centre, counter-clockwise.
    const double a = -signed_level(level * 30.0, random) * M_PI / 180.0;
    const double cx = static_cast<double>(w) / 2, cy = static_cast<double>(h) / 2;
    const double c = std::cos(a), s = std::sin(a);
    return affine_transform(image, {c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy}, fill);
  }
  if (op == "ShearX") {
    return affine_transform(image, {1, signed_level(level * 0.3, random), 0, 0, 1, 0}, fill);
  }
  if (op == "ShearY") {
    return affine_transform(image, {1, 0, 0, signed_level(level * 0.3, random), 1, 0}, fill);
  }
  if (op == "TranslateXRel") {
    const double pixels = signed_level(level * 0.45, random) * static_cast<double>(w);
    return affine_transform(image, {1, 0, pixels, 0, 1, 0}, fill);
  }
  if (op == "TranslateYRel") {
    const double pixels = signed_level(level * 0.45, random) * static_cast<double>(h);
    return affine_transform(image, {1, 0, 0, 0, 1, pixels}, fill);
  }
  throw std::invalid_argument(fmt::format("RandAugment: unknown operation '{}'", op));
}

torch::Tensor rand_augment(const torch::Tensor& image, const RandAugmentOptions& o,
                           const std::vector<double>& fill, Random& random) {
  return apply_rand_augment(image, o, random,
                            [&](const torch::Tensor& x, const std::string& op, double m) {
                              return rand_augment_op(x, op, m, o.increasing, fill, random);
                            });
}

}  // namespace setformer::data

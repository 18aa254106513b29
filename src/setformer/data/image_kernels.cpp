#include "setformer/data/image_kernels.h"

#include "setformer/core/error.h"

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace setformer::data::kernels {
namespace {

constexpr double kLevelDenominator = 10.0;  // timm's _LEVEL_DENOM, as rand_augment.cpp

/// To the nearest level, halves up (the reference rounds halves to even: one level apart at
/// most, at exact halves), in a form the compiler vectorises.
inline uint8_t round_level(float v) {
  return static_cast<uint8_t>(std::min(std::max(v, 0.0f), 255.0f) + 0.5f);
}

Pixels like(const Pixels& image) {
  Pixels out;
  out.width = image.width;
  out.height = image.height;
  out.channels = image.channels;
  out.pixels.resize(image.pixels.size());
  return out;
}

/// One axis of an antialiased bilinear resize (torchvision's and PIL's): for output sample i, the
/// input samples [first[i], first[i] + count[i]) and their normalised weights.
struct Taps {
  std::vector<int64_t> first, count;
  std::vector<float> weights;  // max_taps per output sample
  int64_t max_taps = 0;
};

Taps make_taps(int64_t in, int64_t out) {
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double support = std::max(scale, 1.0), inverse = scale >= 1 ? 1 / scale : 1.0;
  Taps t;
  t.max_taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t.first.resize(static_cast<size_t>(out));
  t.count.resize(static_cast<size_t>(out));
  t.weights.assign(static_cast<size_t>(out * t.max_taps), 0.0f);
  for (int64_t i = 0; i < out; ++i) {
    const double centre = scale * (static_cast<double>(i) + 0.5);
    const int64_t lo = std::max<int64_t>(static_cast<int64_t>(centre - support + 0.5), 0);
    const int64_t hi = std::min<int64_t>(static_cast<int64_t>(centre + support + 0.5), in);
    double total = 0;
    std::vector<double> w;
    for (int64_t j = lo; j < hi; ++j) {
      w.push_back(std::max(0.0, 1.0 - std::abs((static_cast<double>(j) - centre + 0.5) * inverse)));
      total += w.back();
    }
    t.first[static_cast<size_t>(i)] = lo;
    t.count[static_cast<size_t>(i)] = static_cast<int64_t>(w.size());
    for (size_t k = 0; k < w.size(); ++k) {
      t.weights[static_cast<size_t>(i * t.max_taps) + k] =
          static_cast<float>(total > 0 ? w[k] / total : 0.0);
    }
  }
  return t;
}

/// A 256-entry table applied to every channel (one table) or one per channel.
Pixels apply_table(const Pixels& image, const std::vector<std::array<uint8_t, 256>>& tables) {
  auto out = like(image);
  const size_t n = image.pixels.size();
  const uint8_t* x = image.pixels.data();
  uint8_t* o = out.pixels.data();
  if (tables.size() == 1) {
    const auto& t = tables[0];
    for (size_t i = 0; i < n; ++i) o[i] = t[x[i]];
    return out;
  }
  const size_t c = tables.size();
  for (size_t i = 0; i < n; i += c)
    for (size_t k = 0; k < c; ++k) o[i + k] = tables[k][x[i + k]];
  return out;
}

std::array<uint8_t, 256> table_of(const std::function<int64_t(int64_t)>& f) {
  std::array<uint8_t, 256> t{};
  for (int64_t v = 0; v < 256; ++v)
    t[static_cast<size_t>(v)] = static_cast<uint8_t>(std::clamp<int64_t>(f(v), 0, 255));
  return t;
}

std::vector<std::array<int64_t, 256>> histograms(const Pixels& image) {
  const auto c = static_cast<size_t>(image.channels);
  std::vector<std::array<int64_t, 256>> h(c);
  for (auto& one : h) one.fill(0);
  const uint8_t* x = image.pixels.data();
  for (size_t i = 0; i < image.pixels.size(); i += c)
    for (size_t k = 0; k < c; ++k) ++h[k][x[i + k]];
  return h;
}

/// PIL's "L" level of pixel p (RGB) or the level itself (grey).
int32_t grey_at(const Pixels& image, size_t p) {
  const auto* v = &image.pixels[p * static_cast<size_t>(image.channels)];
  if (image.channels == 1) return v[0];
  return (v[0] * 19595 + v[1] * 38470 + v[2] * 7471 + 32768) >> 16;
}

/// degenerate + factor (image − degenerate) with one degenerate level for the whole image: a
/// lookup table.
Pixels blend_constant(const Pixels& image, float factor, float degenerate) {
  return apply_table(image, {table_of([&](int64_t v) {
                       return static_cast<int64_t>(
                           round_level(degenerate + factor * (static_cast<float>(v) - degenerate)));
                     })});
}

/// degenerate + factor (image − degenerate) sample by sample, float32 as the reference's blend.
Pixels blend(const Pixels& image, float factor, const std::vector<uint8_t>& degenerate) {
  auto out = like(image);
  const size_t n = image.pixels.size();
  const uint8_t* x = image.pixels.data();
  const uint8_t* d = degenerate.data();
  uint8_t* o = out.pixels.data();
  for (size_t i = 0; i < n; ++i) {
    const float dv = d[i];
    o[i] = round_level(dv + factor * (static_cast<float>(x[i]) - dv));
  }
  return out;
}

double signed_level(double level, Random& random) {
  return random.uniform() < 0.5 ? -level : level;  // timm's _randomly_negate
}

/// Output pixel (x, y) samples the input bilinearly at (a x + b y + c, d x + e y + f) (centres
/// at +0.5); what falls outside takes `fill`, weighted by the uncovered share (grid_sample with
/// zero padding plus a coverage channel, as the reference).
Pixels affine(const Pixels& image, const std::array<double, 6>& m,
              const std::vector<double>& fill) {
  auto out = like(image);
  const int64_t w = image.width, h = image.height, c = image.channels;
  SETFORMER_CHECK(fill.size() == 1 || fill.size() == static_cast<size_t>(c),
                  "RandAugment: fill has {} values for {} channels", fill.size(), c);
  std::array<float, 3> f{};
  for (int64_t k = 0; k < c; ++k)
    f[static_cast<size_t>(k)] =
        static_cast<float>(fill.size() == 1 ? fill[0] : fill[static_cast<size_t>(k)]);
  const uint8_t* in = image.pixels.data();
  for (int64_t y = 0; y < h; ++y) {
    const double py = static_cast<double>(y) + 0.5;
    // Input coordinates (centres at integers) move by (a, d) per output column.
    double sx = m[0] * 0.5 + m[1] * py + m[2] - 0.5, sy = m[3] * 0.5 + m[4] * py + m[5] - 0.5;
    uint8_t* o = &out.pixels[static_cast<size_t>(y * w * c)];
    for (int64_t x = 0; x < w; ++x, sx += m[0], sy += m[3], o += c) {
      const auto x0 = static_cast<int64_t>(std::floor(sx)),
                 y0 = static_cast<int64_t>(std::floor(sy));
      const auto fx = static_cast<float>(sx - static_cast<double>(x0));
      const auto fy = static_cast<float>(sy - static_cast<double>(y0));
      const float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy,
                  w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        const uint8_t* p = in + (y0 * w + x0) * c;
        const uint8_t* q = p + w * c;
        for (int64_t k = 0; k < c; ++k)
          o[k] = round_level(w00 * p[k] + w01 * p[k + c] + w10 * q[k] + w11 * q[k + c]);
        continue;
      }
      // At the border: only the neighbours inside count, the fill covers the rest.
      std::array<float, 3> acc{};
      float coverage = 0;
      const std::array<std::array<int64_t, 2>, 4> corners{
          {{x0, y0}, {x0 + 1, y0}, {x0, y0 + 1}, {x0 + 1, y0 + 1}}};
      const std::array<float, 4> weights{w00, w01, w10, w11};
      for (size_t n = 0; n < 4; ++n) {
        const auto [xx, yy] = corners[n];
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        coverage += weights[n];
        const uint8_t* p = in + (yy * w + xx) * c;
        for (int64_t k = 0; k < c; ++k) acc[static_cast<size_t>(k)] += weights[n] * p[k];
      }
      for (int64_t k = 0; k < c; ++k)
        o[k] =
            round_level(acc[static_cast<size_t>(k)] + (1 - coverage) * f[static_cast<size_t>(k)]);
    }
  }
  return out;
}

}  // namespace

Pixels with_channels(Pixels image, int64_t channels) {
  SETFORMER_CHECK(channels == 1 || channels == 3, "channels must be 1 or 3, got {}", channels);
  if (image.channels == channels) return image;
  Pixels out;
  out.width = image.width;
  out.height = image.height;
  out.channels = channels;
  const auto n = static_cast<size_t>(image.width * image.height);
  out.pixels.resize(n * static_cast<size_t>(channels));
  for (size_t p = 0; p < n; ++p) {
    if (channels == 3) {
      out.pixels[3 * p] = out.pixels[3 * p + 1] = out.pixels[3 * p + 2] = image.pixels[p];
    } else {
      out.pixels[p] = static_cast<uint8_t>(grey_at(image, p));
    }
  }
  return out;
}

namespace {

void check_box(const Pixels& image, const CropBox& b) {
  SETFORMER_CHECK(b.top >= 0 && b.left >= 0 && b.height >= 1 && b.width >= 1 &&
                      b.top + b.height <= image.height && b.left + b.width <= image.width,
                  "crop: box {}+{} x {}+{} outside a {}x{} image", b.top, b.height, b.left, b.width,
                  image.height, image.width);
}

}  // namespace

Pixels crop(const Pixels& image, const CropBox& b) {
  check_box(image, b);
  Pixels out;
  out.width = b.width;
  out.height = b.height;
  out.channels = image.channels;
  const auto row = static_cast<size_t>(b.width * image.channels);
  out.pixels.resize(row * static_cast<size_t>(b.height));
  for (int64_t y = 0; y < b.height; ++y) {
    const auto* from =
        &image.pixels[static_cast<size_t>(((b.top + y) * image.width + b.left) * image.channels)];
    std::copy(from, from + row, &out.pixels[static_cast<size_t>(y) * row]);
  }
  return out;
}

Pixels resized_crop(const Pixels& image, const CropBox& b, int64_t height, int64_t width) {
  SETFORMER_CHECK(height >= 1 && width >= 1, "resize: size {}x{} is empty", height, width);
  if (b.height == height && b.width == width) return crop(image, b);
  check_box(image, b);
  const int64_t c = image.channels;
  const auto across = make_taps(b.width, width), down = make_taps(b.height, height);
  // Horizontal pass over the box's rows, into floats.
  std::vector<float> rows(static_cast<size_t>(b.height * width * c));
  for (int64_t y = 0; y < b.height; ++y) {
    const auto* in = &image.pixels[static_cast<size_t>(((b.top + y) * image.width + b.left) * c)];
    float* out = &rows[static_cast<size_t>(y * width * c)];
    for (int64_t x = 0; x < width; ++x) {
      const uint8_t* from = in + across.first[static_cast<size_t>(x)] * c;
      const float* w = &across.weights[static_cast<size_t>(x * across.max_taps)];
      const int64_t taps = across.count[static_cast<size_t>(x)];
      std::array<float, 3> sum{};
      for (int64_t t = 0; t < taps; ++t, from += c)
        for (int64_t k = 0; k < c; ++k) sum[static_cast<size_t>(k)] += w[t] * from[k];
      for (int64_t k = 0; k < c; ++k) out[x * c + k] = sum[static_cast<size_t>(k)];
    }
  }
  // Vertical pass, rounded to levels.
  Pixels result;
  result.width = width;
  result.height = height;
  result.channels = c;
  result.pixels.resize(static_cast<size_t>(height * width * c));
  const int64_t row = width * c;
  std::vector<float> sum(static_cast<size_t>(row));
  for (int64_t y = 0; y < height; ++y) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    const int64_t first = down.first[static_cast<size_t>(y)];
    const float* w = &down.weights[static_cast<size_t>(y * down.max_taps)];
    for (int64_t t = 0; t < down.count[static_cast<size_t>(y)]; ++t) {
      const float* in = &rows[static_cast<size_t>((first + t) * row)];
      for (int64_t i = 0; i < row; ++i) sum[static_cast<size_t>(i)] += w[t] * in[i];
    }
    for (int64_t i = 0; i < row; ++i)
      result.pixels[static_cast<size_t>(y * row + i)] = round_level(sum[static_cast<size_t>(i)]);
  }
  return result;
}

void flip_horizontal(Pixels& image) {
  const int64_t c = image.channels;
  for (int64_t y = 0; y < image.height; ++y) {
    uint8_t* row = &image.pixels[static_cast<size_t>(y * image.width * c)];
    for (int64_t a = 0, b = image.width - 1; a < b; ++a, --b)
      for (int64_t k = 0; k < c; ++k) std::swap(row[a * c + k], row[b * c + k]);
  }
}

Pixels rand_augment_op(const Pixels& image, const std::string& op, double magnitude,
                       bool increasing, const std::vector<double>& fill, Random& random) {
  SETFORMER_CHECK(image.channels == 1 || image.channels == 3,
                  "RandAugment expects 1 or 3 channels, got {}", image.channels);
  const double level = magnitude / kLevelDenominator;
  const bool rgb = image.channels == 3;
  const auto enhance_factor = [&] {
    return static_cast<float>(increasing ? 1.0 + signed_level(level * 0.9, random)
                                         : level * 1.8 + 0.1);
  };
  const auto pixels = static_cast<size_t>(image.width * image.height);
  if (op == "AutoContrast") {
    const auto h = histograms(image);
    std::vector<std::array<uint8_t, 256>> tables;
    for (const auto& one : h) {
      int64_t lo = 0, hi = 255;
      while (lo < 256 && one[static_cast<size_t>(lo)] == 0) ++lo;
      while (hi >= 0 && one[static_cast<size_t>(hi)] == 0) --hi;
      if (hi <= lo) {
        tables.push_back(table_of([](int64_t v) { return v; }));
        continue;
      }
      const double scale = 255.0 / static_cast<double>(hi - lo), offset = -lo * scale;
      tables.push_back(table_of([&](int64_t v) {
        return static_cast<int64_t>(static_cast<double>(v) * scale + offset);
      }));
    }
    return apply_table(image, tables);
  }
  if (op == "Equalize") {
    const auto h = histograms(image);
    std::vector<std::array<uint8_t, 256>> tables;
    for (const auto& one : h) {
      int64_t total = 0, last = 0, nonzero = 0;
      for (const int64_t count : one) {
        if (count == 0) continue;
        total += count;
        last = count;
        ++nonzero;
      }
      const int64_t step = nonzero <= 1 ? 0 : (total - last) / 255;
      if (step == 0) {
        tables.push_back(table_of([](int64_t v) { return v; }));
        continue;
      }
      std::array<uint8_t, 256> t{};
      int64_t n = step / 2;
      for (size_t i = 0; i < 256; ++i) {
        t[i] = static_cast<uint8_t>(std::min<int64_t>(n / step, 255));
        n += one[i];
      }
      tables.push_back(t);
    }
    return apply_table(image, tables);
  }
  if (op == "Invert") return apply_table(image, {table_of([](int64_t v) { return 255 - v; })});
  if (op == "Posterize") {
    const auto bits =
        increasing ? 4 - static_cast<int64_t>(level * 4) : static_cast<int64_t>(level * 4);
    if (bits >= 8) return image;
    const int64_t mask = (0xFF << (8 - std::max<int64_t>(bits, 0))) & 0xFF;
    return apply_table(image, {table_of([&](int64_t v) { return v & mask; })});
  }
  if (op == "Solarize") {
    const auto threshold =
        increasing ? 256 - static_cast<int64_t>(level * 256) : static_cast<int64_t>(level * 256);
    return apply_table(image, {table_of([&](int64_t v) { return v < threshold ? v : 255 - v; })});
  }
  if (op == "SolarizeAdd") {
    const auto add = static_cast<int64_t>(level * 110);
    return apply_table(
        image,
        {table_of([&](int64_t v) { return v < 128 ? std::min<int64_t>(v + add, 255) : v; })});
  }
  if (op == "Color") {
    if (!rgb) return image;
    std::vector<uint8_t> grey(image.pixels.size());
    for (size_t p = 0; p < pixels; ++p)
      grey[3 * p] = grey[3 * p + 1] = grey[3 * p + 2] = static_cast<uint8_t>(grey_at(image, p));
    return blend(image, enhance_factor(), grey);
  }
  if (op == "Contrast") {
    int64_t total = 0;
    for (size_t p = 0; p < pixels; ++p) total += grey_at(image, p);
    const auto mean = static_cast<float>(
        std::floor(static_cast<double>(total) / static_cast<double>(pixels) + 0.5));
    return blend_constant(image, enhance_factor(), mean);
  }
  if (op == "Brightness") return blend_constant(image, enhance_factor(), 0.0f);
  if (op == "Sharpness") {
    // PIL's SMOOTH filter (centre 5, neighbours 1, over 13), borders unchanged: row by row,
    // the sum of the 3×3 block plus 4 times the centre, over contiguous samples.
    std::vector<uint8_t> smooth = image.pixels;
    const int64_t w = image.width, h = image.height, c = image.channels;
    if (h >= 3 && w >= 3) {
      const int64_t row = w * c;
      for (int64_t y = 1; y < h - 1; ++y) {
        const uint8_t* up = &image.pixels[static_cast<size_t>((y - 1) * row)];
        const uint8_t* mid = up + row;
        const uint8_t* down = mid + row;
        uint8_t* out = &smooth[static_cast<size_t>(y * row)];
        for (int64_t i = c; i < row - c; ++i) {
          const float s =
              static_cast<float>(up[i - c] + up[i] + up[i + c] + mid[i - c] + 5 * mid[i] +
                                 mid[i + c] + down[i - c] + down[i] + down[i + c]);
          out[i] = round_level(s / 13.0f);
        }
      }
    }
    return blend(image, enhance_factor(), smooth);
  }
  const double w = static_cast<double>(image.width), h = static_cast<double>(image.height);
  if (op == "Rotate") {
    const double a = -signed_level(level * 30.0, random) * M_PI / 180.0;
    const double cx = w / 2, cy = h / 2, co = std::cos(a), si = std::sin(a);
    return affine(image, {co, si, cx - co * cx - si * cy, -si, co, cy + si * cx - co * cy}, fill);
  }
  if (op == "ShearX")
    return affine(image, {1, signed_level(level * 0.3, random), 0, 0, 1, 0}, fill);
  if (op == "ShearY")
    return affine(image, {1, 0, 0, signed_level(level * 0.3, random), 1, 0}, fill);
  if (op == "TranslateXRel")
    return affine(image, {1, 0, signed_level(level * 0.45, random) * w, 0, 1, 0}, fill);
  if (op == "TranslateYRel")
    return affine(image, {1, 0, 0, 0, 1, signed_level(level * 0.45, random) * h}, fill);
  throw std::invalid_argument(fmt::format("RandAugment: unknown operation '{}'", op));
}

Pixels rand_augment(const Pixels& image, const RandAugmentOptions& o,
                    const std::vector<double>& fill, Random& random) {
  return apply_rand_augment(image, o, random,
                            [&](const Pixels& x, const std::string& op, double m) {
                              return rand_augment_op(x, op, m, o.increasing, fill, random);
                            });
}

torch::Tensor to_tensor(const Pixels& image) {
  return torch::from_blob(const_cast<uint8_t*>(image.pixels.data()),
                          {image.height, image.width, image.channels}, torch::kUInt8)
      .permute({2, 0, 1})
      .clone(torch::MemoryFormat::Contiguous);
}

Pixels from_tensor(const torch::Tensor& tensor) {
  check_shape(tensor, "image", {-1, -1, -1}, "[C, H, W]");
  const auto hwc = tensor.to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  Pixels out;
  out.channels = tensor.size(0);
  out.height = tensor.size(1);
  out.width = tensor.size(2);
  out.pixels.assign(hwc.data_ptr<uint8_t>(), hwc.data_ptr<uint8_t>() + hwc.numel());
  return out;
}

}  // namespace setformer::data::kernels

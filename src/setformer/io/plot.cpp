#include "setformer/io/plot.h"

#include "setformer/core/files.h"
#include "setformer/io/image_file.h"

#include <fmt/format.h>

#include <stb_easy_font.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace setformer::io {

Rgb palette(size_t i) {
  static const Rgb colours[] = {{0, 114, 178}, {230, 159, 0},  {0, 158, 115},   {204, 121, 167},
                                {213, 94, 0},  {86, 180, 233}, {120, 120, 120}, {240, 228, 66}};
  return colours[i % (sizeof(colours) / sizeof(colours[0]))];
}

Image::Image(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<size_t>(width) * height * 3) {
  fill_rect(0, 0, width - 1, height - 1, background);
}

Rgb Image::at(int x, int y) const {
  const size_t i = (static_cast<size_t>(y) * width_ + x) * 3;
  return {pixels_[i], pixels_[i + 1], pixels_[i + 2]};
}

void Image::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  const size_t i = (static_cast<size_t>(y) * width_ + x) * 3;
  pixels_[i] = c.r;
  pixels_[i + 1] = c.g;
  pixels_[i + 2] = c.b;
}

void Image::fill_rect(int x0, int y0, int x1, int y1, Rgb c) {
  for (int y = std::max(0, std::min(y0, y1)); y <= std::min(height_ - 1, std::max(y0, y1)); ++y) {
    for (int x = std::max(0, std::min(x0, x1)); x <= std::min(width_ - 1, std::max(x0, x1)); ++x)
      set(x, y, c);
  }
}

void Image::line(int x0, int y0, int x1, int y1, Rgb c, int thickness) {
  // Bresenham, stamping a square of side `thickness` at each step.
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  int err = dx + dy;
  while (true) {
    fill_rect(x0 + lo, y0 + lo, x0 + hi, y0 + hi, c);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) err += dy, x0 += sx;
    if (e2 <= dx) err += dx, y0 += sy;
  }
}

void Image::text(int x, int y, const std::string& s, Rgb c, int scale) {
  // stb_easy_font emits axis-aligned quads (4 vertices of 16 bytes: x, y, z, rgba).
  std::vector<char> buffer(s.size() * 1024 + 64);  // generous: dense glyphs need many quads
  std::string copy = s;
  unsigned char rgba[4] = {c.r, c.g, c.b, 255};
  const int quads =
      stb_easy_font_print(0, 0, copy.data(), rgba, buffer.data(), static_cast<int>(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(buffer.data() + q * 64);
    const float* v2 = reinterpret_cast<const float*>(buffer.data() + q * 64 + 32);
    fill_rect(x + static_cast<int>(v0[0] * scale), y + static_cast<int>(v0[1] * scale),
              x + static_cast<int>(v2[0] * scale) - 1, y + static_cast<int>(v2[1] * scale) - 1, c);
  }
}

int Image::text_width(const std::string& s, int scale) {
  std::string copy = s;
  return stb_easy_font_width(copy.data()) * scale;
}

std::string Image::png() const {
  return encode_png(pixels_.data(), width_, height_, 3);
}

void Image::save_png(const std::string& path) const {
  write_file_atomic(path, png());
}

std::string tick_label(double v) {
  if (v == 0.0) return "0";
  const double a = std::abs(v);
  if (a >= 1e6 || a < 1e-3) return fmt::format("{:.0e}", v);
  if (std::abs(v - std::round(v)) < 1e-9 * std::max(1.0, a)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

namespace {

struct Axis {
  double lo, hi;
  bool log;
  double map(double v, double pixels_lo, double pixels_hi) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return pixels_lo + t * (pixels_hi - pixels_lo);
  }
};

/// Round-number ticks: 1-2-5 per decade on a log axis (decades only if crowded), a 1-2-5 step
/// on a linear one.
std::vector<double> nice_ticks(const Axis& axis) {
  std::vector<double> ticks;
  if (axis.log) {
    for (const std::vector<double>& mantissas :
         {std::vector<double>{1, 2, 5}, std::vector<double>{1}}) {
      ticks.clear();
      for (int e = static_cast<int>(std::floor(std::log10(axis.lo)));
           e <= std::ceil(std::log10(axis.hi)); ++e) {
        for (double mant : mantissas) {
          const double v = mant * std::pow(10.0, e);
          if (v >= axis.lo * 0.999 && v <= axis.hi * 1.001) ticks.push_back(v);
        }
      }
      if (ticks.size() <= 8) break;
    }
    return ticks;
  }
  const double raw = (axis.hi - axis.lo) / 6.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double mult : {1.0, 2.0, 5.0, 10.0}) {
    if (mult * mag >= raw) {
      step = mult * mag;
      break;
    }
  }
  for (double v = std::ceil(axis.lo / step) * step; v <= axis.hi + 1e-9 * step; v += step)
    ticks.push_back(v);
  return ticks;
}

Axis make_axis(const std::vector<double>& values, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!std::isfinite(v) || (log && v <= 0)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) lo = 1, hi = 10;
  if (log) {
    if (hi / lo < 1.5) lo /= 1.5, hi *= 1.5;
    const double pad = std::pow(hi / lo, 0.04);
    return {lo / pad, hi * pad, true};
  }
  if (hi - lo < 1e-12) lo -= 1, hi += 1;
  const double pad = 0.05 * (hi - lo);
  return {lo - pad, hi + pad, false};
}

}  // namespace

void draw_line_chart(Image& image, int left, int top, int width, int height,
                     const ChartOptions& options, const std::vector<Series>& series) {
  const Rgb ink{40, 40, 40}, grid{225, 225, 225};
  const int scale = 2, th = Image::text_height(scale);
  image.text(left + (width - Image::text_width(options.title, scale)) / 2, top, options.title, ink,
             scale);
  // Second line: the y label, then the legend.
  const int legend_y = top + th + 8;
  image.text(left + 10, legend_y, options.y_label, ink, scale);
  int legend_x = left + 30 + Image::text_width(options.y_label, scale);
  for (size_t i = 0; i < series.size(); ++i) {
    image.line(legend_x, legend_y + th / 2, legend_x + 30, legend_y + th / 2, palette(i), 3);
    image.text(legend_x + 38, legend_y, series[i].label, ink, scale);
    legend_x += 60 + Image::text_width(series[i].label, scale);
  }
  // Plot area inside the box, leaving room for title, tick labels and the x label.
  const int px0 = left + 80, px1 = left + width - 40;
  const int py0 = top + 2 * th + 24, py1 = top + height - 2 * th - 24;

  std::vector<double> xs, ys;
  for (const auto& s : series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
  }
  const Axis ax = make_axis(xs, options.log_x), ay = make_axis(ys, options.log_y);
  std::vector<double> xticks = nice_ticks(ax);
  if (options.ticks_at_data_x) {
    xticks.clear();
    for (double v : xs) {
      if (std::find(xticks.begin(), xticks.end(), v) == xticks.end()) xticks.push_back(v);
    }
  }
  for (double v : xticks) {
    const int x = static_cast<int>(std::lround(ax.map(v, px0, px1)));
    image.line(x, py0, x, py1, grid);
    const std::string label = tick_label(v);
    image.text(x - Image::text_width(label, scale) / 2, py1 + 6, label, ink, scale);
  }
  for (double v : nice_ticks(ay)) {
    const int y = static_cast<int>(std::lround(ay.map(v, py1, py0)));
    image.line(px0, y, px1, y, grid);
    const std::string label = tick_label(v);
    image.text(px0 - 6 - Image::text_width(label, scale), y - th / 2, label, ink, scale);
  }
  image.line(px0, py0, px0, py1, ink);
  image.line(px0, py1, px1, py1, ink);
  image.text(px0 + (px1 - px0 - Image::text_width(options.x_label, scale)) / 2, py1 + th + 14,
             options.x_label, ink, scale);

  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const Rgb c = palette(i);
    bool have_prev = false;
    int prev_x = 0, prev_y = 0;
    for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!std::isfinite(s.y[k]) || (options.log_y && s.y[k] <= 0)) {
        have_prev = false;
        continue;
      }
      const int x = static_cast<int>(std::lround(ax.map(s.x[k], px0, px1)));
      const int y = static_cast<int>(std::lround(ay.map(s.y[k], py1, py0)));
      if (have_prev) image.line(prev_x, prev_y, x, y, c, 3);
      image.fill_rect(x - 4, y - 4, x + 4, y + 4, c);
      have_prev = true, prev_x = x, prev_y = y;
    }
  }
}

}  // namespace setformer::io

// Pictures of results: an RGB canvas with lines, rectangles and text, saved as PNG, and line
// charts with linear or logarithmic axes drawn on it (benchmarks, training curves).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace setformer::io {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

/// A distinct colour for series i (a colour-blind-friendly palette, cycled).
Rgb palette(size_t i);

class Image {
 public:
  Image(int width, int height, Rgb background = {255, 255, 255});

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb at(int x, int y) const;
  /// Pixels outside the image are ignored by every drawing call.
  void set(int x, int y, Rgb c);
  void fill_rect(int x0, int y0, int x1, int y1, Rgb c);
  void line(int x0, int y0, int x1, int y1, Rgb c, int thickness = 1);
  /// Text with its top-left corner at (x, y), in a small built-in font scaled by `scale`.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1);
  static int text_width(const std::string& s, int scale = 1);
  static int text_height(int scale = 1) { return 8 * scale; }

  /// PNG bytes.
  std::string png() const;
  /// Writes the PNG atomically; throws naming the path on failure.
  void save_png(const std::string& path) const;

 private:
  int width_, height_;
  std::vector<uint8_t> pixels_;  // RGB, row-major
};

struct Series {
  std::string label;
  std::vector<double> x, y;  // NaN y values leave a gap
};

struct ChartOptions {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  /// Put x ticks at the data's x values instead of round numbers.
  bool ticks_at_data_x = false;
};

/// Draws a line chart with markers, axes, ticks, grid and legend into the box
/// (left, top, width, height) of `image`.
void draw_line_chart(Image& image, int left, int top, int width, int height,
                     const ChartOptions& options, const std::vector<Series>& series);

/// Compact tick label: 16384, 2.5, 0.001, 1e+06.
std::string tick_label(double v);

}  // namespace setformer::io

// Image files written in memory for the decoder's tests and the fuzz target's seed corpus: JPEG
// through TurboJPEG (grey, RGB, CMYK, with an EXIF orientation) and PNG through libpng (any bit
// depth, colour type and palette, interlaced or not). No LibTorch, so the fuzz build can use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace setformer::testing {

/// A JPEG of `pixels` (height × width × channels: 1 grey, 3 RGB, 4 CMYK) at `quality`; with
/// `orientation` in 1..8 an APP1 EXIF segment carrying it follows SOI (`big_endian` TIFF or not).
std::string encode_jpeg(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                        int quality = 95, int orientation = 0, bool big_endian = false);

struct PngLayout {
  int colour_type = 2;  // PNG_COLOR_TYPE_*: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA
  int bit_depth = 8;    // 1, 2, 4, 8 or 16 (as the colour type allows)
  bool interlaced = false;
  /// Palette entries (RGB triples) for colour type 3.
  std::vector<uint8_t> palette;
};

/// A PNG of `samples`: rows of interleaved samples, one byte each (bit depths below 8 use the low
/// bits), or two big-endian bytes at depth 16.
std::string encode_png(const std::vector<uint8_t>& samples, int width, int height,
                       const PngLayout& layout);

}  // namespace setformer::testing

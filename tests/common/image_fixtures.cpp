#include "common/image_fixtures.h"

#include <png.h>
#include <turbojpeg.h>

#include <memory>
#include <stdexcept>

namespace setformer::testing {
namespace {

/// APP1 "Exif\0\0" with a TIFF block whose first directory holds one entry: orientation.
std::string exif_segment(int orientation, bool big_endian) {
  std::string tiff =
      big_endian ? std::string("MM\0\x2a\0\0\0\x08", 8) : std::string("II\x2a\0\x08\0\0\0", 8);
  const auto u16 = [&](int v) {
    const char hi = static_cast<char>(v >> 8 & 0xFF), lo = static_cast<char>(v & 0xFF);
    tiff += big_endian ? std::string{hi, lo} : std::string{lo, hi};
  };
  const auto u32 = [&](int v) {
    if (big_endian) {
      u16(v >> 16);
      u16(v & 0xFFFF);
    } else {
      u16(v & 0xFFFF);
      u16(v >> 16);
    }
  };
  u16(1);       // one entry
  u16(0x0112);  // orientation
  u16(3);       // SHORT
  u32(1);       // one value
  u16(orientation);
  u16(0);
  u32(0);  // no next directory
  const std::string body = std::string("Exif\0\0", 6) + tiff;
  const auto length = static_cast<int>(body.size() + 2);
  return std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) +
         static_cast<char>(length & 0xFF) + body;
}

void write_to_string(png_structp png, png_bytep data, png_size_t count) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), count);
}

}  // namespace

std::string encode_jpeg(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                        int quality, int orientation, bool big_endian) {
  const std::unique_ptr<void, int (*)(tjhandle)> handle(tjInitCompress(), tjDestroy);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int format = channels == 1 ? TJPF_GRAY : channels == 3 ? TJPF_RGB : TJPF_CMYK;
  const int subsampling = channels == 1 ? TJSAMP_GRAY : TJSAMP_444;
  if (tjCompress2(handle.get(), pixels.data(), width, 0, height, format, &out, &size, subsampling,
                  quality, 0) != 0) {
    throw std::runtime_error(std::string("tjCompress2: ") + tjGetErrorStr2(handle.get()));
  }
  std::string jpeg(reinterpret_cast<char*>(out), size);
  tjFree(out);
  if (orientation > 0) jpeg.insert(2, exif_segment(orientation, big_endian));
  return jpeg;
}

std::string encode_png(const std::vector<uint8_t>& samples, int width, int height,
                       const PngLayout& layout) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("libpng could not write the test image");
  }
  png_set_write_fn(png, &out, write_to_string, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height),
               layout.bit_depth, layout.colour_type,
               layout.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> palette;
  for (size_t i = 0; i + 2 < layout.palette.size(); i += 3)
    palette.push_back({layout.palette[i], layout.palette[i + 1], layout.palette[i + 2]});
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_write_info(png, info);
  // Samples below 8 bits are packed by libpng from one byte each.
  if (layout.bit_depth < 8) png_set_packing(png);
  if (layout.interlaced) png_set_interlace_handling(png);
  const int per_pixel = layout.colour_type == 0 || layout.colour_type == 3 ? 1
                        : layout.colour_type == 4                          ? 2
                        : layout.colour_type == 2                          ? 3
                                                                           : 4;
  const size_t row_bytes =
      static_cast<size_t>(width * per_pixel * (layout.bit_depth == 16 ? 2 : 1));
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int r = 0; r < height; ++r)
    rows[static_cast<size_t>(r)] = const_cast<png_bytep>(samples.data() + r * row_bytes);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace setformer::testing

#include "setformer/io/image_decode.h"

#include <fmt/format.h>
#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csetjmp>
#include <cstring>
#include <memory>
#include <sstream>

namespace setformer::io {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& why) {
  throw ImageError(fmt::format("{}: {}", name, why));
}

/// Refuses a header's size before anything of that size is allocated.
void check_size(const std::string& name, const char* kind, int64_t width, int64_t height,
                const DecodeOptions& o) {
  if (width < 1 || height < 1)
    fail(name, fmt::format("invalid {} size {}x{}", kind, width, height));
  if (width > o.max_pixels / height) {
    fail(name, fmt::format("too many pixels: {}x{} exceeds the limit of {} (a guard against "
                           "decompression bombs; raise it if the image is genuine)",
                           width, height, o.max_pixels));
  }
}

// ---- JPEG ------------------------------------------------------------------------------------

DecodedImage decode_jpeg(std::string_view bytes, const std::string& name, const DecodeOptions& o) {
  const std::unique_ptr<void, int (*)(tjhandle)> handle(tjInitDecompress(), tjDestroy);
  if (!handle) fail(name, "cannot start the JPEG decoder");
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());
  int width = 0, height = 0, subsampling = 0, colour_space = 0;
  if (tjDecompressHeader3(handle.get(), data, size, &width, &height, &subsampling, &colour_space) !=
      0) {
    fail(name, fmt::format("not a decodable JPEG ({})", tjGetErrorStr2(handle.get())));
  }
  // A header cut before the frame (SOF) "succeeds" with no size.
  if (width < 1 || height < 1) {
    fail(name, "not a decodable JPEG (the file ends before the image size: truncated?)");
  }
  if (colour_space == TJCS_CMYK || colour_space == TJCS_YCCK) {
    fail(name, "unsupported colour space: a CMYK JPEG (convert it to RGB)");
  }
  check_size(name, "JPEG", width, height, o);
  // The smallest of the DCT-domain scales 1/2, 1/4, 1/8 that keeps both sides at least min_side.
  tjscalingfactor scale{1, 1};
  if (o.min_side > 0) {
    for (const int denom : {2, 4, 8}) {
      const tjscalingfactor s{1, denom};
      if (TJSCALED(width, s) < o.min_side || TJSCALED(height, s) < o.min_side) break;
      scale = s;
    }
  }
  DecodedImage out;
  out.width = TJSCALED(width, scale);
  out.height = TJSCALED(height, scale);
  out.channels = colour_space == TJCS_GRAY ? 1 : 3;
  out.pixels.resize(static_cast<size_t>(out.width * out.height * out.channels));
  // Stopping on warnings turns a truncated file ("premature end of data") into an error instead
  // of an image whose lower part is grey.
  if (tjDecompress2(handle.get(), data, size, out.pixels.data(), static_cast<int>(out.width), 0,
                    static_cast<int>(out.height), out.channels == 1 ? TJPF_GRAY : TJPF_RGB,
                    TJFLAG_STOPONWARNING) != 0) {
    fail(name, fmt::format("truncated or corrupt JPEG ({})", tjGetErrorStr2(handle.get())));
  }
  apply_orientation(out, jpeg_orientation(bytes));
  return out;
}

/// Big- or little-endian integers of a TIFF block, bounds-checked (0 past the end).
struct TiffReader {
  std::string_view b;
  bool little;
  uint32_t u16(size_t at) const {
    if (at + 2 > b.size()) return 0;
    const auto x = static_cast<uint8_t>(b[at]), y = static_cast<uint8_t>(b[at + 1]);
    return little ? (y << 8 | x) : (x << 8 | y);
  }
  uint32_t u32(size_t at) const {
    return little ? (u16(at + 2) << 16 | u16(at)) : (u16(at) << 16 | u16(at + 2));
  }
};

// ---- PNG -------------------------------------------------------------------------------------

/// What libpng's callbacks share: the bytes, the read position and the last error. Allocated on
/// the heap: after a longjmp only objects outside the jumping frame keep defined values.
struct PngSource {
  std::string_view bytes;
  size_t position = 0;
  std::string error;
};

void png_read_from_memory(png_structp png, png_bytep out, png_size_t count) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (count > source->bytes.size() - source->position) png_error(png, "truncated file");
  std::memcpy(out, source->bytes.data() + source->position, count);
  source->position += count;
}

void png_on_error(png_structp png, png_const_charp message) {
  static_cast<PngSource*>(png_get_error_ptr(png))->error = message;
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

DecodedImage decode_png(std::string_view bytes, const std::string& name, const DecodeOptions& o) {
  auto source = std::make_unique<PngSource>();
  source->bytes = bytes;
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, source.get(), png_on_error, png_on_warning);
  if (!png) fail(name, "cannot start the PNG decoder");
  png_infop info = png_create_info_struct(png);
  struct Release {
    png_structp* png;
    png_infop* info;
    ~Release() { png_destroy_read_struct(png, info, nullptr); }
  } release{&png, &info};
  if (!info) fail(name, "cannot start the PNG decoder");
  const auto broken = [&] {
    fail(name, fmt::format("truncated or corrupt PNG ({})", source->error));
  };
  if (setjmp(png_jmpbuf(png))) broken();
  png_set_read_fn(png, source.get(), png_read_from_memory);
  png_read_info(png, info);
  const auto width = static_cast<int64_t>(png_get_image_width(png, info));
  const auto height = static_cast<int64_t>(png_get_image_height(png, info));
  check_size(name, "PNG", width, height, o);
  // 8 bits per sample (16-bit keeps its high byte), palettes and 1/2/4-bit grey expanded, alpha
  // dropped: grey files give one channel, the others RGB.
  png_set_strip_16(png);
  png_set_packing(png);
  const auto colour_type = png_get_color_type(png, info);
  if (colour_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (colour_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  DecodedImage out;
  out.width = width;
  out.height = height;
  out.channels = png_get_channels(png, info);
  if ((out.channels != 1 && out.channels != 3) ||
      png_get_rowbytes(png, info) != static_cast<size_t>(width * out.channels)) {
    fail(name, fmt::format("unsupported PNG layout ({} channels after conversion)", out.channels));
  }
  out.pixels.resize(static_cast<size_t>(width * height * out.channels));
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int64_t r = 0; r < height; ++r)
    rows[static_cast<size_t>(r)] = out.pixels.data() + r * width * out.channels;
  // Armed again now that the buffers exist, so that an error while decoding jumps over nothing.
  if (setjmp(png_jmpbuf(png))) broken();
  png_read_image(png, rows.data());
  return out;
}

// ---- PGM and PPM -----------------------------------------------------------------------------

/// Width, height and maxval after the magic; `pos` ends after the single whitespace that
/// precedes the pixels. Comments (#...) may stand between fields.
std::vector<int64_t> netpbm_header(const std::string& name, const std::string& kind,
                                   std::string_view bytes, size_t& pos) {
  std::vector<int64_t> fields;
  pos = 2;
  while (fields.size() < 3) {
    while (pos < bytes.size() &&
           (std::isspace(static_cast<unsigned char>(bytes[pos])) || bytes[pos] == '#')) {
      if (bytes[pos] == '#') {
        while (pos < bytes.size() && bytes[pos] != '\n') ++pos;
      } else {
        ++pos;
      }
    }
    size_t end = pos;
    while (end < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[end]))) ++end;
    if (end == pos) {
      fail(name, fmt::format("malformed {} header (expected width, height and maxval)", kind));
    }
    if (end - pos > 9) fail(name, fmt::format("{} header value too large", kind));
    fields.push_back(std::stoll(std::string(bytes.substr(pos, end - pos))));
    pos = end;
  }
  ++pos;  // the one whitespace character before the raster
  return fields;
}

DecodedImage decode_netpbm(std::string_view bytes, const std::string& name,
                           const DecodeOptions& o) {
  const bool grey = bytes[1] == '5' || bytes[1] == '2';
  const std::string kind = grey ? "PGM" : "PPM";
  const bool binary = bytes[1] == '5' || bytes[1] == '6';
  size_t pos = 0;
  const auto f = netpbm_header(name, kind, bytes, pos);
  const int64_t width = f[0], height = f[1], maxval = f[2];
  if (maxval < 1 || maxval > 65535) fail(name, fmt::format("invalid {} maxval {}", kind, maxval));
  check_size(name, kind.c_str(), width, height, o);
  DecodedImage out;
  out.width = width;
  out.height = height;
  out.channels = grey ? 1 : 3;
  const int64_t count = width * height * out.channels;
  // Rounded to nearest, ties to even, in float: LibTorch's rounding, which this reader had.
  const float to_255 = static_cast<float>(255.0 / static_cast<double>(maxval));
  const auto level = [&](int64_t v) {
    return static_cast<uint8_t>(std::nearbyint(static_cast<float>(v) * to_255));
  };
  if (binary) {
    const int64_t bytes_per = maxval < 256 ? 1 : 2;
    const auto present = static_cast<int64_t>(pos <= bytes.size() ? bytes.size() - pos : 0);
    if (present < count * bytes_per) {
      fail(name, fmt::format("truncated {}: {}x{} pixels need {} bytes, {} present", kind, width,
                             height, count * bytes_per, present));
    }
    out.pixels.resize(static_cast<size_t>(count));
    const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data() + pos);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t v = bytes_per == 1 ? raw[i] : (raw[2 * i] << 8 | raw[2 * i + 1]);
      out.pixels[static_cast<size_t>(i)] = level(std::min(v, maxval));
    }
  } else {
    // Each sample takes at least two characters: a cheap bound before the allocation.
    if (count > static_cast<int64_t>(bytes.size())) {
      fail(name,
           fmt::format("truncated {}: {}x{} pixels need {} samples", kind, width, height, count));
    }
    out.pixels.resize(static_cast<size_t>(count));
    std::istringstream text{std::string(bytes.substr(pos - 1))};
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = -1;
      if (!(text >> v) || v < 0 || v > maxval) {
        fail(name, fmt::format("ASCII {} sample {} is missing or outside 0..{}", kind, i, maxval));
      }
      out.pixels[static_cast<size_t>(i)] = level(v);
    }
  }
  return out;
}

}  // namespace

ImageFormat sniff_image(std::string_view b) {
  const auto at = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
  if (b.size() >= 3 && at(0) == 0xFF && at(1) == 0xD8 && at(2) == 0xFF) return ImageFormat::jpeg;
  if (b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return ImageFormat::png;
  if (b.size() >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '3' || b[1] == '5' || b[1] == '6'))
    return ImageFormat::netpbm;
  return ImageFormat::unknown;
}

DecodedImage decode_image(std::string_view bytes, const std::string& name,
                          const DecodeOptions& options) {
  if (bytes.empty()) fail(name, "empty file (0 bytes)");
  switch (sniff_image(bytes)) {
    case ImageFormat::jpeg:
      return decode_jpeg(bytes, name, options);
    case ImageFormat::png:
      return decode_png(bytes, name, options);
    case ImageFormat::netpbm:
      return decode_netpbm(bytes, name, options);
    case ImageFormat::unknown:
      break;
  }
  fail(name, "not a JPEG, PNG, PGM or PPM image (unrecognised header)");
}

ImageSize probe_image(std::string_view bytes, const std::string& name) {
  if (bytes.empty()) fail(name, "empty file (0 bytes)");
  switch (sniff_image(bytes)) {
    case ImageFormat::jpeg: {
      const std::unique_ptr<void, int (*)(tjhandle)> handle(tjInitDecompress(), tjDestroy);
      if (!handle) fail(name, "cannot start the JPEG decoder");
      int width = 0, height = 0, subsampling = 0, colour_space = 0;
      if (tjDecompressHeader3(handle.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<unsigned long>(bytes.size()), &width, &height,
                              &subsampling, &colour_space) != 0 ||
          width < 1 || height < 1) {
        fail(name, "not a decodable JPEG (unreadable header)");
      }
      // Orientations 5 to 8 turn the image a quarter: its sides swap.
      if (jpeg_orientation(bytes) >= 5) std::swap(width, height);
      return {width, height};
    }
    case ImageFormat::png: {
      // The signature, then the IHDR chunk: length, "IHDR", width and height big-endian.
      if (bytes.size() < 24 || bytes.substr(12, 4) != "IHDR") fail(name, "truncated PNG header");
      const auto u32 = [&](size_t at) {
        return static_cast<int64_t>(static_cast<uint8_t>(bytes[at])) << 24 |
               static_cast<int64_t>(static_cast<uint8_t>(bytes[at + 1])) << 16 |
               static_cast<int64_t>(static_cast<uint8_t>(bytes[at + 2])) << 8 |
               static_cast<int64_t>(static_cast<uint8_t>(bytes[at + 3]));
      };
      return {u32(16), u32(20)};
    }
    case ImageFormat::netpbm: {
      size_t pos = 0;
      const auto f =
          netpbm_header(name, bytes[1] == '5' || bytes[1] == '2' ? "PGM" : "PPM", bytes, pos);
      return {f[0], f[1]};
    }
    case ImageFormat::unknown:
      break;
  }
  fail(name, "not a JPEG, PNG, PGM or PPM image (unrecognised header)");
}

int jpeg_orientation(std::string_view b) {
  // Markers from SOI up to the start of the scan; APP1 "Exif\0\0" holds a TIFF block whose first
  // directory may carry tag 0x0112 (orientation, a SHORT).
  size_t pos = 2;
  while (pos + 4 <= b.size() && static_cast<uint8_t>(b[pos]) == 0xFF) {
    const auto marker = static_cast<uint8_t>(b[pos + 1]);
    if (marker == 0xDA || marker == 0xD9) break;
    const size_t length = static_cast<size_t>(static_cast<uint8_t>(b[pos + 2]) << 8 |
                                              static_cast<uint8_t>(b[pos + 3]));
    if (length < 2 || pos + 2 + length > b.size()) break;
    const auto segment = b.substr(pos + 4, length - 2);
    if (marker == 0xE1 && segment.size() >= 14 &&
        segment.substr(0, 6) == std::string_view("Exif\0\0", 6)) {
      const auto tiff = segment.substr(6);
      if (tiff.substr(0, 2) != "II" && tiff.substr(0, 2) != "MM") return 1;
      const TiffReader r{tiff, tiff[0] == 'I'};
      if (r.u16(2) != 42) return 1;
      const size_t directory = r.u32(4);
      const size_t entries = r.u16(directory);
      for (size_t i = 0; i < entries; ++i) {
        const size_t entry = directory + 2 + 12 * i;
        if (entry + 12 > tiff.size()) break;
        if (r.u16(entry) == 0x0112 && r.u16(entry + 2) == 3) {
          const auto value = static_cast<int>(r.u16(entry + 8));
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    }
    pos += 2 + length;
  }
  return 1;
}

void apply_orientation(DecodedImage& image, int orientation) {
  if (orientation <= 1 || orientation > 8) return;
  const int64_t w = image.width, h = image.height, c = image.channels;
  const bool swap = orientation >= 5;  // transposed, or rotated by a quarter turn
  const int64_t out_w = swap ? h : w, out_h = swap ? w : h;
  std::vector<uint8_t> out(image.pixels.size());
  for (int64_t y = 0; y < out_h; ++y) {
    for (int64_t x = 0; x < out_w; ++x) {
      // The stored pixel shown at (x, y).
      int64_t sx = x, sy = y;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          break;  // mirrored left-right
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;  // half a turn
        case 4:
          sy = h - 1 - y;
          break;  // mirrored top-bottom
        case 5:
          sx = y;
          sy = x;
          break;  // transposed
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;  // a quarter turn clockwise
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;  // transversed
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;  // a quarter turn anticlockwise
      }
      std::memcpy(&out[static_cast<size_t>((y * out_w + x) * c)],
                  &image.pixels[static_cast<size_t>((sy * w + sx) * c)], static_cast<size_t>(c));
    }
  }
  image.pixels = std::move(out);
  image.width = out_w;
  image.height = out_h;
}

}  // namespace setformer::io

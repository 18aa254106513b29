#include "setformer/io/image_file.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cctype>
#include <filesystem>
#include <sstream>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb_image.h>

namespace setformer::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(fmt::format("{}: {}", path, why));
}

/// The magic of a PGM (P5 binary, P2 ASCII) or PPM (P6, P3): 1 or 3 channels; 0 for anything else.
int64_t netpbm_channels(const std::string& bytes) {
  if (bytes.size() < 2 || bytes[0] != 'P') return 0;
  if (bytes[1] == '5' || bytes[1] == '2') return 1;
  if (bytes[1] == '6' || bytes[1] == '3') return 3;
  return 0;
}

/// Reads the header fields of a PGM or PPM: width, height, maxval after the magic; `pos` ends
/// after the single whitespace that precedes the pixels. Comments (#...) may appear between
/// fields.
std::vector<int64_t> netpbm_header(const std::string& path, const std::string& bytes, size_t& pos) {
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
      fail(path, fmt::format("malformed {} header (expected width, height and maxval)",
                             netpbm_channels(bytes) == 1 ? "PGM" : "PPM"));
    }
    fields.push_back(std::stoll(bytes.substr(pos, end - pos)));
    pos = end;
  }
  ++pos;  // the one whitespace character before the raster
  return fields;
}

/// A PGM or PPM as uint8 [C, H, W], rescaled from maxval to 255.
torch::Tensor read_netpbm(const std::string& path, const std::string& bytes) {
  const int64_t channels = netpbm_channels(bytes);
  const std::string kind = channels == 1 ? "PGM" : "PPM";
  const bool binary = bytes[1] == '5' || bytes[1] == '6';
  size_t pos = 0;
  const auto f = netpbm_header(path, bytes, pos);
  const int64_t width = f[0], height = f[1], maxval = f[2];
  if (width < 1 || height < 1 || maxval < 1 || maxval > 65535) {
    fail(path, fmt::format("invalid {} size {}x{} or maxval {}", kind, width, height, maxval));
  }
  auto pixels = torch::empty({height, width, channels}, torch::kFloat);
  auto* out = pixels.data_ptr<float>();
  const int64_t count = width * height * channels;
  if (binary) {
    const int64_t bytes_per = maxval < 256 ? 1 : 2;
    if (static_cast<int64_t>(bytes.size() - pos) < count * bytes_per) {
      fail(path, fmt::format("truncated {}: {}x{} pixels need {} bytes, {} present", kind, width,
                             height, count * bytes_per, bytes.size() - pos));
    }
    const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data() + pos);
    for (int64_t i = 0; i < count; ++i) {
      out[i] = bytes_per == 1 ? raw[i] : static_cast<float>(raw[2 * i] << 8 | raw[2 * i + 1]);
    }
  } else {
    std::istringstream text(bytes.substr(pos - 1));
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = -1;
      if (!(text >> v) || v < 0 || v > maxval) {
        fail(path, fmt::format("ASCII {} sample {} is missing or outside 0..{}", kind, i, maxval));
      }
      out[i] = static_cast<float>(v);
    }
  }
  return (pixels * (255.0 / static_cast<double>(maxval)))
      .round()
      .to(torch::kUInt8)
      .permute({2, 0, 1})
      .contiguous();
}

/// Any supported file as uint8 [channels, H, W], channels 1 (grey) or 3 (RGB).
torch::Tensor read_image(const std::string& path, int channels) {
  if (!std::filesystem::exists(path)) fail(path, "image not found");
  const std::string bytes = read_file(path);
  if (netpbm_channels(bytes) > 0) {
    const auto image = read_netpbm(path, bytes);
    if (image.size(0) == channels) return image;
    if (channels == 3) return image.repeat({3, 1, 1});
    // stb_image's conversion, so that a PPM and a PNG of the same picture read the same.
    const auto rgb = image.to(torch::kInt);
    return ((rgb[0] * 77 + rgb[1] * 150 + rgb[2] * 29) / 256).to(torch::kUInt8).unsqueeze(0);
  }
  int width = 0, height = 0, in_file = 0;
  unsigned char* data =
      stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()), &width, &height, &in_file, channels);
  if (!data) {
    fail(path, fmt::format("not a readable PNG, PGM or PPM image ({})", stbi_failure_reason()));
  }
  // The copy comes before the free: with one channel, permute(...).contiguous() is still a view.
  auto image = torch::from_blob(data, {height, width, channels}, torch::kUInt8)
                   .clone()
                   .permute({2, 0, 1})
                   .contiguous();
  stbi_image_free(data);
  return image;
}

}  // namespace

torch::Tensor read_grey_image(const std::string& path) {
  return read_image(path, 1);
}

torch::Tensor read_rgb_image(const std::string& path) {
  return read_image(path, 3);
}

void write_pgm(const std::string& path, const torch::Tensor& image) {
  check_shape(image, "PGM image", {1, -1, -1}, "[1, H, W]");
  SETFORMER_CHECK(image.scalar_type() == torch::kUInt8, "PGM image must be uint8");
  const auto contiguous = image.contiguous();
  std::string bytes = fmt::format("P5\n{} {}\n255\n", image.size(2), image.size(1));
  bytes.append(reinterpret_cast<const char*>(contiguous.data_ptr<uint8_t>()),
               static_cast<size_t>(contiguous.numel()));
  write_file_atomic(path, bytes);
}

}  // namespace setformer::io

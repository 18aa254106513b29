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

/// Reads the header fields of a PGM: magic, width, height, maxval; `pos` ends after the single
/// whitespace that precedes the pixels. Comments (#...) may appear between fields.
std::vector<int64_t> pgm_header(const std::string& path, const std::string& bytes, size_t& pos) {
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
    if (end == pos) fail(path, "malformed PGM header (expected width, height and maxval)");
    fields.push_back(std::stoll(bytes.substr(pos, end - pos)));
    pos = end;
  }
  ++pos;  // the one whitespace character before the raster
  return fields;
}

torch::Tensor read_pgm(const std::string& path, const std::string& bytes) {
  size_t pos = 0;
  const auto f = pgm_header(path, bytes, pos);
  const int64_t width = f[0], height = f[1], maxval = f[2];
  if (width < 1 || height < 1 || maxval < 1 || maxval > 65535) {
    fail(path, fmt::format("invalid PGM size {}x{} or maxval {}", width, height, maxval));
  }
  auto pixels = torch::empty({1, height, width}, torch::kFloat);
  auto* out = pixels.data_ptr<float>();
  const int64_t count = width * height;
  if (bytes[1] == '5') {
    const int64_t bytes_per = maxval < 256 ? 1 : 2;
    if (static_cast<int64_t>(bytes.size() - pos) < count * bytes_per) {
      fail(path, fmt::format("truncated PGM: {}x{} pixels need {} bytes, {} present", width, height,
                             count * bytes_per, bytes.size() - pos));
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
        fail(path, fmt::format("ASCII PGM pixel {} is missing or outside 0..{}", i, maxval));
      }
      out[i] = static_cast<float>(v);
    }
  }
  return (pixels * (255.0 / static_cast<double>(maxval))).round().to(torch::kUInt8);
}

}  // namespace

torch::Tensor read_grey_image(const std::string& path) {
  if (!std::filesystem::exists(path)) fail(path, "image not found");
  const std::string bytes = read_file(path);
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '2')) {
    return read_pgm(path, bytes);
  }
  int width = 0, height = 0, channels = 0;
  unsigned char* data =
      stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()), &width, &height, &channels, 1);
  if (!data) {
    fail(path, fmt::format("not a readable PNG or PGM image ({})", stbi_failure_reason()));
  }
  auto image = torch::from_blob(data, {1, height, width}, torch::kUInt8).clone();
  stbi_image_free(data);
  return image;
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

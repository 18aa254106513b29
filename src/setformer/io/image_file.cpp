#include "setformer/io/image_file.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/io/image_decode.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <turbojpeg.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>

#include <filesystem>
#include <memory>

namespace setformer::io {
namespace {

/// Any supported file as uint8 [channels, H, W], channels 1 (grey) or 3 (RGB).
torch::Tensor read_image(const std::string& path, int channels) {
  if (!std::filesystem::exists(path)) throw ImageError(fmt::format("{}: image not found", path));
  const std::string bytes = read_file(path);
  const auto decoded = decode_image(bytes, path);
  auto image = torch::from_blob(const_cast<uint8_t*>(decoded.pixels.data()),
                                {decoded.height, decoded.width, decoded.channels}, torch::kUInt8)
                   .permute({2, 0, 1})
                   .clone(at::MemoryFormat::Contiguous);
  if (decoded.channels == channels) return image;
  if (channels == 3) return image.repeat({3, 1, 1});
  // stb_image's conversion, which this reader used first: a PPM, a PNG and a JPEG of the same
  // picture read the same.
  const auto rgb = image.to(torch::kInt);
  return ((rgb[0] * 77 + rgb[1] * 150 + rgb[2] * 29) / 256).to(torch::kUInt8).unsqueeze(0);
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

std::string encode_png(const uint8_t* pixels, int width, int height, int channels) {
  std::string out;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &out, width, height, channels, pixels, width * channels)) {
    throw std::runtime_error("PNG encoding failed");
  }
  return out;
}

std::string encode_jpeg(const uint8_t* pixels, int width, int height, int channels, int quality) {
  SETFORMER_CHECK(channels == 1 || channels == 3, "JPEG encoding: 1 or 3 channels, got {}",
                  channels);
  SETFORMER_CHECK(quality >= 1 && quality <= 100, "JPEG quality must be in 1..100, got {}",
                  quality);
  const std::unique_ptr<void, int (*)(tjhandle)> handle(tjInitCompress(), tjDestroy);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const int failed =
      tjCompress2(handle.get(), pixels, width, 0, height, channels == 1 ? TJPF_GRAY : TJPF_RGB,
                  &buffer, &size, channels == 1 ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  std::string out;
  if (!failed) out.assign(reinterpret_cast<const char*>(buffer), size);
  tjFree(buffer);
  if (failed) {
    throw std::runtime_error(fmt::format("JPEG encoding failed: {}", tjGetErrorStr2(handle.get())));
  }
  return out;
}

void write_jpeg(const std::string& path, const torch::Tensor& image, int quality) {
  SETFORMER_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3) &&
                      image.scalar_type() == torch::kUInt8,
                  "JPEG image must be uint8 [1 or 3, H, W], got {} {}",
                  c10::toString(image.scalar_type()), shape_string(image.sizes()));
  const auto pixels = image.permute({1, 2, 0}).contiguous();
  write_file_atomic(
      path, encode_jpeg(pixels.data_ptr<uint8_t>(), static_cast<int>(image.size(2)),
                        static_cast<int>(image.size(1)), static_cast<int>(image.size(0)), quality));
}

void write_png(const std::string& path, const torch::Tensor& image) {
  SETFORMER_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3) &&
                      image.scalar_type() == torch::kUInt8,
                  "PNG image must be uint8 [1 or 3, H, W], got {} {}",
                  c10::toString(image.scalar_type()), shape_string(image.sizes()));
  const auto pixels = image.permute({1, 2, 0}).contiguous();
  write_file_atomic(path,
                    encode_png(pixels.data_ptr<uint8_t>(), static_cast<int>(image.size(2)),
                               static_cast<int>(image.size(1)), static_cast<int>(image.size(0))));
}

}  // namespace setformer::io

// Reading image files as tensors for prediction: JPEG, PNG, PGM and PPM (io/image_decode.h), as
// grey levels or RGB. Every error names the file.
#pragma once

#include <torch/types.h>

#include <string>

namespace setformer::io {

/// The image at `path` as uint8 [1, H, W] (grey levels 0..255; colour converted as stb_image
/// does, (77 r + 150 g + 29 b) / 256). PGM and PPM files with maxval other than 255 are rescaled.
/// Throws io::ImageError (a std::runtime_error) naming the file when it is missing, unreadable
/// or of another format.
torch::Tensor read_grey_image(const std::string& path);

/// The image at `path` as uint8 [3, H, W] (RGB 0..255; grey levels repeated, alpha dropped), with
/// the formats and errors of read_grey_image.
torch::Tensor read_rgb_image(const std::string& path);

/// Writes uint8 [1, H, W] as binary PGM (P5), atomically; for tests and examples.
void write_pgm(const std::string& path, const torch::Tensor& image);

/// The PNG file of 8-bit pixels in rows of interleaved channels (1 grey, 3 RGB).
std::string encode_png(const uint8_t* pixels, int width, int height, int channels);

/// The baseline JPEG file (libjpeg-turbo, 4:2:0 chroma for RGB) of 8-bit pixels in rows of
/// interleaved channels (1 grey, 3 RGB) at `quality` 1..100.
std::string encode_jpeg(const uint8_t* pixels, int width, int height, int channels, int quality);

/// Writes uint8 [C, H, W] (C = 1 grey or 3 RGB) as a JPEG, atomically.
void write_jpeg(const std::string& path, const torch::Tensor& image, int quality = 90);

/// Writes uint8 [C, H, W] (C = 1 grey or 3 RGB) as an 8-bit PNG, atomically.
void write_png(const std::string& path, const torch::Tensor& image);

}  // namespace setformer::io

// Reading grey-level images for prediction: PNG (any colour type, converted to grey by stb_image)
// and binary or ASCII PGM (P5/P2, written here by hand so that the common scientific format does
// not depend on a converter). Every error names the file.
#pragma once

#include <torch/types.h>

#include <string>

namespace setformer::io {

/// The image at `path` as uint8 [1, H, W] (grey levels 0..255). PGM files with maxval other
/// than 255 are rescaled. Throws std::runtime_error naming the file when it is missing,
/// unreadable or of another format.
torch::Tensor read_grey_image(const std::string& path);

/// Writes uint8 [1, H, W] as binary PGM (P5), atomically; for tests and examples.
void write_pgm(const std::string& path, const torch::Tensor& image);

}  // namespace setformer::io

// IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed: a 4-byte magic number
// (two zero bytes, an element type, the number of dimensions), the big-endian 32-bit size of each
// dimension, then the elements in row-major order. Every error names the file and what was wrong.
#pragma once

#include <torch/types.h>

#include <string>

namespace setformer::data {

/// Reads an IDX file (gzip or not, detected from its content) into a tensor of its shape.
/// Element types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
/// Throws std::runtime_error naming `path` when the file is missing, not IDX, of an unknown type,
/// truncated, or longer than its header says.
torch::Tensor read_idx(const std::string& path);

/// Writes a uint8 tensor as a gzip-compressed IDX file, atomically (for tests and tools).
void write_idx_gz(const std::string& path, const torch::Tensor& data);

}  // namespace setformer::data

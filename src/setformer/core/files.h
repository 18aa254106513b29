// Atomic file output: results, tables, pictures and checkpoints are written to a temporary file
// beside the target and renamed over it, so an interrupted run never leaves a half-written file.
#pragma once

#include <string>
#include <string_view>

namespace setformer {

/// Writes `bytes` to `path` atomically, creating parent folders. Throws std::runtime_error
/// naming the path on failure.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// Reads a whole file; throws std::runtime_error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace setformer

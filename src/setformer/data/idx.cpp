#include "setformer/data/idx.h"

#include "setformer/core/files.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace setformer::data {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(fmt::format("{}: {}", path, why));
}

/// The whole (decompressed) content. gzread passes non-gzip files through unchanged.
std::string read_all(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::string out;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(f, buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(n));
  int err = Z_OK;
  const char* message = gzerror(f, &err);
  // Z_BUF_ERROR here means the compressed stream ended early: a truncated file.
  const bool failed = n < 0 || err != Z_OK;
  const std::string why = failed ? message : "";
  gzclose(f);
  if (failed) fail(path, "corrupt or truncated gzip data (" + why + ")");
  return out;
}

uint32_t big_endian_u32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
  const std::string bytes = read_all(path);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4 || p[0] != 0 || p[1] != 0) {
    fail(path, "not an IDX file (its magic number must start with two zero bytes)");
  }
  static const std::pair<unsigned char, torch::ScalarType> kTypes[] = {
      {0x08, torch::kUInt8}, {0x09, torch::kInt8},    {0x0B, torch::kInt16},
      {0x0C, torch::kInt32}, {0x0D, torch::kFloat32}, {0x0E, torch::kFloat64}};
  const auto* known = std::find_if(std::begin(kTypes), std::end(kTypes),
                                   [&](const auto& entry) { return entry.first == p[2]; });
  if (known == std::end(kTypes)) fail(path, fmt::format("unknown IDX element type 0x{:02X}", p[2]));
  const torch::ScalarType type = known->second;
  const int dims = p[3];
  if (dims < 1) fail(path, "IDX header declares 0 dimensions");
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() < header)
    fail(path, fmt::format("truncated: the header of {} dimensions is cut off", dims));
  std::vector<int64_t> shape;
  size_t count = 1;
  for (int d = 0; d < dims; ++d) {
    shape.push_back(big_endian_u32(p + 4 + 4 * d));
    count *= static_cast<size_t>(shape.back());
  }
  const size_t element = torch::elementSize(type);
  const size_t expected = header + count * element;
  if (bytes.size() < expected) {
    fail(path,
         fmt::format(
             "truncated: the header promises {} elements ({} bytes) but the file has {} bytes",
             count, expected, bytes.size()));
  }
  if (bytes.size() > expected) {
    fail(path, fmt::format("{} bytes after the {} elements the header declares",
                           bytes.size() - expected, count));
  }
  auto out = torch::empty(shape, torch::dtype(type));
  std::memcpy(out.data_ptr(), p + header, count * element);
  if (element > 1) {  // IDX stores multi-byte elements big-endian
    auto* raw = static_cast<unsigned char*>(out.data_ptr());
    for (size_t i = 0; i < count; ++i) std::reverse(raw + i * element, raw + (i + 1) * element);
  }
  return out;
}

void write_idx_gz(const std::string& path, const torch::Tensor& data) {
  if (data.scalar_type() != torch::kUInt8 || data.dim() < 1) {
    throw std::invalid_argument(
        fmt::format("write_idx_gz: {} needs a uint8 tensor with >= 1 dimension", path));
  }
  std::string raw{'\0', '\0', '\x08', static_cast<char>(data.dim())};
  for (const int64_t s : data.sizes()) {
    for (int shift = 24; shift >= 0; shift -= 8) raw += static_cast<char>((s >> shift) & 0xFF);
  }
  const auto contiguous = data.contiguous();
  raw.append(static_cast<const char*>(contiguous.data_ptr()),
             static_cast<size_t>(contiguous.numel()));
  uLongf size = compressBound(raw.size()) + 32;
  std::string gz(size, '\0');
  // gzip framing (windowBits 15 + 16) so that gzopen reads it back.
  z_stream z{};
  deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(gz.data());
  z.avail_out = static_cast<uInt>(gz.size());
  const int status = deflate(&z, Z_FINISH);
  gz.resize(z.total_out);
  deflateEnd(&z);
  if (status != Z_STREAM_END)
    throw std::runtime_error(fmt::format("{}: gzip compression failed", path));
  write_file_atomic(path, gz);
}

}  // namespace setformer::data

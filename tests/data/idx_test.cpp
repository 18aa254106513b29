// IDX reading: round trips, big-endian element types, and an error naming the file for every
// way a file can be wrong.
#include "setformer/data/idx.h"

#include "setformer/core/files.h"

#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <filesystem>

namespace setformer::data {
namespace {

class IdxFiles : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.path(name); }

  /// Expects read_idx(file) to throw std::runtime_error naming the file and `fragment`.
  void expect_rejected(const std::string& file, const std::string& fragment) const {
    try {
      read_idx(file);
      ADD_FAILURE() << file << " should have been rejected (" << fragment << ")";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(file, 0), 0u) << "the error must start with the file: " << what;
      EXPECT_NE(what.find(fragment), std::string::npos) << what;
    }
  }

  testing::TempDir dir_;
};

std::string header(unsigned char type, const std::vector<uint32_t>& dims) {
  std::string h{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (const uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) h += static_cast<char>((d >> shift) & 0xFF);
  }
  return h;
}

TEST_F(IdxFiles, GzipRoundTripKeepsShapeAndValues) {
  const auto data = torch::randint(0, 256, {7, 5, 3}, torch::kUInt8);
  write_idx_gz(path("a.gz"), data);
  const auto back = read_idx(path("a.gz"));
  EXPECT_EQ(back.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(back.equal(data));
}

TEST_F(IdxFiles, ReadsUncompressedBigEndianIntegers) {
  std::string bytes = header(0x0C, {3});
  for (const uint32_t v : {1u, 256u, 0xFFFFFFFEu}) {  // 0xFFFFFFFE is -2 as int32
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((v >> shift) & 0xFF);
  }
  write_file_atomic(path("ints.idx"), bytes);
  const auto t = read_idx(path("ints.idx"));
  EXPECT_EQ(t.scalar_type(), torch::kInt32);
  EXPECT_TRUE(t.equal(torch::tensor({1, 256, -2}, torch::kInt32)));
}

TEST_F(IdxFiles, RejectsEveryKindOfBadFile) {
  expect_rejected(path("missing.gz"), "cannot open");
  write_file_atomic(path("magic"), std::string("\x01\x00\x08\x01\x00\x00\x00\x01\x07", 9));
  expect_rejected(path("magic"), "not an IDX file");
  write_file_atomic(path("type"), header(0x07, {1}) + "x");
  expect_rejected(path("type"), "unknown IDX element type 0x07");
  write_file_atomic(path("short_header"), header(0x08, {2, 2}).substr(0, 9));
  expect_rejected(path("short_header"), "header of 2 dimensions is cut off");
  write_file_atomic(path("truncated"), header(0x08, {2, 3}) + "abcd");
  expect_rejected(path("truncated"), "promises 6 elements");
  write_file_atomic(path("long"), header(0x08, {2}) + "abc");
  expect_rejected(path("long"), "1 bytes after the 2 elements");
}

TEST_F(IdxFiles, RejectsCorruptGzip) {
  write_idx_gz(path("good.gz"), torch::randint(0, 256, {64, 64}, torch::kUInt8));
  std::string bytes = read_file(path("good.gz"));
  write_file_atomic(path("cut.gz"), bytes.substr(0, bytes.size() / 2));
  expect_rejected(path("cut.gz"), "gzip");
}

}  // namespace
}  // namespace setformer::data

// Image files as tensors for prediction: every format the decoder reads gives the same picture,
// in grey (stb_image's weights) and in colour, and bad files are named.
#include "setformer/io/image_file.h"

#include "setformer/core/files.h"
#include "setformer/io/plot.h"

#include "common/errors.h"
#include "common/image_fixtures.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace setformer::io {
namespace {

TEST(ImageFile, ReadsPgmBinaryAndAsciiAndPng) {
  const testing::TempDir dir;
  const auto image = torch::randint(0, 256, {1, 5, 7}).to(torch::kUInt8);
  io::write_pgm(dir.path("a.pgm"), image);
  EXPECT_TRUE(io::read_grey_image(dir.path("a.pgm")).equal(image));
  // ASCII with a comment and maxval 15: rescaled to 0..255.
  write_file_atomic(dir.path("b.pgm"), "P2\n# two pixels\n2 1\n15\n0 15\n");
  EXPECT_TRUE(io::read_grey_image(dir.path("b.pgm"))
                  .equal(torch::tensor({0, 255}, torch::kUInt8).view({1, 1, 2})));
  io::Image png(3, 2, {10, 10, 10});
  png.save_png(dir.path("c.png"));
  const auto grey = io::read_grey_image(dir.path("c.png"));
  EXPECT_EQ(grey.sizes(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(grey[0][1][2].item<int>(), 10);
}

TEST(ImageFile, ReadsColourFromPpmAndPngAndGreyAsThreeEqualChannels) {
  const testing::TempDir dir;
  // Binary PPM, 2×1: red and (10, 20, 30).
  write_file_atomic(dir.path("a.ppm"), std::string("P6\n2 1\n255\n\xff\x00\x00\x0a\x14\x1e", 17));
  const auto rgb = io::read_rgb_image(dir.path("a.ppm"));
  EXPECT_TRUE(rgb.equal(torch::tensor({255, 10, 0, 20, 0, 30}, torch::kUInt8).view({3, 1, 2})));
  // ASCII PPM with maxval 15: rescaled to 0..255.
  write_file_atomic(dir.path("b.ppm"), "P3\n# one pixel\n1 1\n15\n15 0 5\n");
  EXPECT_TRUE(io::read_rgb_image(dir.path("b.ppm"))
                  .equal(torch::tensor({255, 0, 85}, torch::kUInt8).view({3, 1, 1})));
  // A PNG of the same picture reads the same, in colour and in grey ((77 r + 150 g + 29 b) / 256:
  // 76 and 18).
  io::Image png(2, 1);
  png.set(0, 0, {255, 0, 0});
  png.set(1, 0, {10, 20, 30});
  png.save_png(dir.path("a.png"));
  EXPECT_TRUE(io::read_rgb_image(dir.path("a.png")).equal(rgb));
  const auto grey = torch::tensor({76, 18}, torch::kUInt8).view({1, 1, 2});
  EXPECT_TRUE(io::read_grey_image(dir.path("a.png")).equal(grey));
  EXPECT_TRUE(io::read_grey_image(dir.path("a.ppm")).equal(grey));
  // Grey levels become three equal channels.
  const auto levels = torch::randint(0, 256, {1, 3, 4}).to(torch::kUInt8);
  io::write_pgm(dir.path("c.pgm"), levels);
  EXPECT_TRUE(io::read_rgb_image(dir.path("c.pgm")).equal(levels.repeat({3, 1, 1})));
}

TEST(ImageFile, BadFilesAreNamed) {
  const testing::TempDir dir;
  write_file_atomic(dir.path("short.pgm"), "P5\n4 4\n255\nabc");
  testing::expect_runtime_error([&] { io::read_grey_image(dir.path("short.pgm")); },
                                "short.pgm: truncated PGM");
  write_file_atomic(dir.path("text.png"), "hello");
  testing::expect_runtime_error([&] { io::read_grey_image(dir.path("text.png")); },
                                "text.png: not a JPEG, PNG, PGM or PPM image");
  write_file_atomic(dir.path("short.ppm"), "P6\n2 2\n255\nabcdef");
  testing::expect_runtime_error([&] { io::read_rgb_image(dir.path("short.ppm")); },
                                "short.ppm: truncated PPM");
  testing::expect_runtime_error([&] { io::read_grey_image(dir.path("none.png")); },
                                "none.png: image not found");
}

TEST(ImageFile, WrittenPngsReadBackExactly) {
  const testing::TempDir dir;
  const auto grey = torch::randint(0, 256, {1, 5, 7}).to(torch::kUInt8);
  const auto rgb = torch::randint(0, 256, {3, 4, 6}).to(torch::kUInt8);
  write_png(dir.path("g.png"), grey);
  write_png(dir.path("c.png"), rgb);
  EXPECT_TRUE(read_grey_image(dir.path("g.png")).equal(grey));
  EXPECT_TRUE(read_rgb_image(dir.path("c.png")).equal(rgb));
  testing::expect_invalid_argument(
      [&] {
        write_png(dir.path("x.png"), torch::zeros({2, 3, 3}, torch::kUInt8));
      },
      "PNG image must be uint8 [1 or 3, H, W]");
}

TEST(ImageFile, ReadsJpegAsThePictureItEncodes) {
  const testing::TempDir dir;
  // 16×8 in two flat colours: JPEG keeps flat blocks to within a few levels.
  std::vector<uint8_t> pixels;
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 16; ++x) {
      pixels.insert(pixels.end(), {static_cast<uint8_t>(x < 8 ? 200 : 30), 120,
                                   static_cast<uint8_t>(x < 8 ? 40 : 220)});
    }
  }
  write_file_atomic(dir.path("a.jpg"), testing::encode_jpeg(pixels, 16, 8, 3));
  const auto rgb = read_rgb_image(dir.path("a.jpg"));
  ASSERT_EQ(rgb.sizes(), (std::vector<int64_t>{3, 8, 16}));
  const auto expected =
      torch::from_blob(pixels.data(), {8, 16, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kInt);
  EXPECT_LE((rgb.to(torch::kInt) - expected).abs().max().item<int>(), 6);
  // Grey from the decoded colours, as for every format.
  const auto grey = read_grey_image(dir.path("a.jpg")).to(torch::kInt);
  const auto c = rgb.to(torch::kInt);
  EXPECT_TRUE(grey[0].equal(torch::floor_divide(c[0] * 77 + c[1] * 150 + c[2] * 29, 256)));
}

}  // namespace
}  // namespace setformer::io

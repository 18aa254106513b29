// The image decoder: JPEG (with DCT-domain down-scaling and EXIF orientation), PNG of every bit
// depth and colour type, PGM/PPM; and the files users bring by mistake or malice (empty,
// truncated, bit-flipped, CMYK, a text file named .jpg, a header claiming a huge image), each an
// ImageError naming the file and the rule, never a crash.
#include "setformer/io/image_decode.h"

#include "common/image_fixtures.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace setformer::io {
namespace {

using testing::encode_jpeg;
using testing::encode_png;
using testing::PngLayout;

/// Smooth colours (JPEG keeps them to within a few levels): [h, w, 3].
std::vector<uint8_t> gradient(int width, int height) {
  std::vector<uint8_t> p;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      p.push_back(static_cast<uint8_t>(40 + 4 * x));
      p.push_back(static_cast<uint8_t>(200 - 3 * y));
      p.push_back(static_cast<uint8_t>(90));
    }
  }
  return p;
}

int max_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  EXPECT_EQ(a.size(), b.size());
  int d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

/// Runs `f` and checks that it throws an ImageError whose message holds `fragment`.
template <class F>
void expect_image_error(F f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected an ImageError with: " << fragment;
  } catch (const ImageError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ImageDecode, JpegRgbAndGreyRoundTrip) {
  const auto rgb = gradient(24, 16);
  const auto a = decode_image(encode_jpeg(rgb, 24, 16, 3), "a.jpg");
  EXPECT_EQ(a.width, 24);
  EXPECT_EQ(a.height, 16);
  EXPECT_EQ(a.channels, 3);
  EXPECT_LE(max_difference(a.pixels, rgb), 8);
  std::vector<uint8_t> grey(24 * 16);
  std::iota(grey.begin(), grey.end(), 0);
  const auto g = decode_image(encode_jpeg(grey, 24, 16, 1), "g.jpg");
  EXPECT_EQ(g.channels, 1);
  EXPECT_LE(max_difference(g.pixels, grey), 8);
}

TEST(ImageDecode, JpegScalesDownInTheDctDomainWhileBothSidesStayLongEnough) {
  const auto jpeg = encode_jpeg(gradient(64, 48), 64, 48, 3);
  const auto full = decode_image(jpeg, "a.jpg");
  const auto sizes = [&](int64_t min_side) {
    DecodeOptions o;
    o.min_side = min_side;
    const auto d = decode_image(jpeg, "a.jpg", o);
    return std::vector<int64_t>{d.width, d.height};
  };
  EXPECT_EQ(sizes(0), (std::vector<int64_t>{64, 48}));
  EXPECT_EQ(sizes(40), (std::vector<int64_t>{64, 48}));  // half would make 24 < 40
  EXPECT_EQ(sizes(16), (std::vector<int64_t>{32, 24}));  // a quarter would make 12 < 16
  EXPECT_EQ(sizes(12), (std::vector<int64_t>{16, 12}));
  EXPECT_EQ(sizes(1), (std::vector<int64_t>{8, 6}));
  // The scaled decode is the picture at a quarter: its mean colour is the full one's.
  DecodeOptions quarter;
  quarter.min_side = 12;
  const auto small = decode_image(jpeg, "a.jpg", quarter);
  for (int c = 0; c < 3; ++c) {
    double a = 0, b = 0;
    for (size_t i = static_cast<size_t>(c); i < full.pixels.size(); i += 3) a += full.pixels[i];
    for (size_t i = static_cast<size_t>(c); i < small.pixels.size(); i += 3) b += small.pixels[i];
    EXPECT_NEAR(a / (64 * 48), b / (16 * 12), 2.0) << "channel " << c;
  }
}

TEST(ImageDecode, OrientationsTurnAndMirrorAsExifDefinesThem) {
  // Stored 3×2 [[1, 2, 3], [4, 5, 6]]; each orientation's upright image written out.
  const std::vector<std::vector<uint8_t>> upright{
      {},
      {1, 2, 3, 4, 5, 6},  // 1
      {3, 2, 1, 6, 5, 4},  // 2: mirrored left-right
      {6, 5, 4, 3, 2, 1},  // 3: half a turn
      {4, 5, 6, 1, 2, 3},  // 4: mirrored top-bottom
      {1, 4, 2, 5, 3, 6},  // 5: transposed (2 wide, 3 high)
      {4, 1, 5, 2, 6, 3},  // 6: a quarter turn clockwise
      {6, 3, 5, 2, 4, 1},  // 7: transversed
      {3, 6, 2, 5, 1, 4},  // 8: a quarter turn anticlockwise
  };
  for (int o = 1; o <= 8; ++o) {
    DecodedImage image{3, 2, 1, {1, 2, 3, 4, 5, 6}};
    apply_orientation(image, o);
    EXPECT_EQ(image.pixels, upright[static_cast<size_t>(o)]) << "orientation " << o;
    EXPECT_EQ(image.width, o >= 5 ? 2 : 3) << "orientation " << o;
    EXPECT_EQ(image.height, o >= 5 ? 3 : 2) << "orientation " << o;
  }
}

TEST(ImageDecode, JpegExifOrientationIsReadAndApplied) {
  // 16×8: the left half red, the right half blue.
  std::vector<uint8_t> p;
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 16; ++x) {
      const bool left = x < 8;
      p.insert(p.end(),
               {static_cast<uint8_t>(left ? 250 : 0), 0, static_cast<uint8_t>(left ? 0 : 250)});
    }
  }
  for (const bool big_endian : {false, true}) {
    const auto jpeg = encode_jpeg(p, 16, 8, 3, 95, 6, big_endian);
    EXPECT_EQ(jpeg_orientation(jpeg), 6);
    const auto d = decode_image(jpeg, "turned.jpg");
    // A quarter turn clockwise: 8 wide, 16 high, the left half on top.
    ASSERT_EQ(d.width, 8);
    ASSERT_EQ(d.height, 16);
    EXPECT_GT(d.pixels[0], 200);                     // top-left red
    EXPECT_GT(d.pixels[(15 * 8 + 7) * 3 + 2], 200);  // bottom-right blue
  }
  EXPECT_EQ(jpeg_orientation(encode_jpeg(p, 16, 8, 3)), 1);  // no EXIF
}

TEST(ImageDecode, PngOfEveryDepthAndColourType) {
  // 8-bit RGB, exactly.
  const auto rgb = gradient(5, 3);
  auto d = decode_image(encode_png(rgb, 5, 3, PngLayout{}), "rgb.png");
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.pixels, rgb);
  // Interlaced: the same pixels.
  PngLayout interlaced;
  interlaced.interlaced = true;
  EXPECT_EQ(decode_image(encode_png(rgb, 5, 3, interlaced), "i.png").pixels, rgb);
  // 16-bit grey keeps the high byte.
  PngLayout grey16;
  grey16.colour_type = 0;
  grey16.bit_depth = 16;
  d = decode_image(encode_png({0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF}, 3, 1, grey16), "g16.png");
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{0x12, 0xAB, 0xFF}));
  // 1-bit grey: 0 and 255.
  PngLayout bits;
  bits.colour_type = 0;
  bits.bit_depth = 1;
  d = decode_image(encode_png({0, 1, 1, 0}, 4, 1, bits), "bits.png");
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{0, 255, 255, 0}));
  // A palette becomes its colours.
  PngLayout palette;
  palette.colour_type = 3;
  palette.palette = {255, 0, 0, 0, 128, 255};
  d = decode_image(encode_png({1, 0}, 2, 1, palette), "p.png");
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{0, 128, 255, 255, 0, 0}));
  // Alpha is dropped: RGBA gives RGB, grey + alpha gives grey.
  PngLayout rgba;
  rgba.colour_type = 6;
  d = decode_image(encode_png({10, 20, 30, 0, 40, 50, 60, 255}, 2, 1, rgba), "a.png");
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{10, 20, 30, 40, 50, 60}));
  PngLayout grey_alpha;
  grey_alpha.colour_type = 4;
  d = decode_image(encode_png({7, 0, 9, 128}, 2, 1, grey_alpha), "ga.png");
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{7, 9}));
}

TEST(ImageDecode, PgmAndPpmAreRescaledFromMaxval) {
  auto d = decode_image("P2\n# c\n2 1\n15\n0 15\n", "a.pgm");
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{0, 255}));
  d = decode_image(std::string("P5\n2 1\n65535\n\xff\xff\x80\x00", 17), "b.pgm");
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{255, 128}));
  d = decode_image(std::string("P6\n1 1\n255\n\x0a\x14\x1e", 14), "c.ppm");
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{10, 20, 30}));
}

TEST(ImageDecode, BadFilesAreNamedWithTheRule) {
  expect_image_error([] { decode_image("", "empty.jpg"); }, "empty.jpg: empty file (0 bytes)");
  expect_image_error([] { decode_image("hello, world", "text.jpg"); },
                     "text.jpg: not a JPEG, PNG, PGM or PPM image");
  const auto jpeg = encode_jpeg(gradient(32, 32), 32, 32, 3);
  // Cut inside the scan (the tables come first), and inside the header.
  expect_image_error([&] { decode_image(jpeg.substr(0, jpeg.size() - 40), "cut.jpg"); },
                     "cut.jpg: truncated or corrupt JPEG");
  expect_image_error([&] { decode_image(jpeg.substr(0, 40), "head.jpg"); },
                     "head.jpg: not a decodable JPEG");
  std::vector<uint8_t> cmyk(8 * 8 * 4, 100);
  expect_image_error([&] { decode_image(encode_jpeg(cmyk, 8, 8, 4), "cmyk.jpg"); },
                     "cmyk.jpg: unsupported colour space: a CMYK JPEG");
  const auto png = encode_png(gradient(16, 16), 16, 16, PngLayout{});
  expect_image_error([&] { decode_image(png.substr(0, png.size() - 30), "cut.png"); },
                     "cut.png: truncated or corrupt PNG");
  auto flipped = png;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x55);  // inside the image data: a CRC error
  expect_image_error([&] { decode_image(flipped, "flipped.png"); },
                     "flipped.png: truncated or corrupt PNG");
  expect_image_error([] { decode_image("P5\n4 4\n255\nabc", "short.pgm"); },
                     "short.pgm: truncated PGM");
  expect_image_error([] { decode_image("P3\n1 1\n255\n1 2", "short.ppm"); },
                     "short.ppm: ASCII PPM sample 2 is missing");
}

TEST(ImageDecode, HeadersClaimingHugeImagesAreRefusedBeforeDecoding) {
  // A PGM, a PNG and a JPEG whose headers claim 60000 × 60000 pixels, with almost no data.
  expect_image_error([] { decode_image("P5\n60000 60000\n255\n", "bomb.pgm"); },
                     "bomb.pgm: too many pixels: 60000x60000 exceeds the limit of 89478485");
  // IHDR's width and height (bytes 16..23) and its CRC (29..32) rewritten: a valid header.
  auto png = encode_png(std::vector<uint8_t>(3, 0), 1, 1, PngLayout{});
  for (const int at : {16, 20}) png.replace(static_cast<size_t>(at), 4, "\x00\x00\xea\x60", 4);
  const auto crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17));  // "IHDR" and its 13 bytes
  for (int i = 0; i < 4; ++i)
    png[static_cast<size_t>(29 + i)] = static_cast<char>(crc >> (24 - 8 * i));
  expect_image_error([&] { decode_image(png, "bomb.png"); },
                     "bomb.png: too many pixels: 60000x60000");
  auto jpeg = encode_jpeg(std::vector<uint8_t>(8 * 8, 0), 8, 8, 1);
  const auto sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  jpeg.replace(sof + 5, 4, "\xea\x60\xea\x60", 4);  // height, width
  expect_image_error([&] { decode_image(jpeg, "bomb.jpg"); },
                     "bomb.jpg: too many pixels: 60000x60000");
  // The limit is the caller's.
  DecodeOptions small;
  small.max_pixels = 50;
  expect_image_error(
      [&] { decode_image(encode_png(gradient(10, 10), 10, 10, {}), "big.png", small); },
      "big.png: too many pixels: 10x10 exceeds the limit of 50");
}

TEST(ImageDecode, BitFlipsNeverCrash) {
  // Every decodable flip gives an image of the header's size; the others an ImageError.
  const auto jpeg = encode_jpeg(gradient(16, 16), 16, 16, 3);
  const auto png = encode_png(gradient(16, 16), 16, 16, PngLayout{});
  for (const auto* original : {&jpeg, &png}) {
    for (size_t at = 0; at < original->size(); at += 7) {
      auto bytes = *original;
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << (at % 8)));
      try {
        const auto d = decode_image(bytes, "flip");
        EXPECT_EQ(d.pixels.size(), static_cast<size_t>(d.width * d.height * d.channels));
      } catch (const ImageError&) {
      }
    }
  }
}

}  // namespace
}  // namespace setformer::io

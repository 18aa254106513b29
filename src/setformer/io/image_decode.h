// Decoding image files into 8-bit pixels: JPEG through libjpeg-turbo (with its DCT-domain
// down-scaling and the EXIF orientation applied), PNG through libpng (8- and 16-bit, grey,
// palette, alpha) and PGM/PPM (binary and ASCII, read here). Files come from users and may be
// broken or hostile: every failure is an ImageError naming the file and the reason (empty,
// truncated, not decodable, too many pixels, unsupported colour space), and the pixel count a
// header claims is checked before anything is allocated. No LibTorch here, so that the fuzz
// target (fuzz/image_decode_fuzz.cpp) builds in seconds.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace setformer::io {

/// A file that cannot be decoded; what() is "NAME: reason".
class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ImageFormat { unknown, jpeg, png, netpbm };

/// The format a file's first bytes announce (JPEG's FF D8 FF, PNG's signature, P2/P3/P5/P6).
ImageFormat sniff_image(std::string_view bytes);

struct DecodeOptions {
  /// Largest width × height accepted, checked on the header before decoding: a guard against
  /// decompression bombs (PIL's default limit).
  int64_t max_pixels = 89478485;
  /// > 0: a JPEG may be decoded at 1/2, 1/4 or 1/8 of its size in the DCT domain, the smallest
  /// scale whose sides both stay at least this long (much cheaper than decoding in full and
  /// shrinking); 0: always full size.
  int64_t min_side = 0;
};

/// Pixels in rows of interleaved channels: 1 (grey files) or 3 (RGB; alpha is dropped).
struct DecodedImage {
  int64_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height × width × channels
};

/// Decodes a JPEG, PNG, PGM or PPM file held in `bytes`; `name` (a path) prefixes every error.
/// 16-bit samples keep their high byte; PGM/PPM samples are rescaled from maxval to 255.
DecodedImage decode_image(std::string_view bytes, const std::string& name,
                          const DecodeOptions& options = {});

/// Width and height as decode_image would return them at full scale (a JPEG's after its EXIF
/// orientation).
struct ImageSize {
  int64_t width = 0, height = 0;
};

/// The size a file's header announces, read without decoding the pixels (cheap: a crop can be
/// planned before choosing a JPEG's DCT scale). Throws ImageError as decode_image does for an
/// empty, unrecognised or truncated header.
ImageSize probe_image(std::string_view bytes, const std::string& name);

/// The EXIF orientation (1..8, 1 when absent or unreadable) of a JPEG's APP1 segment.
int jpeg_orientation(std::string_view bytes);

/// Applies EXIF orientation `orientation` (2..8: mirrored and/or rotated; 1: unchanged) so that
/// the image is upright.
void apply_orientation(DecodedImage& image, int orientation);

}  // namespace setformer::io

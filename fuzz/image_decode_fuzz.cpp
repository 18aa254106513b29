// libFuzzer target for the image decoder (io/image_decode.h): any bytes must decode to an image of
// the size its header gives, or fail with an ImageError; never crash, leak or read out of bounds.
// The header probe (probe_image) gets the same bytes.
// Built and run under AddressSanitizer and UndefinedBehaviorSanitizer by scripts/fuzz.sh.
#include "setformer/io/image_decode.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const int64_t min_side : {0, 7}) {
    setformer::io::DecodeOptions options;
    // Small enough that a header's claim cannot make the fuzzer run out of memory.
    options.max_pixels = 1 << 22;
    options.min_side = min_side;
    try {
      const auto image = setformer::io::decode_image(bytes, "fuzz", options);
      if (image.pixels.size() != static_cast<size_t>(image.width * image.height * image.channels))
        std::abort();
    } catch (const setformer::io::ImageError&) {
    }
  }
  setformer::io::jpeg_orientation(bytes);
  try {
    const auto size = setformer::io::probe_image(bytes, "fuzz");
    if (size.width < 0 || size.height < 0) std::abort();
  } catch (const setformer::io::ImageError&) {
  }
  return 0;
}

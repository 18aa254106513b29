#include "setformer/io/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace setformer::io {
namespace {

// RFC 4648 §10's test vectors.
TEST(Base64, MatchesTheRfcVectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded, "t"), plain);
  }
}

TEST(Base64, RoundTripsEveryByte) {
  std::mt19937 rng(3);
  for (size_t n = 0; n < 70; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(rng() & 0xFF);
    EXPECT_EQ(base64_decode(base64_encode(bytes), "t"), bytes) << n;
  }
}

TEST(Base64, RejectsWhatIsNotBase64) {
  EXPECT_THROW(base64_decode("abc", "t"), std::invalid_argument);       // length
  EXPECT_THROW(base64_decode("ab!d", "t"), std::invalid_argument);      // alphabet
  EXPECT_THROW(base64_decode("a===", "t"), std::invalid_argument);      // too much padding
  EXPECT_THROW(base64_decode("ab=dabcd", "t"), std::invalid_argument);  // padding inside
  try {
    base64_decode("Zm9v!m9v", "model");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("model: character 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace setformer::io

// Tokenizers: exact round trips on any bytes, pre-tokens that rebuild the text, BPE training on a
// case worked out by hand, encoding against the definition (every merge applied in the order
// learned), and JSON that restores the same tokenizer.
#include "setformer/data/tokenizer.h"

#include "common/errors.h"

#include <gtest/gtest.h>

#include <random>

namespace setformer::data {
namespace {

const std::vector<std::string> kTexts{
    "From: someone@example.com\nSubject: Re: the meeting at 10:30\n\n  Call me Ishmael. Some years "
    "ago...",
    "Fellow-Citizens of the Senate and House of Representatives: 1790, 1791, 1792!",
    "naïve café — “quotes” and ünïcödé, tabs\tand  double  spaces\r\n",
    "the the the theme then there these those other mother brother"};

/// Encoding by the definition: each merge, in the order learned, replaces every occurrence of
/// its pair, left to right, within each pre-token.
std::vector<int64_t> reference_encode(const Tokenizer& t, const std::string& text) {
  std::vector<int64_t> out;
  for (const auto& piece : Tokenizer::pretokenize(text)) {
    std::vector<int64_t> s;
    for (const unsigned char c : piece) s.push_back(Tokenizer::kSpecials + c);
    for (size_t m = 0; m < t.merges().size(); ++m) {
      const auto [a, b] = t.merges()[m];
      std::vector<int64_t> merged;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          merged.push_back(Tokenizer::kSpecials + Tokenizer::kBytes + static_cast<int64_t>(m));
          ++i;
        } else {
          merged.push_back(s[i]);
        }
      }
      s = merged;
    }
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

TEST(Tokenizer, BytesRoundTripAnyInput) {
  const Tokenizer bytes;
  EXPECT_EQ(bytes.vocab_size(), 261);
  std::mt19937 rng(3);
  std::string random;
  for (int i = 0; i < 1000; ++i) random += static_cast<char>(rng() & 0xFF);
  for (const auto& t : kTexts) EXPECT_EQ(bytes.decode(bytes.encode(t)), t);
  EXPECT_EQ(bytes.decode(bytes.encode(random)), random);
  EXPECT_EQ(bytes.encode("A"), (std::vector<int64_t>{Tokenizer::kSpecials + 'A'}));
}

TEST(Tokenizer, PretokensRebuildTheText) {
  EXPECT_EQ(
      Tokenizer::pretokenize("Hi there, 42 cafés!\n\n  x"),
      (std::vector<std::string>{"Hi", " there", ",", " 42", " cafés", "!", "\n", "\n", " ", " x"}));
  for (const auto& t : kTexts) {
    std::string joined;
    for (const auto& p : Tokenizer::pretokenize(t)) joined += p;
    EXPECT_EQ(joined, t);
  }
}

TEST(Tokenizer, BpeLearnsTheMergesWorkedOutByHand) {
  // "aaabdaaabac": aa occurs 4 times; then (a, b) and (Z = aa, a) both twice, and the tie goes
  // to the smaller pair of ids, (a, b); then (Z, Y = ab) twice.
  const auto t = Tokenizer::train_bpe({"aaabdaaabac"}, 264);
  const int64_t a = Tokenizer::kSpecials + 'a', b = Tokenizer::kSpecials + 'b';
  const int64_t z = Tokenizer::kSpecials + Tokenizer::kBytes, y = z + 1;
  EXPECT_EQ(t.merges(), (std::vector<std::pair<int64_t, int64_t>>{{a, a}, {a, b}, {z, y}}));
  EXPECT_EQ(t.token_bytes(z + 2), "aaab");
  const int64_t d = Tokenizer::kSpecials + 'd', c = Tokenizer::kSpecials + 'c';
  EXPECT_EQ(t.encode("aaabdaaabac"), (std::vector<int64_t>{z + 2, d, z + 2, a, c}));
}

TEST(Tokenizer, BpeEncodesAsTheMergesDefineAndRoundTrips) {
  const auto t = Tokenizer::train_bpe(kTexts, 400);
  EXPECT_GT(t.merges().size(), 30u);
  EXPECT_EQ(t.kind(), "bpe");
  for (const auto& text : kTexts) {
    const auto ids = t.encode(text);
    EXPECT_EQ(ids, reference_encode(t, text));
    EXPECT_EQ(t.decode(ids), text);
    EXPECT_LT(ids.size(), text.size());  // merges shorten the text
  }
  // Text the tokenizer never saw still round-trips, merging where it can.
  const std::string unseen = "the mother of those brothers: 17 naïve themes";
  EXPECT_EQ(t.decode(t.encode(unseen)), unseen);
  EXPECT_EQ(t.encode(unseen), reference_encode(t, unseen));
}

TEST(Tokenizer, JsonRestoresTheSameTokenizer) {
  const auto t = Tokenizer::train_bpe(kTexts, 330);
  const auto restored = Tokenizer::from_json(nlohmann::json::parse(t.to_json().dump()));
  EXPECT_EQ(restored.merges(), t.merges());
  EXPECT_EQ(restored.encode(kTexts[0]), t.encode(kTexts[0]));
  EXPECT_EQ(Tokenizer::from_json(Tokenizer().to_json()).vocab_size(), 261);
  testing::expect_invalid_argument(
      [] {
        Tokenizer::from_json({{"kind", "wordpiece"}, {"specials", 5}});
      },
      "tokenizer kind = 'wordpiece' is not bytes, bpe or sentencepiece");
  testing::expect_invalid_argument(
      [] {
        Tokenizer::from_json({{"kind", "bpe"}, {"specials", 5}, {"merges", {{5, 400}}}});
      },
      "refers to a token that is special or not yet defined");
  testing::expect_invalid_argument([] { Tokenizer::train_bpe({"x"}, 100); },
                                   "vocab_size must be >= 261");
}

}  // namespace
}  // namespace setformer::data

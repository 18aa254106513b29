// SentencePiece tokenizers through the shim library: training is deterministic; every text maps
// to ids and back (exactly for normalised text, and for characters outside the vocabulary
// through byte pieces); the pieces an encoding lists spell its text; a unigram encoding is the
// best-scoring segmentation (brute force over every split of short words); the model survives the
// checkpoint's JSON; and what is not a model is refused with its name.
#include "setformer/data/tokenizer.h"

#include "common/errors.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <map>

namespace setformer::data {
namespace {

void require_sentencepiece() {
#ifdef SETFORMER_WITH_SENTENCEPIECE
  ASSERT_TRUE(SentencePiece::available()) << "built with SentencePiece, but the library is missing";
#else
  if (!SentencePiece::available()) GTEST_SKIP() << "built without SentencePiece";
#endif
}

/// A few hundred sentences over a small vocabulary, with some repeated phrases.
std::vector<std::string> corpus() {
  const std::vector<std::string> words{"the",  "cat",   "sat",     "on",      "mat",   "dog",
                                       "ran",  "after", "quickly", "brown",   "fox",   "jumps",
                                       "over", "lazy",  "senate",  "address", "union", "state"};
  std::vector<std::string> out;
  for (size_t i = 0; i < 600; ++i) {
    std::string s;
    for (size_t j = 0; j < 4 + i % 7; ++j) {
      if (j) s += ' ';
      s += words[(i * 7 + j * j * 3 + j) % words.size()];
    }
    out.push_back(s + (i % 3 == 0 ? "." : ""));
  }
  return out;
}

Tokenizer trained(const std::string& type, int64_t vocab = 300) {
  static std::map<std::string, Tokenizer> cache;
  const auto key = type + std::to_string(vocab);
  if (!cache.count(key)) {
    const auto texts = corpus();
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    SentencePieceTrainOptions o;
    o.vocab_size = vocab;
    o.model_type = type;
    cache.emplace(key, Tokenizer::train_sentencepiece(views, o));
  }
  return cache.at(key);
}

TEST(SentencePiece, TrainingIsDeterministic) {
  require_sentencepiece();
  const auto texts = corpus();
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  SentencePieceTrainOptions o;
  o.vocab_size = 300;
  o.threads = 2;
  EXPECT_EQ(SentencePiece::train(views, o), SentencePiece::train(views, o));
}

TEST(SentencePiece, RoundTripsAndSpellsItsText) {
  require_sentencepiece();
  for (const auto* type : {"unigram", "bpe"}) {
    const auto t = trained(type);
    EXPECT_EQ(t.kind(), "sentencepiece");
    EXPECT_EQ(t.vocab_size(), Tokenizer::kSpecials + 300) << type;
    // Text the model never saw, with characters outside its vocabulary: byte pieces carry them.
    for (const std::string text :
         {"the lazy fox sat on the senate", "zebra: 42 quiet ünïcödé 日本", "x"}) {
      const auto ids = t.encode(text);
      ASSERT_FALSE(ids.empty());
      std::string spelled;
      for (const auto id : ids) {
        EXPECT_GE(id, Tokenizer::kSpecials) << type;
        EXPECT_LT(id, t.vocab_size()) << type;
        spelled += t.token_bytes(id);
      }
      EXPECT_EQ(t.decode(ids), text) << type;
      // SentencePiece marks the start of the text as a word boundary (its dummy prefix).
      EXPECT_EQ(spelled, " " + text) << type;
    }
    // Its normalisation collapses runs of spaces; specials are skipped on decoding.
    auto ids = t.encode("the   cat ");
    EXPECT_EQ(t.decode(ids), "the cat");
    ids.insert(ids.begin(), Tokenizer::kCls);
    ids.push_back(Tokenizer::kSep);
    EXPECT_EQ(t.decode(ids), "the cat");
  }
}

// The unigram model picks, for each word, the segmentation into vocabulary pieces with the
// highest total score (Kudo 2018, §3.1): checked against every segmentation of a few words.
TEST(SentencePiece, UnigramEncodingIsTheBestSegmentation) {
  require_sentencepiece();
  const auto t = trained("unigram");
  const auto& sp = *t.sentencepiece();
  std::map<std::string, float> score;
  for (int32_t i = 0; i < sp.size(); ++i)
    if (!sp.is_control_or_unknown(i) && !sp.is_byte(i)) score[sp.piece(i)] = sp.score(i);
  for (const std::string word : {"quickly", "address", "jumps", "senate", "lazy"}) {
    const std::string text = "\xe2\x96\x81" + word;
    // Best score of text[i..] over every split into known pieces.
    std::function<float(size_t)> best = [&](size_t i) -> float {
      if (i == text.size()) return 0.0f;
      float b = -std::numeric_limits<float>::infinity();
      for (size_t j = i + 1; j <= text.size(); ++j) {
        const auto it = score.find(text.substr(i, j - i));
        if (it != score.end()) b = std::max(b, it->second + best(j));
      }
      return b;
    };
    float encoded = 0;
    for (const auto id : t.encode(word))
      encoded += sp.score(static_cast<int32_t>(id - Tokenizer::kSpecials));
    EXPECT_NEAR(encoded, best(0), 1e-4) << word;
  }
}

TEST(SentencePiece, JsonRestoresTheSameModel) {
  require_sentencepiece();
  const auto t = trained("bpe");
  const auto restored = Tokenizer::from_json(nlohmann::json::parse(t.to_json().dump()));
  EXPECT_EQ(restored.kind(), "sentencepiece");
  EXPECT_EQ(restored.sentencepiece()->serialized(), t.sentencepiece()->serialized());
  EXPECT_EQ(restored.encode("the brown dog"), t.encode("the brown dog"));
  EXPECT_EQ(restored.token_bytes(restored.encode("the")[0]), t.token_bytes(t.encode("the")[0]));
}

TEST(SentencePiece, RefusesWhatIsNotAModel) {
  require_sentencepiece();
  testing::expect_invalid_argument(
      [] { Tokenizer::from_sentencepiece("this is not a protobuf", "tok.model"); },
      "tok.model: not a SentencePiece model");
  testing::expect_invalid_argument(
      [] {
        Tokenizer::from_json({{"kind", "sentencepiece"}, {"specials", 5}, {"model", "Zm9v"}});
      },
      "the checkpoint's tokenizer: not a SentencePiece model");
  const std::vector<std::string_view> few{"a b c", "a b"};
  SentencePieceTrainOptions o;
  o.vocab_size = 5000;
  o.byte_fallback = false;
  // The vocabulary size is a soft limit: a small text gives the pieces it has.
  const SentencePiece small(SentencePiece::train(few, o), "small");
  EXPECT_LT(small.size(), 20);
  testing::expect_invalid_argument([&] { SentencePiece::train({}, o); }, "no text to train on");
  o.model_type = "wordpiece";
  testing::expect_invalid_argument([&] { SentencePiece::train(few, o); },
                                   "tokenizer.model_type = 'wordpiece' is not valid");
}

}  // namespace
}  // namespace setformer::data

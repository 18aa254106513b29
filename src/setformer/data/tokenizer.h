// Tokenizers of the language models: UTF-8 bytes (ListOps and byte-level rows), a SentencePiece
// model (Kudo & Richardson 2018; unigram or BPE, trained on the user's text or loaded from a
// `.model` file; issue 40), or the byte-level BPE vocabulary (Sennrich et al. 2016; byte-level as
// GPT-2) of issue 7, which the committed SpamAssassin and MLM rows were trained with. Every kind
// puts the same five special tokens in front of its own; a tokenizer is saved as JSON with the
// model, so that inference uses the tokenizer training used.
#pragma once

#include "setformer/data/sentencepiece.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace setformer::data {

class Tokenizer {
 public:
  /// Special tokens, the same ids in every tokenizer.
  static constexpr int64_t kPad = 0, kCls = 1, kSep = 2, kMask = 3, kUnk = 4;
  static constexpr int64_t kSpecials = 5;
  /// Byte b is token kSpecials + b; merged tokens follow.
  static constexpr int64_t kBytes = 256;
  /// "[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]".
  static const char* special_name(int64_t id);

  /// The byte tokenizer: 5 specials and 256 bytes.
  Tokenizer();

  /// Learns BPE merges on `texts` until the vocabulary holds `vocab_size` tokens (or no pair
  /// occurs twice). Texts are first split into pre-tokens (pretokenize()), and merges never
  /// cross them. Deterministic: ties between equally frequent pairs go to the smallest pair of
  /// ids.
  static Tokenizer train_bpe(const std::vector<std::string>& texts, int64_t vocab_size);

  /// A SentencePiece model trained on `sentences`: SentencePiece's piece i is token
  /// kSpecials + i, so any `.model` file works unchanged behind the five specials.
  static Tokenizer train_sentencepiece(const std::vector<std::string_view>& sentences,
                                       const SentencePieceTrainOptions& options);
  /// A serialized SentencePiece model (the bytes of a `.model` file); `name` appears in errors.
  static Tokenizer from_sentencepiece(std::string serialized, const std::string& name);

  /// Pre-tokens: an optional leading space followed by a run of letters (ASCII letters and every
  /// byte of multi-byte UTF-8), of digits, or of other characters; any other whitespace byte is
  /// a pre-token of its own. Their concatenation is the text.
  static std::vector<std::string> pretokenize(const std::string& text);

  /// Token ids of `text` (no specials added).
  std::vector<int64_t> encode(const std::string& text) const;
  /// The text of `ids`; special tokens are skipped. decode(encode(t)) == t for every t (bytes and
  /// bpe); for sentencepiece, t after the model's normalisation (NFKC, spaces collapsed).
  std::string decode(const std::vector<int64_t>& ids) const;

  int64_t vocab_size() const;
  /// "bytes", "bpe" or "sentencepiece".
  std::string kind() const;
  /// The SentencePiece model, or nullptr for the other kinds.
  const SentencePiece* sentencepiece() const { return sentencepiece_.get(); }
  /// The merges in the order learned: merged token kSpecials + kBytes + i = merges[i].
  const std::vector<std::pair<int64_t, int64_t>>& merges() const { return merges_; }
  /// The bytes a token stands for ("" for specials; SentencePiece's "▁" as a space, its byte
  /// pieces as their byte, its control pieces as "").
  const std::string& token_bytes(int64_t id) const;

  nlohmann::json to_json() const;
  /// Throws std::invalid_argument naming the field when `j` is not a tokenizer's JSON.
  static Tokenizer from_json(const nlohmann::json& j);

 private:
  explicit Tokenizer(std::vector<std::pair<int64_t, int64_t>> merges);
  /// Applies the merges to one pre-token's bytes, lowest rank first.
  std::vector<int64_t> encode_piece(const std::string& piece) const;

  std::vector<std::pair<int64_t, int64_t>> merges_;
  std::map<std::pair<int64_t, int64_t>, int64_t> rank_;  // pair -> merge index
  std::vector<std::string> bytes_;                       // per id, filled by the ctor
  std::shared_ptr<const SentencePiece> sentencepiece_;
};

}  // namespace setformer::data

// SentencePiece (Kudo & Richardson 2018) through Debian's libsentencepiece: training a unigram or
// BPE model on sentences, and encoding and decoding with a serialized model. The library lives
// behind dlopen in libsetformer_sentencepiece.so (src/shims/sentencepiece_shim.h says why); this
// class is the only code that talks to it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace setformer::data {

struct SentencePieceTrainOptions {
  /// Pieces wanted; fewer when the text cannot fill them (a soft limit, as for small corpora).
  int64_t vocab_size = 8000;
  std::string model_type = "unigram";  // unigram | bpe
  /// Characters covered by the vocabulary; the rarest rest become bytes (byte_fallback) or
  /// unknown. SentencePiece's default; 1.0 for languages with small alphabets.
  double character_coverage = 0.9995;
  /// Characters outside the vocabulary are spelled as UTF-8 bytes (<0x41>), so that every text
  /// encodes without an unknown token and decodes back to its normalised form.
  bool byte_fallback = true;
  /// Sentences SentencePiece samples for training (0: all); sampling is seeded, so training is
  /// deterministic.
  int64_t input_sentence_size = 1000000;
  /// Longer sentences are skipped by the trainer (SentencePiece's default is 4192 bytes).
  int64_t max_sentence_length = 16384;
  int64_t threads = 1;
};

/// Throws std::invalid_argument naming the field.
void validate(const SentencePieceTrainOptions& options);

class SentencePiece {
 public:
  /// Whether libsetformer_sentencepiece.so was found (it is built when CMake finds SentencePiece).
  static bool available();
  /// Where the library is looked for, in order: $SETFORMER_SENTENCEPIECE_LIBRARY, next to the
  /// running executable, the build folder it was compiled in.
  static std::vector<std::string> library_candidates();

  /// Trains a model on `sentences` and returns it serialized (the bytes of a `.model` file).
  /// Throws std::runtime_error with SentencePiece's message when training fails (e.g. a
  /// vocabulary larger than the text allows).
  static std::string train(const std::vector<std::string_view>& sentences,
                           const SentencePieceTrainOptions& options);

  /// Loads a serialized model. Throws std::invalid_argument naming `name` when the bytes are not a
  /// SentencePiece model.
  SentencePiece(std::string serialized, const std::string& name);

  int32_t size() const;
  /// The piece's text as SentencePiece writes it ("▁the", "<0x0A>", "<unk>").
  std::string piece(int32_t id) const;
  /// Its score: log probability (unigram) or minus its merge rank (BPE).
  float score(int32_t id) const;
  bool is_control_or_unknown(int32_t id) const;
  bool is_byte(int32_t id) const;
  std::vector<int32_t> encode(std::string_view text) const;
  std::string decode(const std::vector<int32_t>& ids) const;
  /// The model as it was loaded, for storing with a checkpoint.
  const std::string& serialized() const { return serialized_; }

 private:
  std::string serialized_;
  std::shared_ptr<void> processor_;
};

}  // namespace setformer::data

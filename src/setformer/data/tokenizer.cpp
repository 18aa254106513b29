#include "setformer/data/tokenizer.h"

#include "setformer/core/error.h"
#include "setformer/io/base64.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <queue>
#include <tuple>
#include <unordered_map>

namespace setformer::data {

namespace {

enum class CharClass { letter, digit, other, space };

CharClass classify(unsigned char c) {
  if (c >= 0x80 || std::isalpha(c)) return CharClass::letter;  // multi-byte UTF-8 stays whole
  if (std::isdigit(c)) return CharClass::digit;
  if (std::isspace(c)) return CharClass::space;
  return CharClass::other;
}

uint64_t key(int64_t a, int64_t b) {
  return (static_cast<uint64_t>(a) << 32) | static_cast<uint64_t>(b);
}

}  // namespace

Tokenizer::Tokenizer() : Tokenizer(std::vector<std::pair<int64_t, int64_t>>{}) {}

const char* Tokenizer::special_name(int64_t id) {
  static constexpr const char* names[] = {"[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]"};
  SETFORMER_CHECK(id >= 0 && id < kSpecials, "token {} is not a special token", id);
  return names[id];
}

int64_t Tokenizer::vocab_size() const {
  if (sentencepiece_) return kSpecials + sentencepiece_->size();
  return kSpecials + kBytes + static_cast<int64_t>(merges_.size());
}

std::string Tokenizer::kind() const {
  if (sentencepiece_) return "sentencepiece";
  return merges_.empty() ? "bytes" : "bpe";
}

Tokenizer Tokenizer::train_sentencepiece(const std::vector<std::string_view>& sentences,
                                         const SentencePieceTrainOptions& options) {
  return from_sentencepiece(SentencePiece::train(sentences, options), "the trained model");
}

Tokenizer Tokenizer::from_sentencepiece(std::string serialized, const std::string& name) {
  Tokenizer t;
  t.sentencepiece_ = std::make_shared<const SentencePiece>(std::move(serialized), name);
  const auto& sp = *t.sentencepiece_;
  t.bytes_.assign(static_cast<size_t>(kSpecials), "");
  for (int32_t i = 0; i < sp.size(); ++i) {
    std::string piece = sp.piece(i);
    if (sp.is_control_or_unknown(i)) {
      piece.clear();
    } else if (sp.is_byte(i) && piece.size() == 6) {  // "<0x41>"
      piece = std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
    } else {
      static const std::string space = "\xe2\x96\x81";  // U+2581, SentencePiece's word boundary
      for (size_t at = piece.find(space); at != std::string::npos; at = piece.find(space, at))
        piece.replace(at, space.size(), " ");
    }
    t.bytes_.push_back(std::move(piece));
  }
  return t;
}

Tokenizer::Tokenizer(std::vector<std::pair<int64_t, int64_t>> merges) : merges_(std::move(merges)) {
  bytes_.resize(static_cast<size_t>(kSpecials + kBytes));
  for (int64_t b = 0; b < kBytes; ++b)
    bytes_[static_cast<size_t>(kSpecials + b)] = std::string(1, static_cast<char>(b));
  for (size_t i = 0; i < merges_.size(); ++i) {
    const auto [a, b] = merges_[i];
    const int64_t id = kSpecials + kBytes + static_cast<int64_t>(i);
    SETFORMER_CHECK(a >= kSpecials && a < id && b >= kSpecials && b < id,
                    "tokenizer merge {} = ({}, {}) refers to a token that is special or not yet "
                    "defined",
                    i, a, b);
    SETFORMER_CHECK(rank_.emplace(merges_[i], static_cast<int64_t>(i)).second,
                    "tokenizer merge {} = ({}, {}) repeats an earlier merge", i, a, b);
    bytes_.push_back(bytes_[static_cast<size_t>(a)] + bytes_[static_cast<size_t>(b)]);
  }
}

std::vector<std::string> Tokenizer::pretokenize(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t start = i;
    // A space directly before a non-space run belongs to it.
    if (c == ' ' && i + 1 < text.size() &&
        classify(static_cast<unsigned char>(text[i + 1])) != CharClass::space) {
      ++i;
    } else if (classify(c) == CharClass::space) {
      out.push_back(text.substr(i, 1));
      ++i;
      continue;
    }
    const auto cls = classify(static_cast<unsigned char>(text[i]));
    while (i < text.size() && classify(static_cast<unsigned char>(text[i])) == cls) ++i;
    out.push_back(text.substr(start, i - start));
  }
  return out;
}

Tokenizer Tokenizer::train_bpe(const std::vector<std::string>& texts, int64_t vocab_size) {
  SETFORMER_CHECK(vocab_size >= kSpecials + kBytes,
                  "tokenizer vocab_size must be >= {} (specials and bytes), got {}",
                  kSpecials + kBytes, vocab_size);
  // Distinct pre-tokens with their frequencies, as symbol sequences.
  std::unordered_map<std::string, int64_t> frequency;
  for (const auto& t : texts)
    for (auto& piece : pretokenize(t)) ++frequency[piece];
  std::vector<std::pair<std::string, int64_t>> sorted(frequency.begin(), frequency.end());
  std::sort(sorted.begin(), sorted.end());  // deterministic word order
  std::vector<std::vector<int64_t>> words;
  std::vector<int64_t> counts;
  for (const auto& [piece, n] : sorted) {
    std::vector<int64_t> symbols;
    for (const unsigned char c : piece) symbols.push_back(kSpecials + c);
    words.push_back(std::move(symbols));
    counts.push_back(n);
  }
  // Pair counts, the words each pair occurs in (possibly stale), and a max-heap of
  // (count, -a, -b) entries checked against the current counts when popped.
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<int32_t>> where;
  using Entry = std::tuple<int64_t, int64_t, int64_t>;
  std::priority_queue<Entry> heap;
  const auto add_pairs = [&](int32_t w, int64_t sign, std::vector<uint64_t>& touched) {
    const auto& s = words[static_cast<size_t>(w)];
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const auto k = key(s[i], s[i + 1]);
      pair_count[k] += sign * counts[static_cast<size_t>(w)];
      if (sign > 0) where[k].push_back(w);
      touched.push_back(k);
    }
  };
  std::vector<uint64_t> touched;
  for (int32_t w = 0; w < static_cast<int32_t>(words.size()); ++w) add_pairs(w, +1, touched);
  for (const auto& [k, n] : pair_count)
    heap.emplace(n, -static_cast<int64_t>(k >> 32), -static_cast<int64_t>(k & 0xFFFFFFFFu));

  std::vector<std::pair<int64_t, int64_t>> merges;
  while (kSpecials + kBytes + static_cast<int64_t>(merges.size()) < vocab_size && !heap.empty()) {
    const auto [n, na, nb] = heap.top();
    heap.pop();
    const int64_t a = -na, b = -nb;
    const auto k = key(a, b);
    const auto it = pair_count.find(k);
    if (it == pair_count.end() || it->second != n) continue;  // a stale entry
    if (n < 2) break;  // merging a pair seen once learns nothing
    const int64_t id = kSpecials + kBytes + static_cast<int64_t>(merges.size());
    merges.emplace_back(a, b);
    touched.clear();
    auto occurrences = std::move(where[k]);
    where.erase(k);
    std::sort(occurrences.begin(), occurrences.end());
    occurrences.erase(std::unique(occurrences.begin(), occurrences.end()), occurrences.end());
    for (const int32_t w : occurrences) {
      auto& s = words[static_cast<size_t>(w)];
      bool contains = false;
      for (size_t i = 0; i + 1 < s.size() && !contains; ++i) contains = s[i] == a && s[i + 1] == b;
      if (!contains) continue;
      add_pairs(w, -1, touched);
      std::vector<int64_t> merged;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          merged.push_back(id);
          ++i;
        } else {
          merged.push_back(s[i]);
        }
      }
      s = std::move(merged);
      add_pairs(w, +1, touched);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const auto t : touched) {
      const auto c = pair_count[t];
      if (c > 0)
        heap.emplace(c, -static_cast<int64_t>(t >> 32), -static_cast<int64_t>(t & 0xFFFFFFFFu));
    }
  }
  return Tokenizer(std::move(merges));
}

std::vector<int64_t> Tokenizer::encode_piece(const std::string& piece) const {
  std::vector<int64_t> s;
  for (const unsigned char c : piece) s.push_back(kSpecials + c);
  while (s.size() > 1) {
    int64_t best = -1;
    std::pair<int64_t, int64_t> best_pair;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const auto it = rank_.find({s[i], s[i + 1]});
      if (it != rank_.end() && (best < 0 || it->second < best)) {
        best = it->second;
        best_pair = it->first;
      }
    }
    if (best < 0) break;
    std::vector<int64_t> merged;
    for (size_t i = 0; i < s.size(); ++i) {
      if (i + 1 < s.size() && s[i] == best_pair.first && s[i + 1] == best_pair.second) {
        merged.push_back(kSpecials + kBytes + best);
        ++i;
      } else {
        merged.push_back(s[i]);
      }
    }
    s = std::move(merged);
  }
  return s;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
  if (sentencepiece_) {
    std::vector<int64_t> ids;
    for (const int32_t id : sentencepiece_->encode(text)) ids.push_back(kSpecials + id);
    return ids;
  }
  std::vector<int64_t> out;
  out.reserve(text.size());
  if (merges_.empty()) {
    for (const unsigned char c : text) out.push_back(kSpecials + c);
    return out;
  }
  for (const auto& piece : pretokenize(text)) {
    const auto ids = encode_piece(piece);
    out.insert(out.end(), ids.begin(), ids.end());
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
  if (sentencepiece_) {
    std::vector<int32_t> pieces;
    for (const int64_t id : ids)
      if (id >= kSpecials && id < vocab_size())
        pieces.push_back(static_cast<int32_t>(id - kSpecials));
    return sentencepiece_->decode(pieces);
  }
  std::string out;
  for (const auto id : ids) {
    SETFORMER_CHECK(id >= 0 && id < vocab_size(), "token id {} is outside the vocabulary [0, {})",
                    id, vocab_size());
    out += bytes_[static_cast<size_t>(id)];
  }
  return out;
}

const std::string& Tokenizer::token_bytes(int64_t id) const {
  SETFORMER_CHECK(id >= 0 && id < vocab_size(), "token id {} is outside the vocabulary [0, {})", id,
                  vocab_size());
  return bytes_[static_cast<size_t>(id)];
}

nlohmann::json Tokenizer::to_json() const {
  if (sentencepiece_)
    return {{"kind", kind()},
            {"specials", kSpecials},
            {"model", io::base64_encode(sentencepiece_->serialized())}};
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& [a, b] : merges_) merges.push_back({a, b});
  return {{"kind", kind()}, {"specials", kSpecials}, {"merges", merges}};
}

Tokenizer Tokenizer::from_json(const nlohmann::json& j) {
  SETFORMER_CHECK(j.is_object() && j.contains("kind") && j["kind"].is_string(),
                  "tokenizer: expected an object with a string field 'kind'");
  const auto kind = j["kind"].get<std::string>();
  SETFORMER_CHECK(kind == "bytes" || kind == "bpe" || kind == "sentencepiece",
                  "tokenizer kind = '{}' is not bytes, bpe or sentencepiece", kind);
  SETFORMER_CHECK(j.value("specials", int64_t{-1}) == kSpecials,
                  "tokenizer specials = {} does not match this build's {}", j.value("specials", -1),
                  kSpecials);
  if (kind == "sentencepiece") {
    SETFORMER_CHECK(j.contains("model") && j["model"].is_string(),
                    "tokenizer: a sentencepiece tokenizer needs its model as a base64 string");
    return from_sentencepiece(io::base64_decode(j["model"].get<std::string>(), "tokenizer model"),
                              "the checkpoint's tokenizer");
  }
  std::vector<std::pair<int64_t, int64_t>> merges;
  if (j.contains("merges")) {
    SETFORMER_CHECK(j["merges"].is_array(), "tokenizer merges must be an array of id pairs");
    for (const auto& m : j["merges"]) {
      SETFORMER_CHECK(
          m.is_array() && m.size() == 2 && m[0].is_number_integer() && m[1].is_number_integer(),
          "tokenizer merges must be an array of id pairs, got {}", m.dump());
      merges.emplace_back(m[0].get<int64_t>(), m[1].get<int64_t>());
    }
  }
  SETFORMER_CHECK((kind == "bytes") == merges.empty(), "tokenizer kind = '{}' with {} merges", kind,
                  merges.size());
  return Tokenizer(std::move(merges));
}

}  // namespace setformer::data

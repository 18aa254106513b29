#include "setformer/data/sentencepiece.h"

#include "shims/sentencepiece_shim.h"

#include <fmt/format.h>

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace setformer::data {

namespace {

constexpr const char* kLibrary = "libsetformer_sentencepiece.so";

/// The shim's functions, resolved once.
struct Api {
  decltype(&setformer_sp_train) train = nullptr;
  decltype(&setformer_sp_load) load = nullptr;
  decltype(&setformer_sp_free) free = nullptr;
  decltype(&setformer_sp_size) size = nullptr;
  decltype(&setformer_sp_type) type = nullptr;
  decltype(&setformer_sp_piece) piece = nullptr;
  decltype(&setformer_sp_score) score = nullptr;
  decltype(&setformer_sp_encode) encode = nullptr;
  decltype(&setformer_sp_decode) decode = nullptr;
  std::string error;  // why the library is unavailable
};

template <class F>
void resolve(void* handle, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(handle, name));
  if (!f) throw std::runtime_error(fmt::format("{} lacks {}", kLibrary, name));
}

Api open_api() {
  Api api;
  std::vector<std::string> tried;
  for (const auto& path : SentencePiece::library_candidates()) {
    if (!std::filesystem::exists(path)) {
      tried.push_back(path + " (missing)");
      continue;
    }
    // DEEPBIND: the library's protobuf references bind to SentencePiece's own copy, not to the
    // system protobuf LibTorch has loaded (the shim's header says why).
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) {
      tried.push_back(fmt::format("{} ({})", path, dlerror()));
      continue;
    }
    try {
      decltype(&setformer_sp_abi) abi = nullptr;
      resolve(handle, "setformer_sp_abi", abi);
      if (abi() != SETFORMER_SP_ABI)
        throw std::runtime_error(fmt::format("{} has interface version {}, this build needs {}",
                                             path, abi(), SETFORMER_SP_ABI));
      resolve(handle, "setformer_sp_train", api.train);
      resolve(handle, "setformer_sp_load", api.load);
      resolve(handle, "setformer_sp_free", api.free);
      resolve(handle, "setformer_sp_size", api.size);
      resolve(handle, "setformer_sp_type", api.type);
      resolve(handle, "setformer_sp_piece", api.piece);
      resolve(handle, "setformer_sp_score", api.score);
      resolve(handle, "setformer_sp_encode", api.encode);
      resolve(handle, "setformer_sp_decode", api.decode);
      return api;  // the handle stays open for the life of the process
    } catch (const std::exception& e) {
      tried.push_back(e.what());
      dlclose(handle);
      api = Api();
    }
  }
  api.error = fmt::format(
      "SentencePiece is not available: {} was not found or not loadable (tried {}). Install "
      "libsentencepiece-dev (scripts/setup.sh does) and rebuild, or set "
      "SETFORMER_SENTENCEPIECE_LIBRARY to the library's path",
      kLibrary, fmt::join(tried, "; "));
  return api;
}

const Api& api() {
  static const Api instance = open_api();
  return instance;
}

const Api& loaded_api() {
  const auto& a = api();
  if (!a.train) throw std::runtime_error(a.error);
  return a;
}

void append(void* context, const char* data, size_t size) {
  static_cast<std::string*>(context)->append(data, size);
}

/// A text sink and an error sink for one call: the shim sends one or the other.
struct Sinks {
  std::string out, error;
  static void to_out(void* c, const char* d, size_t n) {
    append(&static_cast<Sinks*>(c)->out, d, n);
  }
  static void to_error(void* c, const char* d, size_t n) {
    append(&static_cast<Sinks*>(c)->error, d, n);
  }
};

}  // namespace

void validate(const SentencePieceTrainOptions& o) {
  if (o.vocab_size < 8)
    throw std::invalid_argument(
        fmt::format("tokenizer.vocab_size must be >= 8, got {}", o.vocab_size));
  if (o.model_type != "unigram" && o.model_type != "bpe")
    throw std::invalid_argument(fmt::format(
        "tokenizer.model_type = '{}' is not valid; expected unigram | bpe", o.model_type));
  if (!(o.character_coverage > 0 && o.character_coverage <= 1))
    throw std::invalid_argument(fmt::format(
        "tokenizer.character_coverage must be in (0, 1], got {}", o.character_coverage));
  if (o.input_sentence_size < 0)
    throw std::invalid_argument("tokenizer.input_sentence_size must be >= 0 (0: all)");
  if (o.max_sentence_length < 1)
    throw std::invalid_argument("tokenizer.max_sentence_length must be >= 1");
  if (o.threads < 1) throw std::invalid_argument("tokenizer threads must be >= 1");
}

bool SentencePiece::available() {
  return api().train != nullptr;
}

std::vector<std::string> SentencePiece::library_candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("SETFORMER_SENTENCEPIECE_LIBRARY"); env && *env)
    out.push_back(env);
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back((exe.parent_path() / kLibrary).string());
#ifdef SETFORMER_SHIM_DIR
  out.push_back(std::string(SETFORMER_SHIM_DIR) + "/" + kLibrary);
#endif
  return out;
}

std::string SentencePiece::train(const std::vector<std::string_view>& sentences,
                                 const SentencePieceTrainOptions& o) {
  validate(o);
  const auto& a = loaded_api();
  if (sentences.empty()) throw std::invalid_argument("SentencePiece training: no text to train on");
  // The trainer's own specials stay out of the way: setformer puts [PAD], [CLS], [SEP], [MASK] and
  // [UNK] in front of the model's pieces (tokenizer.h), so only SentencePiece's <unk> remains.
  const std::vector<std::pair<std::string, std::string>> flags{
      {"vocab_size", std::to_string(o.vocab_size)},
      {"model_type", o.model_type},
      {"character_coverage", fmt::format("{}", o.character_coverage)},
      {"byte_fallback", o.byte_fallback ? "true" : "false"},
      {"input_sentence_size", std::to_string(o.input_sentence_size)},
      {"shuffle_input_sentence", "true"},
      {"max_sentence_length", std::to_string(o.max_sentence_length)},
      {"num_threads", std::to_string(o.threads)},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"pad_id", "-1"},
      {"unk_id", "0"},
      {"hard_vocab_limit", "false"}};
  std::vector<const char*> args;
  for (const auto& [k, v] : flags) {
    args.push_back(k.c_str());
    args.push_back(v.c_str());
  }
  std::vector<const char*> data;
  std::vector<size_t> sizes;
  data.reserve(sentences.size());
  sizes.reserve(sentences.size());
  for (const auto& s : sentences) {
    data.push_back(s.data());
    sizes.push_back(s.size());
  }
  Sinks sinks;
  if (a.train(args.data(), flags.size(), data.data(), sizes.data(), data.size(), Sinks::to_out,
              Sinks::to_error, &sinks) != 0)
    throw std::runtime_error("SentencePiece training failed: " + sinks.error);
  return sinks.out;
}

SentencePiece::SentencePiece(std::string serialized, const std::string& name)
    : serialized_(std::move(serialized)) {
  const auto& a = loaded_api();
  Sinks sinks;
  void* p = a.load(serialized_.data(), serialized_.size(), Sinks::to_error, &sinks);
  if (!p)
    throw std::invalid_argument(
        fmt::format("{}: not a SentencePiece model ({})", name, sinks.error));
  processor_ = std::shared_ptr<void>(p, a.free);
  if (size() < 1)
    throw std::invalid_argument(fmt::format("{}: a SentencePiece model with no pieces", name));
}

int32_t SentencePiece::size() const {
  return api().size(processor_.get());
}

std::string SentencePiece::piece(int32_t id) const {
  Sinks sinks;
  api().piece(processor_.get(), id, Sinks::to_out, &sinks);
  return sinks.out;
}

float SentencePiece::score(int32_t id) const {
  return api().score(processor_.get(), id);
}

bool SentencePiece::is_control_or_unknown(int32_t id) const {
  const int32_t t = api().type(processor_.get(), id);
  return t == 1 || t == 2;
}

bool SentencePiece::is_byte(int32_t id) const {
  return api().type(processor_.get(), id) == 4;
}

std::vector<int32_t> SentencePiece::encode(std::string_view text) const {
  struct Out {
    std::vector<int32_t> ids;
    std::string error;
  } out;
  const auto ids = [](void* c, const int32_t* d, size_t n) {
    static_cast<Out*>(c)->ids.assign(d, d + n);
  };
  const auto error = [](void* c, const char* d, size_t n) {
    static_cast<Out*>(c)->error.assign(d, n);
  };
  if (api().encode(processor_.get(), text.data(), text.size(), ids, error, &out) != 0)
    throw std::runtime_error("SentencePiece encoding failed: " + out.error);
  return out.ids;
}

std::string SentencePiece::decode(const std::vector<int32_t>& ids) const {
  Sinks sinks;
  if (api().decode(processor_.get(), ids.data(), ids.size(), Sinks::to_out, Sinks::to_error,
                   &sinks) != 0)
    throw std::runtime_error("SentencePiece decoding failed: " + sinks.error);
  return sinks.out;
}

}  // namespace setformer::data

#include "shims/sentencepiece_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace {

using sentencepiece::SentencePieceProcessor;

/// Sentences handed over by the caller, read in place.
class Sentences : public sentencepiece::SentenceIterator {
 public:
  Sentences(const char* const* data, const size_t* sizes, size_t count)
      : data_(data), sizes_(sizes), count_(count) {
    load();
  }
  bool done() const override { return index_ >= count_; }
  void Next() override {
    ++index_;
    load();
  }
  const std::string& value() const override { return current_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void load() {
    if (index_ < count_) current_.assign(data_[index_], sizes_[index_]);
  }
  const char* const* data_;
  const size_t* sizes_;
  size_t count_;
  size_t index_ = 0;
  std::string current_;
};

void send(setformer_sp_bytes sink, void* context, const std::string& s) {
  sink(context, s.data(), s.size());
}

const SentencePieceProcessor& processor(const void* p) {
  return *static_cast<const SentencePieceProcessor*>(p);
}

}  // namespace

extern "C" {

int setformer_sp_abi(void) {
  return SETFORMER_SP_ABI;
}

int setformer_sp_train(const char* const* args, size_t count_args, const char* const* sentences,
                       const size_t* sizes, size_t count, setformer_sp_bytes model,
                       setformer_sp_bytes error, void* context) {
  try {
    std::unordered_map<std::string, std::string> kwargs;
    for (size_t i = 0; i + 1 < 2 * count_args; i += 2) kwargs[args[i]] = args[i + 1];
    // Only fatal messages (which abort anyway): see the header.
    kwargs["minloglevel"] = "3";
    Sentences it(sentences, sizes, count);
    std::string bytes;
    const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs, &it, &bytes);
    if (!status.ok()) {
      send(error, context, status.ToString());
      return 1;
    }
    send(model, context, bytes);
    return 0;
  } catch (const std::exception& e) {
    send(error, context, e.what());
    return 1;
  }
}

void* setformer_sp_load(const char* data, size_t size, setformer_sp_bytes error, void* context) {
  auto* p = new SentencePieceProcessor();
  const auto status = p->LoadFromSerializedProto(std::string(data, size));
  if (!status.ok()) {
    send(error, context, status.ToString());
    delete p;
    return nullptr;
  }
  return p;
}

void setformer_sp_free(void* p) {
  delete static_cast<SentencePieceProcessor*>(p);
}

int32_t setformer_sp_size(const void* p) {
  return processor(p).GetPieceSize();
}

int32_t setformer_sp_type(const void* p, int32_t id) {
  const auto& sp = processor(p);
  if (sp.IsUnknown(id)) return 1;
  if (sp.IsControl(id)) return 2;
  if (sp.IsByte(id)) return 4;
  if (sp.IsUnused(id)) return 5;
  return 0;
}

float setformer_sp_score(const void* p, int32_t id) {
  return processor(p).GetScore(id);
}

void setformer_sp_piece(const void* p, int32_t id, setformer_sp_bytes out, void* context) {
  send(out, context, processor(p).IdToPiece(id));
}

int setformer_sp_encode(const void* p, const char* text, size_t size, setformer_sp_ids out,
                        setformer_sp_bytes error, void* context) {
  std::vector<int> ids;
  const auto status = processor(p).Encode(absl::string_view(text, size), &ids);
  if (!status.ok()) {
    send(error, context, status.ToString());
    return 1;
  }
  static_assert(sizeof(int) == sizeof(int32_t), "SentencePiece ids are int");
  out(context, reinterpret_cast<const int32_t*>(ids.data()), ids.size());
  return 0;
}

int setformer_sp_decode(const void* p, const int32_t* ids, size_t count, setformer_sp_bytes out,
                        setformer_sp_bytes error, void* context) {
  std::string text;
  const std::vector<int> v(ids, ids + count);
  const auto status = processor(p).Decode(v, &text);
  if (!status.ok()) {
    send(error, context, status.ToString());
    return 1;
  }
  send(out, context, text);
  return 0;
}

}  // extern "C"

// The C interface of libsetformer_sentencepiece.so, the one place that links SentencePiece.
//
// Why a separate library behind dlopen: Debian's libsentencepiece carries its own copy of
// protobuf-lite 3.14, while LibTorch (through ONNX) loads the system's libprotobuf 3.21. Linked
// into one process the two share symbol names, and the first static initialiser that runs
// crashes before main. Loaded with RTLD_LOCAL | RTLD_DEEPBIND, this library and SentencePiece
// resolve protobuf to their own copy. Only plain C types cross the boundary; strings and id
// lists come back through the caller's sink functions, so neither side frees the other's memory.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Receives a byte string (a model, an error message, a decoded text, a piece).
typedef void (*setformer_sp_bytes)(void* context, const char* data, size_t size);
/// Receives token ids.
typedef void (*setformer_sp_ids)(void* context, const int32_t* ids, size_t count);

/// Bumped whenever a signature below changes; the loader refuses another version.
#define SETFORMER_SP_ABI 1
int setformer_sp_abi(void);

/// Trains a model with SentencePieceTrainer on `count` sentences; `args` holds `count_args` pairs
/// of a trainer flag and its value ("vocab_size", "8000"). Returns 0 and sends the serialized
/// model to `model`, or returns 1 and sends the error to `error`. SentencePiece's log is off:
/// under RTLD_DEEPBIND its writes to std::cerr would reach a stream the executable never
/// initialised (the executable holds the live copy).
int setformer_sp_train(const char* const* args, size_t count_args, const char* const* sentences,
                       const size_t* sizes, size_t count, setformer_sp_bytes model,
                       setformer_sp_bytes error, void* context);

/// A processor for the serialized model `data`, or NULL with the reason sent to `error`.
void* setformer_sp_load(const char* data, size_t size, setformer_sp_bytes error, void* context);
void setformer_sp_free(void* processor);
int32_t setformer_sp_size(const void* processor);
/// 0 normal (or user-defined), 1 unknown, 2 control, 4 byte, 5 unused.
int32_t setformer_sp_type(const void* processor, int32_t id);
/// The piece's score: its log probability in a unigram model, minus its merge rank in BPE.
float setformer_sp_score(const void* processor, int32_t id);
void setformer_sp_piece(const void* processor, int32_t id, setformer_sp_bytes out, void* context);
/// Returns 0, or 1 with the error sent to `error` (out is not called then).
int setformer_sp_encode(const void* processor, const char* text, size_t size, setformer_sp_ids out,
                        setformer_sp_bytes error, void* context);
int setformer_sp_decode(const void* processor, const int32_t* ids, size_t count,
                        setformer_sp_bytes out, setformer_sp_bytes error, void* context);

#ifdef __cplusplus
}
#endif

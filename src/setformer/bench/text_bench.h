// The tokenizer and loader benchmark behind `setformer bench text` (issue 40): tokens per second
// of SentencePiece encoding in setformer (through its shim library) side by side with the same
// model in Python's `sentencepiece` package (bench/sentencepiece_peer.py, the call a PyTorch user
// would otherwise make), of the byte tokenizer, and of the training loop's batch-making (sampling
// encoded texts, [CLS]/[SEP] and padding) at a batch size and length. The rows take turns round by
// round and the median over rounds is reported.
#pragma once

#include "setformer/bench/stats.h"
#include "setformer/io/table.h"
#include "setformer/tasks/language.h"

#include <functional>
#include <string>
#include <vector>

namespace setformer::bench {

struct TextBenchOptions {
  /// The texts (tokenizer.corpora, or data.corpora's training splits) and, without `model`,
  /// the SentencePiece settings of the model trained on them first.
  tasks::LanguageExperimentConfig config;
  std::string model;  // a .model file; empty: train one on the texts
  int64_t rounds = 3;
  int64_t batch = 16, length = 1024;
  std::string python = "/usr/bin/python3";  // "" : no peer
  std::string peer_script = "bench/sentencepiece_peer.py";
};

struct TextBenchRow {
  std::string name;
  Spread tokens_per_second;
  std::string peer_error;  // why the peer did not run, if it did not
};

struct TextBenchResult {
  TextBenchOptions options;
  int64_t texts = 0, bytes = 0, tokens = 0;  // tokens: SentencePiece's
  double train_seconds = 0;                  // training the model (0 when given)
  std::vector<TextBenchRow> rows;
};

TextBenchResult run_text_bench(const TextBenchOptions& options,
                               const std::function<void(const std::string&)>& print);

/// | row | tokens/s | min–max | vs setformer SentencePiece |
io::Table text_bench_table(const TextBenchResult& result);

/// <prefix>.md and <prefix>.json, each written atomically.
void write_text_bench_outputs(const TextBenchResult& result, const std::string& prefix,
                              const std::string& command);

}  // namespace setformer::bench

#include "setformer/bench/text_bench.h"

#include "setformer/bench/report.h"
#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/data/text_batches.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>

namespace setformer::bench {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TextBenchResult run_text_bench(const TextBenchOptions& o,
                               const std::function<void(const std::string&)>& print) {
  SETFORMER_CHECK(o.rounds >= 1 && o.batch >= 1 && o.length >= 3,
                  "bench text: --rounds and --batch must be >= 1, --length >= 3");
  TextBenchResult r;
  r.options = o;
  const auto texts = tasks::tokenizer_training_texts(o.config);
  r.texts = static_cast<int64_t>(texts.size());
  for (const auto& t : texts) r.bytes += static_cast<int64_t>(t.size());
  // The model: the one given, or one trained here (written to a temporary file for the peer).
  auto model_path = o.model;
  data::Tokenizer sp;
  if (o.model.empty()) {
    auto c = o.config;
    c.tokenizer = "sentencepiece";
    const auto start = std::chrono::steady_clock::now();
    sp = tasks::build_tokenizer(c, print);
    r.train_seconds = seconds_since(start);
    model_path = (std::filesystem::temp_directory_path() / "setformer_bench_text.model").string();
    write_file_atomic(model_path, sp.sentencepiece()->serialized());
  } else {
    sp = data::Tokenizer::from_sentencepiece(read_file(o.model), o.model);
  }
  const auto texts_path =
      (std::filesystem::temp_directory_path() / "setformer_bench_text.jsonl").string();
  {
    std::string jsonl;
    for (const auto& t : texts)
      jsonl +=
          nlohmann::json(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    write_file_atomic(texts_path, jsonl);
  }
  // Encoded once for the batch row: [CLS] text [SEP], cut to the length.
  data::EncodedExamples encoded;
  for (const auto& t : texts) {
    const auto ids = sp.encode(t);
    r.tokens += static_cast<int64_t>(ids.size());
    auto [pair, first] = data::encode_pair(ids, nullptr, o.length);
    encoded.ids.push_back(std::move(pair));
    encoded.first.push_back(first);
    encoded.targets.push_back(0);
  }
  int64_t batch_tokens = 0;
  for (const auto& ids : encoded.ids) batch_tokens += static_cast<int64_t>(ids.size());
  const data::Tokenizer bytes;

  std::vector<std::vector<double>> rates(4);
  std::string peer_error = o.python.empty() ? "no --python" : "";
  for (int64_t round = 0; round < o.rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    int64_t n = 0;
    for (const auto& t : texts) n += static_cast<int64_t>(sp.encode(t).size());
    rates[0].push_back(static_cast<double>(n) / seconds_since(start));
    if (peer_error.empty()) {
      try {
        const auto j = run_peer(fmt::format("'{}' '{}' --model '{}' --texts '{}'", o.python,
                                            o.peer_script, model_path, texts_path),
                                o.peer_script);
        rates[1].push_back(j.at("tokens").get<double>() / j.at("seconds").get<double>());
      } catch (const std::exception& e) {
        peer_error = e.what();
        print("peer: " + peer_error);
      }
    }
    start = std::chrono::steady_clock::now();
    n = 0;
    for (const auto& t : texts) n += static_cast<int64_t>(bytes.encode(t).size());
    rates[2].push_back(static_cast<double>(n) / seconds_since(start));
    // Every encoded text once, in batches, as the training loop assembles them.
    start = std::chrono::steady_clock::now();
    const auto count = static_cast<int64_t>(encoded.ids.size());
    for (int64_t first = 0; first < count; first += o.batch) {
      std::vector<int64_t> indices;
      for (int64_t i = first; i < std::min(count, first + o.batch); ++i) indices.push_back(i);
      const auto b = data::pair_batch(encoded, indices, false);
      (void)b;
    }
    rates[3].push_back(static_cast<double>(batch_tokens) / seconds_since(start));
    print(fmt::format(
        "round {}/{}: SentencePiece {:.0f} tokens/s{}", round + 1, o.rounds, rates[0].back(),
        rates[1].empty() ? std::string() : fmt::format(", Python {:.0f}", rates[1].back())));
  }
  const std::vector<std::string> names{
      "SentencePiece encode, setformer (shim library)",
      "SentencePiece encode, Python sentencepiece (same model)", "bytes encode, setformer",
      fmt::format("training batches of {} x {} tokens, setformer", o.batch, o.length)};
  for (size_t i = 0; i < names.size(); ++i) {
    TextBenchRow row;
    row.name = names[i];
    if (i == 1 && rates[1].empty()) {
      row.peer_error = peer_error;
    } else {
      row.tokens_per_second = spread(rates[i]);
    }
    r.rows.push_back(row);
  }
  return r;
}

io::Table text_bench_table(const TextBenchResult& r) {
  io::Table t;
  t.columns = {"row", "tokens/s", "min–max", "vs setformer SentencePiece"};
  const double base = r.rows.front().tokens_per_second.median;
  for (const auto& row : r.rows) {
    if (!row.peer_error.empty()) {
      auto why = row.peer_error.substr(0, 120);
      std::replace(why.begin(), why.end(), '\n', ' ');  // one table row
      t.add({row.name, "—", "—", "did not run: " + why});
      continue;
    }
    const auto& s = row.tokens_per_second;
    t.add({row.name, fmt::format("{:.3g} M", s.median / 1e6),
           fmt::format("{:.3g}–{:.3g} M", s.min / 1e6, s.max / 1e6),
           fmt::format("{:.2f}x", s.median / base)});
  }
  return t;
}

void write_text_bench_outputs(const TextBenchResult& r, const std::string& prefix,
                              const std::string& command) {
  const auto& o = r.options;
  const auto setup = fmt::format(
      "{} texts ({:.1f} MB, {} SentencePiece tokens) from {}; {}; one thread; median over {} "
      "rounds (min–max beside it), the rows taking turns. Batches: every encoded text once, as "
      "[CLS] text [SEP] cut to {} tokens, padded per batch of {}; tokens counted without padding",
      r.texts, static_cast<double>(r.bytes) / 1e6, r.tokens,
      o.config.tokenizer_corpora.empty()
          ? fmt::format("{}", fmt::join(o.config.corpora, ", "))
          : fmt::format("{}", fmt::join(o.config.tokenizer_corpora, ", ")),
      o.model.empty() ? fmt::format("a SentencePiece {} model of {} pieces trained on them in "
                                    "{:.1f} s",
                                    o.config.model_type, o.config.vocab_size, r.train_seconds)
                      : "the model " + o.model,
      o.rounds, o.length, o.batch);
  write_bench_markdown(prefix, command, setup, text_bench_table(r));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    rows.push_back({{"row", row.name},
                    {"tokens_per_second", row.tokens_per_second.median},
                    {"min", row.tokens_per_second.min},
                    {"max", row.tokens_per_second.max},
                    {"peer_error", row.peer_error}});
  }
  write_file_atomic(prefix + ".json", nlohmann::json{{"command", command},
                                                     {"texts", r.texts},
                                                     {"bytes", r.bytes},
                                                     {"tokens", r.tokens},
                                                     {"train_seconds", r.train_seconds},
                                                     {"rounds", o.rounds},
                                                     {"rows", rows}}
                                              .dump(2) +
                                          "\n");
}

}  // namespace setformer::bench

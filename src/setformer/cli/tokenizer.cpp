// `setformer tokenizer train`: a SentencePiece model trained on the user's corpus (files,
// folders, JSONL, or the built-in corpora by name), written as a standard `.model` file that
// `tokenizer.model` in a config (or any SentencePiece tool) loads. `setformer tokenizer encode`
// shows how a model splits text.
#include "setformer/cli/commands.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/tasks/language.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace setformer::cli {

void add_tokenizer_command(CLI::App& app) {
  auto* tokenizer = app.add_subcommand(
      "tokenizer", "SentencePiece tokenizers: train one on your text, or try one");
  tokenizer->require_subcommand(1);
  struct Args {
    tasks::LanguageExperimentConfig config;
    std::string out, model;
    std::vector<std::string> texts;
  };
  auto args = std::make_shared<Args>();
  args->config.vocab_size = 8000;
  auto* train = tokenizer->add_subcommand(
      "train", "Train a SentencePiece model (unigram or BPE) and write it as a .model file");
  train
      ->add_option("--corpus", args->config.tokenizer_corpora,
                   "Text to train on: files and folders (plain text, JSONL, optionally .gz), or "
                   "built-in corpora by name (moby_dick, sotu, spam_assassin: their training "
                   "splits)")
      ->required();
  train->add_option("--out", args->out, "The .model file written")->required();
  train->add_option("--vocab-size", args->config.vocab_size, "Pieces (a soft limit)")
      ->capture_default_str();
  train->add_option("--model-type", args->config.model_type, "unigram | bpe")
      ->check(CLI::IsMember({"unigram", "bpe"}))
      ->capture_default_str();
  train
      ->add_option("--character-coverage", args->config.character_coverage,
                   "Share of characters the pieces cover; the rest are spelled as bytes")
      ->capture_default_str();
  train->add_option("--document", args->config.document, "Plain text: file | line")
      ->capture_default_str();
  train->add_option("--text-field", args->config.text_field, "Text field of JSONL files")
      ->capture_default_str();
  train->add_option("--invalid-utf8", args->config.invalid_utf8, "error | replace")
      ->capture_default_str();
  train->add_option("--threads", args->config.threads, "Training threads (0: all cores)")
      ->capture_default_str();
  train->callback([args] {
    auto c = args->config;
    c.tokenizer = "sentencepiece";
    const auto t =
        tasks::build_tokenizer(c, [](const std::string& line) { std::cerr << line << std::endl; });
    write_file_atomic(args->out, t.sentencepiece()->serialized());
    fmt::print(
        "wrote {}: a SentencePiece {} model of {} pieces ({} tokens with setformer's 5 "
        "specials)\n",
        args->out, c.model_type, t.sentencepiece()->size(), t.vocab_size());
  });
  auto* encode = tokenizer->add_subcommand(
      "encode", "Print how a .model file splits texts: pieces and setformer token ids");
  encode->add_option("--model", args->model, "A SentencePiece .model file")
      ->required()
      ->check(CLI::ExistingFile);
  encode->add_option("texts", args->texts, "Texts to encode")->required();
  encode->callback([args] {
    const auto t = data::Tokenizer::from_sentencepiece(read_file(args->model), args->model);
    for (const auto& text : args->texts) {
      const auto ids = t.encode(text);
      std::vector<std::string> pieces;
      for (const auto id : ids)
        pieces.push_back(
            t.sentencepiece()->piece(static_cast<int32_t>(id - data::Tokenizer::kSpecials)));
      fmt::print("{}\n  pieces: {}\n  ids: {}\n", text, fmt::join(pieces, " "),
                 fmt::join(ids, " "));
    }
  });
}

}  // namespace setformer::cli

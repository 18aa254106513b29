// Readers of the text corpora the setup script installs from npm (DESIGN.md §4, issue 7):
// SpamAssassin e-mails (spam/ham), Moby Dick by chapter and the State of the Union addresses.
// Each corpus has fixed train/validation/test splits, written to disk the first time a corpus is
// read and read back ever after, so that every run uses the same ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace setformer::data {

/// Where scripts/setup.sh installs the corpora (one folder per npm package).
inline constexpr const char* kTextFolder = "data/text/node_modules/@stdlib";

enum class Split { train, validation, test };
const char* to_string(Split split);

struct Document {
  std::string id;      // unique within the corpus, e.g. "spam-1/00001", "chapter_1", "1790_..."
  std::string text;    // UTF-8
  int64_t label = -1;  // spam_assassin: 1 spam, 0 ham; -1 for the others
  Split split = Split::train;
};

struct Corpus {
  std::string name;
  std::vector<Document> documents;
  /// The documents of one split, in corpus order.
  std::vector<const Document*> documents_in(Split split) const;
};

/// "spam_assassin", "moby_dick", "sotu".
const std::vector<std::string>& text_corpora();

/// Reads the corpus `name` from `folder` (kTextFolder or a copy with the same layout):
///   spam_assassin  datasets-spam-assassin/data/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/
///                  *.json, each {"id", "group", "text"}; label 1 for the spam groups
///   moby_dick      datasets-moby-dick/data/file_list.json, then each listed part's .json {"text"}
///   sotu           datasets-sotu/data/*.json, each {"year", "name", "party", "text"}
/// Splits come from `split_file` (one "id<TAB>train|validation|test" line per document); when
/// that file does not exist it is created by hashing each id (80/10/10 percent), atomically.
/// Throws std::runtime_error naming the file and the field when a file is missing, not JSON, or
/// lacks a field; or when the split file disagrees with the corpus.
Corpus read_corpus(const std::string& name, const std::string& folder,
                   const std::string& split_file);

/// The split a new split file gives document `id`: 80/10/10 percent by a hash of the id alone, so
/// a document keeps its split whatever else the corpus holds.
Split hashed_split(const std::string& id);

/// The split file read_corpus() uses by default: data/text/splits/<name>.tsv.
std::string default_split_file(const std::string& name);

}  // namespace setformer::data

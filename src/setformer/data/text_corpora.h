// Readers of the text corpora the setup script installs from npm (DESIGN.md §4, issue 7):
// SpamAssassin e-mails (spam/ham), Moby Dick by chapter and the State of the Union addresses.
// Each corpus has fixed train/validation/test splits, written to disk the first time a corpus is
// read and read back ever after, so that every run uses the same ones.
#pragma once

#include <cstdint>
#include <map>
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
  /// sotu: the address's "year", "name" (the president) and "party".
  std::map<std::string, std::string> fields;
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

/// A passage of the State of the Union party-classification set.
struct PartyPassage {
  std::string id;  // "<address id>:<k>"
  std::string text, party, president;
  int64_t year = 0;
  Split split = Split::train;
};

/// The State of the Union as a labelled task (issue 40): the Democratic and Republican addresses
/// (other parties left out), each cut into passages of at least `words` words ending at a
/// sentence end (the rest of an address joins its last passage). Presidents, in the order of
/// their first address, go to the splits in turn — validation the 4th of every 5, test the 2nd,
/// training the other three — so that no president is in two splits and every era is in each.
/// Throws when `sotu` is not the sotu corpus (no party fields).
std::vector<PartyPassage> sotu_party_passages(const Corpus& sotu, int64_t words);

/// The split file read_corpus() uses by default: data/text/splits/<name>.tsv.
std::string default_split_file(const std::string& name);

}  // namespace setformer::data

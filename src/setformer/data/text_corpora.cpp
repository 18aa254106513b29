#include "setformer/data/text_corpora.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/data/random.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

namespace setformer::data {

namespace fs = std::filesystem;

const char* to_string(Split split) {
  switch (split) {
    case Split::train:
      return "train";
    case Split::validation:
      return "validation";
    case Split::test:
      return "test";
  }
  return "?";
}

const std::vector<std::string>& text_corpora() {
  static const std::vector<std::string> names{"spam_assassin", "moby_dick", "sotu"};
  return names;
}

std::vector<const Document*> Corpus::documents_in(Split split) const {
  std::vector<const Document*> out;
  for (const auto& d : documents)
    if (d.split == split) out.push_back(&d);
  return out;
}

std::string default_split_file(const std::string& name) {
  return "data/text/splits/" + name + ".tsv";
}

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", path, what));
}

nlohmann::json read_json(const std::string& path) {
  if (!fs::exists(path)) fail(path, "not found (scripts/setup.sh installs the text corpora)");
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, fmt::format("not valid JSON ({})", e.what()));
  }
}

std::string string_field(const nlohmann::json& j, const char* field, const std::string& path) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string())
    fail(path, fmt::format("expected a string field '{}'", field));
  return j[field].get<std::string>();
}

/// The *.json files of a folder, sorted by name (directory order is not stable).
std::vector<std::string> json_files(const std::string& folder) {
  if (!fs::is_directory(folder))
    fail(folder, "not found (scripts/setup.sh installs the text corpora)");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) fail(folder, "holds no .json documents");
  return files;
}

std::vector<Document> read_spam_assassin(const std::string& folder) {
  std::vector<Document> docs;
  const std::string data = folder + "/datasets-spam-assassin/data";
  for (const std::string group : {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"}) {
    for (const auto& path : json_files(data + "/" + group)) {
      const auto j = read_json(path);
      if (string_field(j, "group", path) != group)
        fail(path, fmt::format("field 'group' is '{}', expected '{}' (its folder)",
                               j["group"].get<std::string>(), group));
      Document d;
      d.id = group + "/" + string_field(j, "id", path);
      d.text = string_field(j, "text", path);
      d.label = group.rfind("spam", 0) == 0 ? 1 : 0;
      docs.push_back(std::move(d));
    }
  }
  return docs;
}

std::vector<Document> read_moby_dick(const std::string& folder) {
  const std::string data = folder + "/datasets-moby-dick/data";
  const std::string list_path = data + "/file_list.json";
  const auto list = read_json(list_path);
  if (!list.is_array() || list.empty()) fail(list_path, "expected a non-empty array of file names");
  std::vector<Document> docs;
  for (const auto& entry : list) {
    if (!entry.is_string()) fail(list_path, "expected an array of file names");
    const fs::path part = entry.get<std::string>();
    const std::string path = data + "/" + part.stem().string() + ".json";
    Document d;
    d.id = part.stem().string();
    d.text = string_field(read_json(path), "text", path);
    docs.push_back(std::move(d));
  }
  return docs;
}

std::vector<Document> read_sotu(const std::string& folder) {
  std::vector<Document> docs;
  for (const auto& path : json_files(folder + "/datasets-sotu/data")) {
    const auto j = read_json(path);
    if (!j.contains("year") || !j["year"].is_number_integer())
      fail(path, "expected an integer field 'year'");
    Document d;
    d.fields["year"] = std::to_string(j["year"].get<int64_t>());
    d.fields["name"] = string_field(j, "name", path);
    d.fields["party"] = string_field(j, "party", path);
    d.id = fs::path(path).stem().string();
    d.text = string_field(j, "text", path);
    docs.push_back(std::move(d));
  }
  return docs;
}

void apply_splits(std::vector<Document>& docs, const std::string& split_file) {
  if (!fs::exists(split_file)) {
    std::string text;
    for (auto& d : docs) {
      d.split = hashed_split(d.id);
      text += d.id + "\t" + to_string(d.split) + "\n";
    }
    write_file_atomic(split_file, text);
    return;
  }
  std::map<std::string, Split> splits;
  std::istringstream in(read_file(split_file));
  int64_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    const auto tab = line.find('\t');
    const std::string where = fmt::format("{} line {}", split_file, line_number);
    if (tab == std::string::npos) fail(where, "expected 'id<TAB>train|validation|test'");
    const std::string id = line.substr(0, tab), name = line.substr(tab + 1);
    Split s;
    if (name == "train")
      s = Split::train;
    else if (name == "validation")
      s = Split::validation;
    else if (name == "test")
      s = Split::test;
    else
      fail(where, fmt::format("split '{}' is not train, validation or test", name));
    if (!splits.emplace(id, s).second)
      fail(where, fmt::format("document '{}' is listed twice", id));
  }
  for (auto& d : docs) {
    const auto it = splits.find(d.id);
    if (it == splits.end())
      fail(split_file, fmt::format("document '{}' of the corpus is not listed (delete the file to "
                                   "write new splits)",
                                   d.id));
    d.split = it->second;
  }
  if (splits.size() != docs.size())
    fail(split_file,
         fmt::format("lists {} documents, the corpus has {}", splits.size(), docs.size()));
}

}  // namespace

Split hashed_split(const std::string& id) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (const unsigned char c : id) h = (h ^ c) * 1099511628211ULL;
  const uint64_t bucket = mix(h, 0x7E47) % 100;
  return bucket < 80 ? Split::train : bucket < 90 ? Split::validation : Split::test;
}

Corpus read_corpus(const std::string& name, const std::string& folder,
                   const std::string& split_file) {
  Corpus c;
  c.name = name;
  if (name == "spam_assassin")
    c.documents = read_spam_assassin(folder);
  else if (name == "moby_dick")
    c.documents = read_moby_dick(folder);
  else if (name == "sotu")
    c.documents = read_sotu(folder);
  else
    throw std::invalid_argument(fmt::format("unknown corpus '{}'; expected one of: {}", name,
                                            fmt::join(text_corpora(), ", ")));
  std::map<std::string, int> seen;
  for (const auto& d : c.documents) {
    if (++seen[d.id] > 1)
      throw std::runtime_error(fmt::format("{}: document id '{}' appears twice", folder, d.id));
  }
  apply_splits(c.documents, split_file);
  return c;
}

std::vector<PartyPassage> sotu_party_passages(const Corpus& sotu, int64_t words) {
  if (words < 1)
    throw std::invalid_argument(fmt::format("passage words must be >= 1, got {}", words));
  std::vector<const Document*> addresses;
  for (const auto& d : sotu.documents) {
    if (!d.fields.count("party") || !d.fields.count("name") || !d.fields.count("year"))
      throw std::invalid_argument(
          fmt::format("{}: document {} has no party, name or year (not "
                      "the sotu corpus)",
                      sotu.name, d.id));
    const auto& party = d.fields.at("party");
    if (party == "Democratic" || party == "Republican") addresses.push_back(&d);
  }
  // Presidents in the order of their first address, then each one's split.
  std::map<std::string, int64_t> first_year;
  for (const auto* d : addresses) {
    const auto year = std::stoll(d->fields.at("year"));
    const auto& name = d->fields.at("name");
    if (!first_year.count(name) || year < first_year[name]) first_year[name] = year;
  }
  std::vector<std::pair<int64_t, std::string>> order;
  for (const auto& [name, year] : first_year) order.emplace_back(year, name);
  std::sort(order.begin(), order.end());
  std::map<std::string, Split> split_of;
  for (size_t i = 0; i < order.size(); ++i)
    split_of[order[i].second] = i % 5 == 3   ? Split::validation
                                : i % 5 == 1 ? Split::test
                                             : Split::train;
  std::sort(addresses.begin(), addresses.end(),
            [](const Document* a, const Document* b) { return a->id < b->id; });
  std::vector<PartyPassage> out;
  for (const auto* d : addresses) {
    PartyPassage p;
    p.party = d->fields.at("party");
    p.president = d->fields.at("name");
    p.year = std::stoll(d->fields.at("year"));
    p.split = split_of.at(p.president);
    std::vector<std::string> passages;
    std::string current;
    int64_t count = 0;
    std::istringstream in(d->text);
    for (std::string word; in >> word;) {
      current += (current.empty() ? "" : " ") + word;
      ++count;
      const char last = word.back();
      if (count >= words && (last == '.' || last == '?' || last == '!')) {
        passages.push_back(std::move(current));
        current.clear();
        count = 0;
      }
    }
    if (!current.empty()) {
      if (passages.empty())
        passages.push_back(std::move(current));
      else
        passages.back() += " " + current;
    }
    for (size_t k = 0; k < passages.size(); ++k) {
      p.id = fmt::format("{}:{}", d->id, k + 1);
      p.text = std::move(passages[k]);
      out.push_back(p);
    }
  }
  return out;
}

}  // namespace setformer::data

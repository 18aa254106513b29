// Text corpora: the three layouts read from a small copy written here, splits written once and
// then read back (and checked against the corpus), errors that name the file and field, and the
// real corpora's sizes when scripts/setup.sh has installed them.
#include "setformer/data/text_corpora.h"

#include "setformer/core/files.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>

namespace setformer::data {
namespace {

/// A corpus folder with the npm packages' layout: two e-mails per SpamAssassin group, three
/// Moby Dick parts, two addresses.
std::string write_fixture(const testing::TempDir& dir) {
  const std::string root = dir.path("stdlib");
  const std::string spam = root + "/datasets-spam-assassin/data/";
  int n = 0;
  for (const std::string group : {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"}) {
    for (int i = 0; i < 2; ++i, ++n) {
      const auto id = fmt::format("{:05d}", n);
      write_file_atomic(
          fmt::format("{}{}/{}.abc.json", spam, group, id),
          nlohmann::json{{"id", id}, {"group", group}, {"text", "mail " + id}}.dump());
    }
  }
  const std::string moby = root + "/datasets-moby-dick/data/";
  write_file_atomic(moby + "file_list.json",
                    R"(["etymology.txt", "chapter_1.txt", "chapter_2.txt"])");
  for (const std::string part : {"etymology", "chapter_1", "chapter_2"})
    write_file_atomic(moby + part + ".json", nlohmann::json{{"text", "text of " + part}}.dump());
  const std::string sotu = root + "/datasets-sotu/data/";
  write_file_atomic(
      sotu + "1790_george_washington_n.json",
      R"({"year": 1790, "name": "George Washington", "party": "none", "text": "Fellow"})");
  write_file_atomic(
      sotu + "1801_thomas_jefferson_dr.json",
      R"({"year": 1801, "name": "Thomas Jefferson", "party": "dr", "text": "Citizens"})");
  return root;
}

TEST(TextCorpora, ReadsEachLayout) {
  testing::TempDir dir;
  const auto root = write_fixture(dir);
  const auto spam = read_corpus("spam_assassin", root, dir.path("spam.tsv"));
  ASSERT_EQ(spam.documents.size(), 10u);
  EXPECT_EQ(spam.documents[0].id, "easy-ham-1/00000");
  EXPECT_EQ(spam.documents[0].text, "mail 00000");
  int spam_count = 0;
  for (const auto& d : spam.documents) spam_count += d.label == 1;
  EXPECT_EQ(spam_count, 4);  // spam-1 and spam-2
  const auto moby = read_corpus("moby_dick", root, dir.path("moby.tsv"));
  ASSERT_EQ(moby.documents.size(), 3u);
  EXPECT_EQ(moby.documents[1].id, "chapter_1");  // the order of file_list.json
  EXPECT_EQ(moby.documents[2].text, "text of chapter_2");
  const auto sotu = read_corpus("sotu", root, dir.path("sotu.tsv"));
  ASSERT_EQ(sotu.documents.size(), 2u);
  EXPECT_EQ(sotu.documents[1].id, "1801_thomas_jefferson_dr");
  EXPECT_EQ(sotu.documents[1].label, -1);
}

TEST(TextCorpora, SplitsAreWrittenOnceThenReadBack) {
  testing::TempDir dir;
  const auto root = write_fixture(dir);
  const auto split_file = dir.path("splits/spam.tsv");
  const auto first = read_corpus("spam_assassin", root, split_file);
  ASSERT_TRUE(std::filesystem::exists(split_file));
  // The file decides from now on: move every document to the test split.
  std::string text;
  for (const auto& d : first.documents) text += d.id + "\ttest\n";
  write_file_atomic(split_file, text);
  const auto second = read_corpus("spam_assassin", root, split_file);
  EXPECT_EQ(second.documents_in(Split::test).size(), 10u);
  EXPECT_TRUE(second.documents_in(Split::train).empty());
  // A document the file does not list is an error naming it.
  write_file_atomic(split_file, text.substr(text.find('\n') + 1));
  testing::expect_runtime_error([&] { read_corpus("spam_assassin", root, split_file); },
                                "document 'easy-ham-1/00000' of the corpus is not listed");
  write_file_atomic(split_file, "easy-ham-1/00000\tholdout\n");
  testing::expect_runtime_error([&] { read_corpus("spam_assassin", root, split_file); },
                                "line 1: split 'holdout' is not train, validation or test");
}

TEST(TextCorpora, HashedSplitsAreRoughlyEightyTenTenAndStable) {
  std::map<Split, int> counts;
  for (int i = 0; i < 10000; ++i) ++counts[hashed_split(fmt::format("doc-{}", i))];
  // Binomial standard deviations: 40 for train, 30 for the others; 4σ bounds.
  EXPECT_NEAR(counts[Split::train], 8000, 160);
  EXPECT_NEAR(counts[Split::validation], 1000, 120);
  EXPECT_NEAR(counts[Split::test], 1000, 120);
  EXPECT_EQ(hashed_split("spam-1/00001"), hashed_split("spam-1/00001"));
}

TEST(TextCorpora, ErrorsNameTheFileAndField) {
  testing::TempDir dir;
  const auto root = write_fixture(dir);
  const std::string bad = root + "/datasets-spam-assassin/data/spam-2/00009.abc.json";
  write_file_atomic(bad, R"({"id": "00009", "group": "spam-1", "text": "x"})");
  testing::expect_runtime_error([&] { read_corpus("spam_assassin", root, dir.path("a.tsv")); },
                                "00009.abc.json: field 'group' is 'spam-1', expected 'spam-2'");
  write_file_atomic(bad, R"({"id": "00009", "group": "spam-2"})");
  testing::expect_runtime_error([&] { read_corpus("spam_assassin", root, dir.path("a.tsv")); },
                                "00009.abc.json: expected a string field 'text'");
  write_file_atomic(bad, "{not json");
  testing::expect_runtime_error([&] { read_corpus("spam_assassin", root, dir.path("a.tsv")); },
                                "00009.abc.json: not valid JSON");
  testing::expect_runtime_error(
      [&] { read_corpus("moby_dick", dir.path("nowhere"), dir.path("m.tsv")); },
      "file_list.json: not found (scripts/setup.sh installs");
  testing::expect_invalid_argument([&] { read_corpus("wikitext", root, dir.path("w.tsv")); },
                                   "unknown corpus 'wikitext'; expected one of: spam_assassin");
}

TEST(TextCorpora, TheInstalledCorporaHaveTheirKnownSizes) {
  const std::string folder = std::string(SETFORMER_SOURCE_DIR) + "/" + kTextFolder;
  if (!std::filesystem::exists(folder))
    GTEST_SKIP() << folder << " is not installed (scripts/setup.sh)";
  testing::TempDir dir;
  const auto spam = read_corpus("spam_assassin", folder, dir.path("spam.tsv"));
  int spam_count = 0;
  for (const auto& d : spam.documents) spam_count += d.label == 1;
  EXPECT_EQ(spam.documents.size(), 6046u);
  EXPECT_EQ(spam_count, 1896);
  EXPECT_GT(spam.documents_in(Split::test).size(), 500u);
  EXPECT_EQ(read_corpus("sotu", folder, dir.path("sotu.tsv")).documents.size(), 233u);
  const auto moby = read_corpus("moby_dick", folder, dir.path("moby.tsv"));
  EXPECT_GT(moby.documents.size(), 135u);
  EXPECT_EQ(moby.documents[3].text.rfind("Call me Ishmael.", 0), 0u);
}

// The party task: only Democratic and Republican addresses; every president in one split, the
// presidents taken in turn by their first address; passages that put each address back together
// word for word, each at least the asked length and ending a sentence (except where an address
// is shorter).
TEST(TextCorpora, SotuPartyPassagesSplitByPresident) {
  Corpus c;
  c.name = "sotu";
  const auto address = [&](const std::string& id, int year, const std::string& name,
                           const std::string& party, const std::string& text) {
    Document d;
    d.id = id;
    d.text = text;
    d.fields = {{"year", std::to_string(year)}, {"name", name}, {"party", party}};
    c.documents.push_back(d);
  };
  const std::string speech = "One two three. Four five six seven! Eight nine? Ten eleven twelve";
  const char* names[] = {"A", "B", "C", "D", "E", "F"};
  for (int i = 0; i < 6; ++i) {
    address(std::to_string(1900 + 4 * i) + "_x", 1900 + 4 * i, names[i],
            i % 2 ? "Republican" : "Democratic", speech);
    address(std::to_string(1901 + 4 * i) + "_y", 1901 + 4 * i, names[i],
            i % 2 ? "Republican" : "Democratic", speech + " more.");
  }
  address("1850_w", 1850, "W", "Whig", speech);
  const auto passages = sotu_party_passages(c, 5);
  std::map<std::string, std::set<Split>> splits;
  std::map<std::string, std::string> rebuilt;
  for (const auto& p : passages) {
    EXPECT_NE(p.president, "W");
    splits[p.president].insert(p.split);
    const auto address_id = p.id.substr(0, p.id.find(':'));
    rebuilt[address_id] += (rebuilt[address_id].empty() ? "" : " ") + p.text;
  }
  for (const auto& [name, s] : splits) EXPECT_EQ(s.size(), 1u) << name;
  // In order of first address: A train, B test, C train, D validation, E train, F train.
  EXPECT_EQ(*splits["B"].begin(), Split::test);
  EXPECT_EQ(*splits["D"].begin(), Split::validation);
  EXPECT_EQ(*splits["A"].begin(), Split::train);
  EXPECT_EQ(rebuilt["1900_x"], speech);
  EXPECT_EQ(rebuilt["1901_y"], speech + " more.");
  // 1900_x: its last words end no sentence, so they join the one passage before them. 1901_y:
  // "One two three. Four five six seven!" (the first sentence end after 5 words), then the rest.
  ASSERT_GE(passages.size(), 3u);
  EXPECT_EQ(passages[0].text, speech);
  EXPECT_EQ(passages[0].id, "1900_x:1");
  EXPECT_EQ(passages[1].text, "One two three. Four five six seven!");
  EXPECT_EQ(passages[2].text, "Eight nine? Ten eleven twelve more.");
  EXPECT_EQ(passages[2].id, "1901_y:2");
  Corpus other;
  other.name = "moby_dick";
  other.documents.push_back(Document{"chapter_1", "Call me Ishmael.", -1, Split::train, {}});
  testing::expect_invalid_argument([&] { sotu_party_passages(other, 5); }, "not the sotu corpus");
}

}  // namespace
}  // namespace setformer::data

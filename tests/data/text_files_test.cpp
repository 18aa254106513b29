// Reading the user's text: labelled TSV, CSV and JSONL with named columns, corpora of files,
// folders and JSONL, gzip; and every bad input the policies in text_files.h name, each error
// checked for the file and line it must name.
#include "setformer/data/text_files.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace setformer::data {
namespace {

using setformer::testing::expect_invalid_argument;
using setformer::testing::TempDir;

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

void write_gz(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  gzclose(f);
}

TextColumns pair_columns() {
  TextColumns c;
  c.text = "sentence1";
  c.text_pair = "sentence2";
  c.label = "label";
  c.id = "index";
  return c;
}

TextExamples parse(const std::string& text, const std::string& name, const TextColumns& c,
                   TextReadOptions o = {}) {
  return parse_text_examples(text, name, c, o, "auto");
}

TEST(TextFiles, TsvWithNamedColumnsInAnyOrder) {
  // GLUE's RTE layout; the quote inside a sentence is text (TSV takes fields verbatim).
  const auto r = parse(
      "index\tsentence1\tsentence2\tlabel\n"
      "0\tNo \"weapons\" found.\tWeapons found.\tnot_entailment\n"
      "7\tA cat sat.\tAn animal sat.\tentailment\n",
      "dev.tsv", pair_columns());
  ASSERT_EQ(r.examples.size(), 2u);
  EXPECT_EQ(r.examples[0].text, "No \"weapons\" found.");
  EXPECT_EQ(r.examples[0].text_pair, "Weapons found.");
  EXPECT_EQ(r.examples[0].label, "not_entailment");
  EXPECT_EQ(r.examples[1].id, "7");
  EXPECT_EQ(r.examples[1].line, 3);
}

TEST(TextFiles, CsvQuotingAcrossLinesKeepsLineNumbers) {
  TextColumns c;
  const auto r = parse(
      "label,text\n"
      "1,\"a, b and \"\"c\"\"\"\n"
      "0,\"two\nlines\"\n"
      "1,plain\n",
      "x.csv", c);
  ASSERT_EQ(r.examples.size(), 3u);
  EXPECT_EQ(r.examples[0].text, "a, b and \"c\"");
  EXPECT_EQ(r.examples[1].text, "two\nlines");
  EXPECT_EQ(r.examples[2].line, 5);
  EXPECT_EQ(r.examples[2].id, "5");
  // An unbalanced quote: the error names the line the record starts on.
  expect_invalid_argument([&] { parse("label,text\n1,ok\n0,\"never closed\n1,x\n", "u.csv", c); },
                          "u.csv:3: quoted field never closed");
}

TEST(TextFiles, BadRowsAreErrorsNamingFileLineAndColumnOrAreSkipped) {
  TextColumns c;
  const std::string text = "text\tlabel\nfine\t1\nextra\t1\t2\n  \t0\nno label\t\nlast\t0\n";
  expect_invalid_argument([&] { parse(text, "t.tsv", c); },
                          "t.tsv:3: 3 columns, but the header has 2");
  TextReadOptions skip;
  skip.bad_rows = "skip";
  const auto r = parse(text, "t.tsv", c, skip);
  ASSERT_EQ(r.examples.size(), 2u);
  EXPECT_EQ(r.examples[1].text, "last");
  ASSERT_EQ(r.skipped.size(), 3u);
  EXPECT_EQ(r.skipped[0], "t.tsv:3: 3 columns, but the header has 2");
  EXPECT_EQ(r.skipped[1], "t.tsv:4: empty text in column 'text'");
  EXPECT_EQ(r.skipped[2], "t.tsv:5: empty label in column 'label'");
  // A test file without labels is fine when they are not required.
  TextColumns test = c;
  test.label_required = false;
  EXPECT_EQ(parse("text\nhidden\n", "test.tsv", test).examples.at(0).label, "");
  expect_invalid_argument([&] { parse("text\nhidden\n", "train.tsv", c); },
                          "train.tsv:1: no column 'label' in the header (it has: text)");
  auto missing = pair_columns();
  expect_invalid_argument([&] { parse("index\tsentence1\tlabel\n0\ta\t1\n", "d.tsv", missing); },
                          "d.tsv:1: no column 'sentence2' in the header (it has: index, sentence1, "
                          "label)");
}

TEST(TextFiles, ColumnsWithoutHeaderBomAndCrlf) {
  // CoLA's train.tsv: no header, four columns.
  TextColumns c;
  c.names = {"source", "label", "original", "sentence"};
  c.text = "sentence";
  const auto r = parse(
      "\xEF\xBB\xBFgj04\t1\t\tOur friends won't buy this analysis.\r\n"
      "gj04\t0\t*\tThey drank the pub.\r\n",
      "train.tsv", c);
  ASSERT_EQ(r.examples.size(), 2u);
  EXPECT_EQ(r.examples[0].text, "Our friends won't buy this analysis.");
  EXPECT_EQ(r.examples[1].label, "0");
  EXPECT_EQ(r.examples[1].text, "They drank the pub.");  // no '\r' left
}

TEST(TextFiles, InvalidUtf8IsAnErrorWithItsLineOrReplaced) {
  TextColumns c;
  const std::string text = "text\tlabel\ngood\t1\nbad \xC3\x28 byte\t0\n";
  expect_invalid_argument([&] { parse(text, "u.tsv", c); }, "u.tsv:3: invalid UTF-8 at byte 5");
  TextReadOptions replace;
  replace.invalid_utf8 = "replace";
  EXPECT_EQ(parse(text, "u.tsv", c, replace).examples.at(1).text, "bad \xEF\xBF\xBD( byte");
}

TEST(TextFiles, Utf8RulesMatchTheStandard) {
  const auto valid = [](std::string s) {
    try {
      check_utf8(s, false, "x");
      return true;
    } catch (const std::invalid_argument&) {
      return false;
    }
  };
  EXPECT_TRUE(valid("plain ascii"));
  EXPECT_TRUE(valid("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // 2, 3 and 4 bytes
  EXPECT_TRUE(valid("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
  EXPECT_FALSE(valid("\xC0\xAF"));                                  // overlong '/'
  EXPECT_FALSE(valid("\xE0\x80\xAF"));                              // overlong, 3 bytes
  EXPECT_FALSE(valid("\xED\xA0\x80"));                              // a surrogate
  EXPECT_FALSE(valid("\xF4\x90\x80\x80"));                          // above U+10FFFF
  EXPECT_FALSE(valid("\xE2\x82"));                                  // cut short
  EXPECT_FALSE(valid("\x80"));                                      // a lone continuation
  EXPECT_FALSE(valid("\xFF"));
  std::string s =
      "a\xE2\x82"
      "b";
  check_utf8(s, true, "x");
  EXPECT_EQ(s,
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");  // each bad byte replaced
}

TEST(TextFiles, JsonlWithScalarLabelsAndItsErrors) {
  TextColumns c;
  c.id = "id";
  const auto r = parse(
      "{\"text\": \"hello\", \"label\": 1, \"id\": \"a\"}\n\n"
      "{\"label\": \"spam\", \"text\": \"buy\"}\n"
      "{\"text\": \"score\", \"label\": 3.5}\n",
      "d.jsonl", c);
  ASSERT_EQ(r.examples.size(), 3u);
  EXPECT_EQ(r.examples[0].label, "1");
  EXPECT_EQ(r.examples[0].id, "a");
  EXPECT_EQ(r.examples[1].label, "spam");
  EXPECT_EQ(r.examples[1].id, "3");
  EXPECT_EQ(r.examples[2].label, "3.5");
  expect_invalid_argument([&] { parse("{\"text\": \"a\", \"label\": 1}\n[1, 2]\n", "d.jsonl", c); },
                          "d.jsonl:2: not a JSON object");
  expect_invalid_argument([&] { parse("{\"body\": \"a\", \"label\": 1}\n", "d.jsonl", c); },
                          "d.jsonl:1: no string field 'text'");
  expect_invalid_argument([&] { parse("{\"text\": \"a\", \"label\": [1]}\n", "d.jsonl", c); },
                          "d.jsonl:1: field 'label' is not a string, number or boolean");
}

TEST(TextFiles, GzipFilesReadAsPlainOnes) {
  TempDir dir;
  const std::string text = "text\tlabel\nfirst\ta\nsecond\tb\n";
  write(dir.path("plain.tsv"), text);
  write_gz(dir.path("packed.tsv.gz"), text);
  TextColumns c;
  const auto plain = read_text_examples(dir.path("plain.tsv"), c, {});
  const auto packed = read_text_examples(dir.path("packed.tsv.gz"), c, {});
  ASSERT_EQ(packed.examples.size(), 2u);
  EXPECT_EQ(packed.examples[1].text, plain.examples[1].text);
  EXPECT_EQ(packed.examples[1].label, "b");
  EXPECT_EQ(text_format("a/b.CSV.gz"), "csv");
  expect_invalid_argument([] { text_format("data.parquet"); },
                          "data.parquet: cannot tell the format");
  setformer::testing::expect_runtime_error(
      [&] { read_text_examples(dir.path("missing.tsv"), c, {}); }, "missing.tsv: file not found");
}

TEST(TextFiles, AnEnormousLineStopsAtTheLimitWithAClearError) {
  TempDir dir;
  // 8 MB on one line (gzip makes it tiny on disk), read with a 1 MB limit.
  const std::string big = "text\tlabel\nshort\t1\n" + std::string(8 << 20, 'x') + "\t0\n";
  write_gz(dir.path("big.tsv.gz"), big);
  TextReadOptions o;
  o.max_record_bytes = 1 << 20;
  expect_invalid_argument([&] { read_text_examples(dir.path("big.tsv.gz"), TextColumns(), o); },
                          "big.tsv.gz:3: a line longer than 1048576 bytes (data.max_record_bytes)");
  // A CSV quote left open swallows the lines after it, up to the limit.
  std::string open = "label,text\n1,\"open\n";
  for (int i = 0; i < 2000; ++i) open += std::string(1000, 'y') + "\n";
  expect_invalid_argument([&] { parse(open, "q.csv", TextColumns(), o); },
                          "q.csv:2: a record longer than 1048576 bytes");
}

TEST(TextFiles, CorporaFromFilesFoldersAndJsonl) {
  TempDir dir;
  write(dir.path("books/b.txt"), "Call me Ishmael.\n\nSome years ago.\n");
  write(dir.path("books/a/first.txt"), "One line.\n");
  write(dir.path("books/.hidden/skip.txt"), "never read\n");
  write(dir.path("books/.skip.txt"), "never read\n");
  CorpusOptions o;
  auto docs = read_text_corpus(dir.path("books"), o);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].id, dir.path("books/a/first.txt"));
  EXPECT_EQ(docs[1].text, "Call me Ishmael.\n\nSome years ago.");
  o.document = "line";
  docs = read_text_corpus(dir.path("books"), o);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[2].id, dir.path("books/b.txt") + ":3");
  EXPECT_EQ(docs[2].text, "Some years ago.");

  write_gz(dir.path("wiki.jsonl.gz"),
           "{\"body\": \"first\"}\n{\"body\": \"\"}\n{\"body\": \"third\"}\n");
  o.text_field = "body";
  docs = read_text_corpus(dir.path("wiki.jsonl.gz"), o);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].id, dir.path("wiki.jsonl.gz") + ":3");
  o.text_field = "text";
  expect_invalid_argument([&] { read_text_corpus(dir.path("wiki.jsonl.gz"), o); },
                          "wiki.jsonl.gz:1: not a JSON object with a string field 'text'");
  o.document = "file";
  o.read.max_record_bytes = 20;
  expect_invalid_argument([&] { read_text_corpus(dir.path("books/b.txt"), o); },
                          "b.txt:3: a document longer than 20 bytes");
  expect_invalid_argument([&] { read_text_corpus(dir.path("nothing"), o); },
                          "no such file or folder");
  write(dir.path("bin.txt"), std::string("ab\0cd", 5));
  expect_invalid_argument([&] { read_text_corpus(dir.path("bin.txt"), CorpusOptions()); },
                          "bin.txt:1: NUL byte");
}

// Written tables read back as they were (CSV and JSONL losslessly; TSV with its tabs and line
// breaks turned into spaces, since it has no quoting).
TEST(TextFiles, WrittenTablesReadBack) {
  const std::vector<std::vector<std::string>> rows{{"a/1", "line one\nline \"two\", end", "spam"},
                                                   {"b/2", "tab\there", "ham"}};
  TextColumns c;
  c.id = "id";
  for (const std::string format : {"csv", "jsonl", "tsv"}) {
    const auto r = parse(text_table({"id", "text", "label"}, rows, format), "t." + format, c);
    ASSERT_EQ(r.examples.size(), 2u) << format;
    EXPECT_EQ(r.examples[0].id, "a/1");
    EXPECT_EQ(r.examples[1].label, "ham");
    if (format == "tsv") {
      EXPECT_EQ(r.examples[0].text, "line one line \"two\", end");
      EXPECT_EQ(r.examples[1].text, "tab here");
    } else {
      EXPECT_EQ(r.examples[0].text, rows[0][1]) << format;
      EXPECT_EQ(r.examples[1].text, rows[1][1]) << format;
    }
  }
}

TEST(TextFiles, LabelSetsSortNumericallyWhenAllAreIntegers) {
  EXPECT_EQ(label_set({"10", "2", "2", "-1"}), (std::vector<std::string>{"-1", "2", "10"}));
  EXPECT_EQ(label_set({"neutral", "entailment", "contradiction", "neutral"}),
            (std::vector<std::string>{"contradiction", "entailment", "neutral"}));
  EXPECT_EQ(label_set({"10", "2", "x"}), (std::vector<std::string>{"10", "2", "x"}));
}

}  // namespace
}  // namespace setformer::data

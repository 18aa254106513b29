// CSV and TSV parsing: RFC 4180 quoting, line numbers for messages, and every malformed case an
// error naming the file and line.
#include "setformer/io/delimited.h"

#include "common/errors.h"

#include <gtest/gtest.h>

namespace setformer::io {
namespace {

std::vector<std::vector<std::string>> fields(const std::vector<DelimitedRow>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : rows) out.push_back(r.fields);
  return out;
}

TEST(Delimited, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  const auto rows = parse_delimited(
      "path,label\n\"a,b.jpg\",cat\n\"say \"\"hi\"\"\",dog\n\"two\nlines\",\"\"\nlast,x\n",
      "t.csv");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(fields(rows)[1], (std::vector<std::string>{"a,b.jpg", "cat"}));
  EXPECT_EQ(fields(rows)[2], (std::vector<std::string>{"say \"hi\"", "dog"}));
  EXPECT_EQ(fields(rows)[3], (std::vector<std::string>{"two\nlines", ""}));
  // Line numbers count the line break inside the quoted field.
  EXPECT_EQ(rows[3].line, 4);
  EXPECT_EQ(rows[4].line, 6);
}

TEST(Delimited, AcceptsCrlfAByteOrderMarkBlankLinesAndNoFinalNewline) {
  const auto rows = parse_delimited(
      "\xEF\xBB\xBF"
      "a,1\r\n\r\n\nb,2",
      "t.csv");
  EXPECT_EQ(fields(rows), (std::vector<std::vector<std::string>>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(rows[1].line, 4);
}

TEST(Delimited, TsvTakesQuotesVerbatim) {
  const auto options = delimited_options_for("dev.TSV");
  EXPECT_EQ(options.delimiter, '\t');
  EXPECT_FALSE(options.quoting);
  const auto rows = parse_delimited("it's \"great\tok\n\"x\t1\n", "dev.tsv", options);
  EXPECT_EQ(fields(rows),
            (std::vector<std::vector<std::string>>{{"it's \"great", "ok"}, {"\"x", "1"}}));
  EXPECT_EQ(delimited_options_for("list.csv").delimiter, ',');
}

TEST(Delimited, MalformedInputNamesTheFileAndLine) {
  testing::expect_invalid_argument([] { parse_delimited("a,1\n\"open,2\nmore\n", "l.csv"); },
                                   "l.csv:2: quoted field never closed");
  testing::expect_invalid_argument([] { parse_delimited("a,1\n\"q\"x,2\n", "l.csv"); },
                                   "l.csv:2: unexpected character 'x' after a closing quote");
  testing::expect_invalid_argument([] { parse_delimited(std::string("a,1\nb\0,2\n", 9), "l.csv"); },
                                   "l.csv:2: NUL byte");
}

}  // namespace
}  // namespace setformer::io

// libFuzzer target for labelled text files (data/text_files.h over io/delimited.h): any bytes,
// read as TSV, CSV and JSONL, with and without a header, single texts and pairs, each bad-row and
// UTF-8 policy, must give examples that meet the readers' promises (non-empty texts, valid UTF-8,
// labels present where required) or fail with std::invalid_argument; never crash, leak or read
// out of bounds. Built and run under AddressSanitizer and UndefinedBehaviorSanitizer by
// scripts/fuzz.sh.
#include "setformer/data/text_files.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace {

using setformer::data::TextColumns;
using setformer::data::TextExamples;

void check(const TextExamples& r, const TextColumns& c) {
  if (r.examples.empty()) std::abort();
  for (const auto& e : r.examples) {
    if (e.text.find_first_not_of(" \t\r\n") == std::string::npos) std::abort();
    if (!c.text_pair.empty() && e.text_pair.find_first_not_of(" \t\r\n") == std::string::npos)
      std::abort();
    if (c.label_required && e.label.empty()) std::abort();
    if (e.id.empty() || e.line < 1) std::abort();
    auto copy = e.text + e.text_pair + e.label;
    try {
      setformer::data::check_utf8(copy, false, "fuzz");
    } catch (const std::invalid_argument&) {
      std::abort();  // the reader let invalid UTF-8 through
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  TextColumns single;
  single.id = "id";
  TextColumns pair;
  pair.text = "a";
  pair.text_pair = "b";
  pair.label_required = false;
  TextColumns headless;
  headless.names = {"label", "text"};
  setformer::data::TextReadOptions strict, lenient;
  strict.max_record_bytes = 4096;
  lenient.bad_rows = "skip";
  lenient.invalid_utf8 = "replace";
  for (const char* name : {"f.tsv", "f.csv", "f.jsonl"}) {
    for (const auto* c : {&single, &pair, &headless}) {
      for (const auto* o : {&strict, &lenient}) {
        try {
          check(setformer::data::parse_text_examples(text, name, *c, *o, "auto"), *c);
        } catch (const std::invalid_argument&) {
        }
      }
    }
  }
  return 0;
}

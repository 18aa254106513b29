// libFuzzer target for list files of images and labels (data/image_folder.h over io/delimited.h):
// any text must parse into as many paths as labels, every label a valid class, or fail with
// std::invalid_argument naming the file and line; never crash, leak or read out of bounds. Both
// dialects (CSV with quoting, TSV without) and both roles (a training list that defines the
// classes, a validation list checked against them) see every input. Built and run under
// AddressSanitizer and UndefinedBehaviorSanitizer by scripts/fuzz.sh.
#include "setformer/data/image_folder.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace {

void check(const setformer::data::ImageFiles& files) {
  if (files.paths.size() != files.labels.size() || files.paths.empty()) std::abort();
  for (const int64_t label : files.labels) {
    if (label < 0 || label >= static_cast<int64_t>(files.classes.size())) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> classes{"ant", "bee", "2", "10"};
  for (const char* name : {"list.csv", "list.tsv"}) {
    try {
      check(setformer::data::parse_image_list(text, name, "/root"));
    } catch (const std::invalid_argument&) {
    }
    try {
      check(setformer::data::parse_image_list(text, name, "", &classes));
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}

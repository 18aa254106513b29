#include "setformer/core/error.h"

namespace setformer {

std::string shape_string(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

void check_shape(const torch::Tensor& t, const char* name, const std::vector<int64_t>& expected,
                 const char* layout) {
  SETFORMER_CHECK(t.defined(), "{} is undefined; expected a tensor of shape {}", name, layout);
  bool ok = t.dim() == static_cast<int64_t>(expected.size());
  for (size_t i = 0; ok && i < expected.size(); ++i) {
    ok = expected[i] < 0 || expected[i] == t.size(static_cast<int64_t>(i));
  }
  if (!ok) {
    std::string want = "[";
    for (size_t i = 0; i < expected.size(); ++i) {
      want += (i ? ", " : "") + (expected[i] < 0 ? std::string("*") : std::to_string(expected[i]));
    }
    throw std::invalid_argument(fmt::format("{} has shape {}; expected {} = {}", name,
                                            shape_string(t.sizes()), layout, want + "]"));
  }
}

}  // namespace setformer

// Argument and shape validation that throws exceptions naming the offending value and what was
// expected. Every public entry point validates with these before doing any work.
#pragma once

#include <torch/types.h>

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace setformer {

/// Throws std::invalid_argument with a formatted message when `cond` is false.
#define SETFORMER_CHECK(cond, ...)                                      \
  do {                                                                  \
    if (!(cond)) throw std::invalid_argument(fmt::format(__VA_ARGS__)); \
  } while (0)

/// "[2, 3, 4]" for error messages.
std::string shape_string(at::IntArrayRef sizes);

/// Checks that `t` is defined, has `expected.size()` dimensions, and matches every entry of
/// `expected` that is not -1. `name` and `layout` (e.g. "[B, n, d]") appear in the error.
void check_shape(const torch::Tensor& t, const char* name, const std::vector<int64_t>& expected,
                 const char* layout);

}  // namespace setformer

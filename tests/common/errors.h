// Checking error paths: the exception type and that its message names the culprit.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace setformer::testing {

/// Runs `f`, which must throw `Exception` with `fragment` in its message.
template <class Exception>
void expect_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected an exception mentioning \"" << fragment << "\"";
  } catch (const Exception& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

/// Bad arguments and options: std::invalid_argument.
inline void expect_invalid_argument(const std::function<void()>& f, const std::string& fragment) {
  expect_error<std::invalid_argument>(f, fragment);
}

/// Bad files: std::runtime_error.
inline void expect_runtime_error(const std::function<void()>& f, const std::string& fragment) {
  expect_error<std::runtime_error>(f, fragment);
}

}  // namespace setformer::testing

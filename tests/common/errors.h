// Checking error paths: the exception type and that its message names the culprit.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace setformer::testing {

/// Runs `f`, which must throw std::invalid_argument with `fragment` in its message.
inline void expect_invalid_argument(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected std::invalid_argument mentioning \"" << fragment << "\"";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace setformer::testing

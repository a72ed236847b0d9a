// Test helpers for the tmpl tests: readable gtest output for problem details.
#pragma once

#include <ostream>

#include "base/status.h"

namespace vg {

// gtest prints an ErrorDetail as {path: message} instead of raw bytes.
inline void PrintTo(const ErrorDetail& detail, std::ostream* os) {
  *os << "{" << detail.path << ": " << detail.message << "}";
}

}  // namespace vg

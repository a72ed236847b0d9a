// VG_CHECK(cond): a broken invariant is a bug; print file, line and the condition, then abort.
// Not for input validation (that returns a Status).
#pragma once

namespace vg::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}  // namespace vg::internal

#define VG_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::vg::internal::CheckFailed(__FILE__, __LINE__, #cond))

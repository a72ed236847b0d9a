// The abort path of VG_CHECK.
#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace vg::internal {

void CheckFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "VG_CHECK failed at %s:%d: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace vg::internal

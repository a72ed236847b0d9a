// BullMQ's fixed and exponential backoff formulas (reference/bullmq-layout.md §7.8).
#include "queue/backoff.h"

#include <cmath>

namespace vg::queue {

bool ShouldRetry(const JobOptions& options, int64_t attempts_made) {
  return attempts_made + 1 < options.attempts;
}

int64_t BackoffDelayMs(const Backoff& backoff, int64_t attempts_made, double random01) {
  double base = 0;
  switch (backoff.type) {
    case Backoff::Type::kNone:
      return 0;
    case Backoff::Type::kFixed:
      base = static_cast<double>(backoff.delay_ms);
      break;
    case Backoff::Type::kExponential:
      base = std::round(std::pow(2.0, static_cast<double>(attempts_made)) *
                        static_cast<double>(backoff.delay_ms));
      break;
  }
  if (backoff.jitter > 0) {
    double j = std::min(1.0, backoff.jitter);
    return static_cast<int64_t>(std::floor(random01 * base * j + base * (1 - j)));
  }
  return static_cast<int64_t>(base);
}

}  // namespace vg::queue

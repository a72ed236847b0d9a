// Exponential backoff loop.
#include "net/retry.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace vg::net {

int RetryDelayMs(const RetryPolicy& policy, int retry) {
  int64_t delay = std::max(0, policy.first_delay_ms);
  for (int i = 1; i < retry && delay < policy.max_delay_ms; ++i) delay *= 2;
  return static_cast<int>(std::min<int64_t>(delay, policy.max_delay_ms));
}

HttpResult CallWithRetries(const RetryPolicy& policy, const std::function<HttpResult()>& attempt,
                           const SleepFunction& sleep) {
  const int attempts = std::max(1, policy.attempts);
  for (int i = 1;; ++i) {
    HttpResult result = attempt();
    if (result.ok() || !result.error().retryable || i >= attempts) return result;
    const int delay_ms = RetryDelayMs(policy, i);
    if (sleep) {
      sleep(delay_ms);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
  }
}

}  // namespace vg::net

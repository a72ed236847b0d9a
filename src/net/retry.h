// Retry with exponential backoff for HTTP calls: tries again only when the error says it may
// help (network errors, timeouts, 5xx), waiting first_delay_ms, then twice that, and so on.
// AssetCache does a single try; the worker and webhook deliveries use this.
#pragma once

#include <functional>

#include "net/http_client.h"

namespace vg::net {

struct RetryPolicy {
  int attempts = 3;           // total tries, ≥ 1
  int first_delay_ms = 1000;  // wait before the second try
  int max_delay_ms = 30000;   // no single wait is longer
};

// The wait before retry number `retry` (1 = before the second try):
// min(first_delay_ms × 2^(retry−1), max_delay_ms). Deterministic: no jitter.
int RetryDelayMs(const RetryPolicy& policy, int retry);

// Waits `delay_ms`. The default blocks the calling thread; tests pass a recorder.
using SleepFunction = std::function<void(int delay_ms)>;

// Calls `attempt` until it succeeds, fails with a non-retryable error, or policy.attempts tries
// have been made; returns the last result. Runs on the calling thread.
HttpResult CallWithRetries(const RetryPolicy& policy, const std::function<HttpResult()>& attempt,
                           const SleepFunction& sleep = {});

}  // namespace vg::net

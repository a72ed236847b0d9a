// RateLimiter: the per-owner (or per client IP) request limit API_RATE_LIMIT_PER_MIN as a token
// bucket: `per_minute` tokens, refilled continuously; a request takes one. Idle buckets are
// dropped so the table stays small.
//
// Thread safety: every method is thread-safe (one mutex; the critical section is a map lookup).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace vg::api {

class RateLimiter {
 public:
  // `per_minute` <= 0 disables the limit. `clock` is borrowed and must outlive the limiter.
  RateLimiter(int per_minute, const Clock& clock);

  struct Decision {
    bool allowed = true;
    int64_t retry_after_s = 0;  // when refused: seconds until a token is back (>= 1)
  };
  Decision Take(std::string_view bucket_key);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
  };
  void SweepLocked(std::chrono::steady_clock::time_point now);

  const double capacity_;
  const double per_second_;
  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point next_sweep_{};
};

}  // namespace vg::api

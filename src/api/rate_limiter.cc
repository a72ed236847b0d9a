// RateLimiter: token buckets keyed by owner or IP (see rate_limiter.h).
#include "api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace vg::api {

RateLimiter::RateLimiter(int per_minute, const Clock& clock)
    : capacity_(per_minute > 0 ? per_minute : 0),
      per_second_(per_minute > 0 ? per_minute / 60.0 : 0),
      clock_(clock) {}

RateLimiter::Decision RateLimiter::Take(std::string_view bucket_key) {
  if (capacity_ <= 0) return {};
  auto now = clock_.Now();
  std::lock_guard lock(mutex_);
  SweepLocked(now);
  auto [it, inserted] = buckets_.try_emplace(std::string(bucket_key), Bucket{capacity_, now});
  Bucket& b = it->second;
  if (!inserted) {
    double elapsed_s = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(capacity_, b.tokens + std::max(0.0, elapsed_s) * per_second_);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return {};
  }
  double wait_s = (1 - b.tokens) / per_second_;
  return {false, std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s)))};
}

void RateLimiter::SweepLocked(std::chrono::steady_clock::time_point now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + std::chrono::seconds(60);
  // A bucket idle long enough to be full again carries no state.
  auto full_after = std::chrono::duration<double>(capacity_ / per_second_);
  std::erase_if(buckets_, [&](const auto& entry) {
    return std::chrono::duration<double>(now - entry.second.updated) > full_after;
  });
}

}  // namespace vg::api

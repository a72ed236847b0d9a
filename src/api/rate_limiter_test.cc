// RateLimiter unit tests with a controlled clock: the bucket's size, refill over time,
// Retry-After, independent keys, and "0 = no limit".
#include "api/rate_limiter.h"

#include <gtest/gtest.h>

namespace vg::api {
namespace {

class ManualClock final : public Clock {
 public:
  int64_t NowUnixMs() const override { return 0; }
  std::chrono::steady_clock::time_point Now() const override { return now; }
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
};

TEST(RateLimiterTest, BucketRefillsAtTheConfiguredRate) {
  ManualClock clock;
  RateLimiter limiter(60, clock);  // one token a second, 60 at most
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter.Take("a").allowed) << i;
  auto refused = limiter.Take("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);
  EXPECT_TRUE(limiter.Take("b").allowed);  // keys are independent
  clock.now += std::chrono::milliseconds(1000);
  EXPECT_TRUE(limiter.Take("a").allowed);
  EXPECT_FALSE(limiter.Take("a").allowed);
  clock.now += std::chrono::minutes(10);  // refills to the cap, not beyond
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter.Take("a").allowed) << i;
  EXPECT_FALSE(limiter.Take("a").allowed);
}

TEST(RateLimiterTest, RetryAfterReflectsTheRate) {
  ManualClock clock;
  RateLimiter limiter(2, clock);  // a token every 30 s
  EXPECT_TRUE(limiter.Take("k").allowed);
  EXPECT_TRUE(limiter.Take("k").allowed);
  auto refused = limiter.Take("k");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 30);
}

TEST(RateLimiterTest, ZeroMeansNoLimit) {
  ManualClock clock;
  RateLimiter limiter(0, clock);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limiter.Take("k").allowed);
}

}  // namespace
}  // namespace vg::api

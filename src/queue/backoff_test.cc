// BullMQ's retry rule and backoff formulas (fixed, exponential, jitter).
#include "queue/backoff.h"

#include <gtest/gtest.h>

namespace vg::queue {
namespace {

TEST(BackoffTest, RetriesWhileAttemptsRemain) {
  JobOptions options;
  options.attempts = 3;
  EXPECT_TRUE(ShouldRetry(options, 0));
  EXPECT_TRUE(ShouldRetry(options, 1));
  EXPECT_FALSE(ShouldRetry(options, 2));
  options.attempts = 1;
  EXPECT_FALSE(ShouldRetry(options, 0));
  options.attempts = 0;
  EXPECT_FALSE(ShouldRetry(options, 0));
}

TEST(BackoffTest, ExponentialDoublesFromTheBaseDelay) {
  Backoff b{Backoff::Type::kExponential, 5000, 0};
  EXPECT_EQ(BackoffDelayMs(b, 0, 0.5), 5000);
  EXPECT_EQ(BackoffDelayMs(b, 1, 0.5), 10000);
  EXPECT_EQ(BackoffDelayMs(b, 2, 0.5), 20000);
}

TEST(BackoffTest, FixedStaysTheSame) {
  Backoff b{Backoff::Type::kFixed, 300, 0};
  EXPECT_EQ(BackoffDelayMs(b, 0, 0.9), 300);
  EXPECT_EQ(BackoffDelayMs(b, 5, 0.1), 300);
}

TEST(BackoffTest, JitterSpreadsBelowTheDelay) {
  Backoff b{Backoff::Type::kExponential, 200, 0.5};
  // k=2: M = 400; floor(r*400*0.5 + 200).
  EXPECT_EQ(BackoffDelayMs(b, 1, 0.0), 200);
  EXPECT_EQ(BackoffDelayMs(b, 1, 0.5), 300);
  EXPECT_EQ(BackoffDelayMs(b, 1, 0.999), 399);
}

TEST(BackoffTest, NoneIsImmediate) { EXPECT_EQ(BackoffDelayMs({}, 3, 0.5), 0); }

}  // namespace
}  // namespace vg::queue

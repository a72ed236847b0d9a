// CallWithRetries: which errors are retried, how long it waits, when it stops.
#include "net/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace vg::net {
namespace {

TEST(RetryTest, DelaysDoubleUpToTheCap) {
  RetryPolicy policy{.attempts = 10, .first_delay_ms = 250, .max_delay_ms = 1500};
  EXPECT_EQ(RetryDelayMs(policy, 1), 250);
  EXPECT_EQ(RetryDelayMs(policy, 2), 500);
  EXPECT_EQ(RetryDelayMs(policy, 3), 1000);
  EXPECT_EQ(RetryDelayMs(policy, 4), 1500);
  EXPECT_EQ(RetryDelayMs(policy, 60), 1500);
}

TEST(RetryTest, RetriesServerErrorsUntilSuccess) {
  int calls = 0;
  std::vector<int> waits;
  HttpResult result = CallWithRetries(
      {.attempts = 4, .first_delay_ms = 100},
      [&]() -> HttpResult {
        ++calls;
        if (calls < 3) return ErrorForStatus(503);
        HttpResponse response;
        response.status = 200;
        response.body = "ok";
        return response;
      },
      [&](int ms) { waits.push_back(ms); });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().body, "ok");
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(waits, (std::vector<int>{100, 200}));
}

TEST(RetryTest, ClientErrorsAreNotRetried) {
  int calls = 0;
  HttpResult result = CallWithRetries(
      {.attempts = 5, .first_delay_ms = 100},
      [&]() -> HttpResult {
        ++calls;
        return ErrorForStatus(404);
      },
      [](int) {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "HTTP 404");
  EXPECT_FALSE(result.error().retryable);
  EXPECT_EQ(calls, 1);
}

TEST(RetryTest, GivesUpAfterTheLastAttemptWithTheLastError) {
  int calls = 0;
  HttpResult result = CallWithRetries(
      {.attempts = 3, .first_delay_ms = 1},
      [&]() -> HttpResult {
        ++calls;
        return ErrorForStatus(500 + calls);
      },
      [](int) {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(result.error().http_status, 503);
  EXPECT_TRUE(result.error().retryable);
}

}  // namespace
}  // namespace vg::net

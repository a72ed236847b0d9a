// FormatIsoUtc against the C library's gmtime_r over leap days, century rules, times before
// 1970 and millisecond edges.
#include "base/clock.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <random>

namespace vg {
namespace {

std::string ViaGmtime(int64_t unix_ms) {
  int64_t seconds = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) ms += 1000, --seconds;
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

TEST(ClockTest, FormatIsoUtcMatchesGmtime) {
  EXPECT_EQ(FormatIsoUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoUtc(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIsoUtc(4107542399999), "2100-02-28T23:59:59.999Z");
  EXPECT_EQ(FormatIsoUtc(4107542400000), "2100-03-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoUtc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoUtc(253402300799999), "9999-12-31T23:59:59.999Z");
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> any(-62135596800000, 253402300799999);  // years 1..9999
  for (int i = 0; i < 200000; ++i) {
    int64_t ms = any(random);
    ASSERT_EQ(FormatIsoUtc(ms), ViaGmtime(ms)) << ms;
  }
}

}  // namespace
}  // namespace vg

// Clock: the time source, an interface so tests can control time. SystemClock is the real one.
// Both are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace vg {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (job timestamps, signed URL expiry).
  virtual int64_t NowUnixMs() const = 0;
  // Monotonic time for durations and timeouts.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowUnixMs() const override;
  std::chrono::steady_clock::time_point Now() const override { return std::chrono::steady_clock::now(); }
};

// ISO-8601 UTC with milliseconds: "2026-11-25T18:40:11.123Z".
std::string FormatIsoUtc(int64_t unix_ms);

}  // namespace vg

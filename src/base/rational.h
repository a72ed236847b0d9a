// Exact rationals for frame rates and times (30000/1001 for 29.97 fps), and FrameIndex.
// Frame timing is computed from integers, never from an accumulated float time.
#pragma once

#include <cstdint>
#include <numeric>

#include "base/check.h"

namespace vg {

// A frame number, 0-based.
using FrameIndex = int64_t;

struct Rational {
  int64_t num = 0;
  int64_t den = 1;

  constexpr Rational() = default;
  constexpr Rational(int64_t n, int64_t d) : num(n), den(d) { Normalize(); }

  constexpr double ToDouble() const { return static_cast<double>(num) / static_cast<double>(den); }
  constexpr bool operator==(const Rational&) const = default;

  // An fps value from a template: 23.976, 29.97 and 59.94 mean the NTSC rationals; other
  // values are taken to the nearest 1/1000.
  static Rational FromFps(double fps);

 private:
  constexpr void Normalize() {
    VG_CHECK(den != 0);
    if (den < 0) {
      num = -num;
      den = -den;
    }
    int64_t g = std::gcd(num < 0 ? -num : num, den);
    if (g > 1) {
      num /= g;
      den /= g;
    }
  }
};

// round(seconds × rate) with halves rounded up: the frame (or sample) a time lands on.
int64_t RoundTimeToIndex(double seconds, Rational rate);

// The time of index `index` at `rate`, in seconds.
inline double IndexToSeconds(int64_t index, Rational rate) {
  return static_cast<double>(index) * static_cast<double>(rate.den) /
         static_cast<double>(rate.num);
}

}  // namespace vg

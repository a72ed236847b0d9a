// Frame-rate parsing and the time → index rounding rule of TEMPLATE-FORMAT.md.
#include "base/rational.h"

#include <cmath>

namespace vg {

Rational Rational::FromFps(double fps) {
  if (std::fabs(fps - 23.976) < 1e-9) return Rational(24000, 1001);
  if (std::fabs(fps - 29.97) < 1e-9) return Rational(30000, 1001);
  if (std::fabs(fps - 59.94) < 1e-9) return Rational(60000, 1001);
  if (std::fabs(fps - 119.88) < 1e-9) return Rational(120000, 1001);
  return Rational(static_cast<int64_t>(std::llround(fps * 1000.0)), 1000);
}

int64_t RoundTimeToIndex(double seconds, Rational rate) {
  // seconds × num / den, rounding halves up. A tiny epsilon absorbs binary noise such as
  // 1.0 × 29.97 landing on 29.969999..., so decimal inputs round as a person computes them.
  long double exact = static_cast<long double>(seconds) * rate.num / rate.den;
  return static_cast<int64_t>(std::floor(exact + 0.5L + 1e-9L));
}

}  // namespace vg

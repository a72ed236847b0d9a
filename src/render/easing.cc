// Easing implementations. The named families follow easings.net's formulas; the CSS keywords
// are cubic-beziers; spring() integrates the same damped-oscillator closed form Remotion uses.
#include "render/easing.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace vg::render {
namespace {

using K = tmpl::EasingKind;
constexpr double kPi = std::numbers::pi;

double BounceOut(double x) {
  constexpr double n1 = 7.5625, d1 = 2.75;
  if (x < 1 / d1) return n1 * x * x;
  if (x < 2 / d1) {
    x -= 1.5 / d1;
    return n1 * x * x + 0.75;
  }
  if (x < 2.5 / d1) {
    x -= 2.25 / d1;
    return n1 * x * x + 0.9375;
  }
  x -= 2.625 / d1;
  return n1 * x * x + 0.984375;
}

double Named(K kind, double x) {
  constexpr double c1 = 1.70158, c2 = c1 * 1.525, c3 = c1 + 1;
  constexpr double c4 = (2 * kPi) / 3, c5 = (2 * kPi) / 4.5;
  switch (kind) {
    case K::kQuadIn: return x * x;
    case K::kQuadOut: return 1 - (1 - x) * (1 - x);
    case K::kQuadInOut: return x < 0.5 ? 2 * x * x : 1 - std::pow(-2 * x + 2, 2) / 2;
    case K::kCubicIn: return x * x * x;
    case K::kCubicOut: return 1 - std::pow(1 - x, 3);
    case K::kCubicInOut: return x < 0.5 ? 4 * x * x * x : 1 - std::pow(-2 * x + 2, 3) / 2;
    case K::kQuartIn: return x * x * x * x;
    case K::kQuartOut: return 1 - std::pow(1 - x, 4);
    case K::kQuartInOut: return x < 0.5 ? 8 * std::pow(x, 4) : 1 - std::pow(-2 * x + 2, 4) / 2;
    case K::kExpoIn: return x == 0 ? 0 : std::pow(2, 10 * x - 10);
    case K::kExpoOut: return x == 1 ? 1 : 1 - std::pow(2, -10 * x);
    case K::kExpoInOut:
      if (x == 0 || x == 1) return x;
      return x < 0.5 ? std::pow(2, 20 * x - 10) / 2 : (2 - std::pow(2, -20 * x + 10)) / 2;
    case K::kBackIn: return c3 * x * x * x - c1 * x * x;
    case K::kBackOut: return 1 + c3 * std::pow(x - 1, 3) + c1 * std::pow(x - 1, 2);
    case K::kBackInOut:
      return x < 0.5 ? (std::pow(2 * x, 2) * ((c2 + 1) * 2 * x - c2)) / 2
                     : (std::pow(2 * x - 2, 2) * ((c2 + 1) * (x * 2 - 2) + c2) + 2) / 2;
    case K::kElasticIn:
      if (x == 0 || x == 1) return x;
      return -std::pow(2, 10 * x - 10) * std::sin((x * 10 - 10.75) * c4);
    case K::kElasticOut:
      if (x == 0 || x == 1) return x;
      return std::pow(2, -10 * x) * std::sin((x * 10 - 0.75) * c4) + 1;
    case K::kElasticInOut:
      if (x == 0 || x == 1) return x;
      return x < 0.5 ? -(std::pow(2, 20 * x - 10) * std::sin((20 * x - 11.125) * c5)) / 2
                     : (std::pow(2, -20 * x + 10) * std::sin((20 * x - 11.125) * c5)) / 2 + 1;
    case K::kBounceIn: return 1 - BounceOut(1 - x);
    case K::kBounceOut: return BounceOut(x);
    case K::kBounceInOut:
      return x < 0.5 ? (1 - BounceOut(1 - 2 * x)) / 2 : (1 + BounceOut(2 * x - 1)) / 2;
    default: return x;
  }
}

}  // namespace

double CubicBezier(double x1, double y1, double x2, double y2, double t) {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  // Polynomial coefficients of the curve, as in WebKit's UnitBezier.
  const double cx = 3 * x1, bx = 3 * (x2 - x1) - cx, ax = 1 - cx - bx;
  const double cy = 3 * y1, by = 3 * (y2 - y1) - cy, ay = 1 - cy - by;
  auto sample_x = [&](double s) { return ((ax * s + bx) * s + cx) * s; };
  auto sample_y = [&](double s) { return ((ay * s + by) * s + cy) * s; };
  auto slope_x = [&](double s) { return (3 * ax * s + 2 * bx) * s + cx; };
  double s = t;
  for (int i = 0; i < 8; ++i) {
    double err = sample_x(s) - t;
    if (std::fabs(err) < 1e-7) return sample_y(s);
    double d = slope_x(s);
    if (std::fabs(d) < 1e-6) break;
    s -= err / d;
  }
  double lo = 0, hi = 1;
  s = t;
  for (int i = 0; i < 60; ++i) {
    double x = sample_x(s);
    if (std::fabs(x - t) < 1e-7) break;
    if (x < t) lo = s; else hi = s;
    s = (lo + hi) / 2;
  }
  return sample_y(s);
}

double Ease(const tmpl::Easing& easing, double t) {
  t = std::clamp(t, 0.0, 1.0);
  switch (easing.kind) {
    case K::kLinear: return t;
    case K::kEaseIn: return CubicBezier(0.42, 0, 1, 1, t);
    case K::kEaseOut: return CubicBezier(0, 0, 0.58, 1, t);
    case K::kEaseInOut: return CubicBezier(0.42, 0, 0.58, 1, t);
    case K::kCubicBezier:
      return CubicBezier(easing.bezier[0], easing.bezier[1], easing.bezier[2], easing.bezier[3], t);
    case K::kSteps: {
      // CSS steps(n) = steps(n, jump-end): the value jumps at the end of each interval.
      int n = std::max(1, easing.steps);
      if (t >= 1) return 1;
      return std::floor(t * n) / n;
    }
    case K::kSpring: return t;  // handled by the caller with SpringValue
    default: return Named(easing.kind, t);
  }
}

double SpringValue(const tmpl::Spring& spring, double seconds) {
  // Remotion's spring() advances a damped oscillator from 0 towards 1 with the closed-form
  // solution (as in its springCalculation, after Wobble): x(t) = target - displacement.
  if (seconds <= 0) return 0;
  const double k = spring.stiffness, c = spring.damping, m = spring.mass;
  const double zeta = c / (2 * std::sqrt(k * m));
  const double omega0 = std::sqrt(k / m);
  const double omega1 = omega0 * std::sqrt(std::max(0.0, 1 - zeta * zeta));
  const double x0 = 1;  // from - to, normalised: starts 1 away from the target
  const double v0 = 0;  // at rest
  const double t = seconds;
  double displacement;
  if (zeta < 1) {
    const double envelope = std::exp(-zeta * omega0 * t);
    displacement = envelope * (((v0 + zeta * omega0 * x0) / omega1) * std::sin(omega1 * t) +
                               x0 * std::cos(omega1 * t));
  } else if (zeta == 1) {
    displacement = std::exp(-omega0 * t) * (x0 + (v0 + omega0 * x0) * t);
  } else {
    // Overdamped: two real exponentials.
    const double root = omega0 * std::sqrt(zeta * zeta - 1);
    const double r1 = -zeta * omega0 + root, r2 = -zeta * omega0 - root;
    const double a = (v0 - r2 * x0) / (r1 - r2);
    const double b = x0 - a;
    displacement = a * std::exp(r1 * t) + b * std::exp(r2 * t);
  }
  return 1 - displacement;
}

double SpringDurationSeconds(const tmpl::Spring& spring) {
  // Like Remotion's measureSpring: the first time from which the spring stays within the
  // threshold of its target, sampled at 1 ms steps.
  constexpr double kThreshold = 0.005, kStep = 0.001, kMax = 60;
  double last_outside = 0;
  for (double t = 0; t <= kMax; t += kStep) {
    if (std::fabs(1 - SpringValue(spring, t)) > kThreshold) last_outside = t;
    // Once the envelope alone is below the threshold, nothing later can leave it.
    const double zeta = spring.damping / (2 * std::sqrt(spring.stiffness * spring.mass));
    const double omega0 = std::sqrt(spring.stiffness / spring.mass);
    if (zeta > 0 && zeta < 1 && t > last_outside + 0.05 &&
        std::exp(-zeta * omega0 * t) * (1 + zeta / std::sqrt(1 - zeta * zeta)) < kThreshold) {
      break;
    }
  }
  return std::min(kMax, last_outside + kStep);
}

}  // namespace vg::render

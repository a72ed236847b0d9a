// Easing functions of TEMPLATE-FORMAT.md: CSS's ease-in/out (cubic-bezier), easings.net's
// named families, cubic-bezier(x1,y1,x2,y2), steps(n), and Remotion's spring(). Pure
// functions, thread-safe.
#pragma once

#include "tmpl/template.h"

namespace vg::render {

// Progress in [0, 1] (Back/Elastic/spring may overshoot) for a segment `t` of the way through
// (t in [0, 1]). kSpring is not handled here (it has its own time base): see SpringValue.
double Ease(const tmpl::Easing& easing, double t);

// cubic-bezier(x1, y1, x2, y2) at x = t, solved as CSS does (Newton with a bisection fallback).
double CubicBezier(double x1, double y1, double x2, double y2, double t);

// Remotion's spring(): the displacement from 0 towards 1 of a damped spring after
// `seconds`, starting at rest (Remotion's default: no overshootClamping).
double SpringValue(const tmpl::Spring& spring, double seconds);

// The time after which the spring stays within 0.005 of its target (its natural duration,
// as Remotion's measureSpring() with threshold 0.005). Bounded to 60 s.
double SpringDurationSeconds(const tmpl::Spring& spring);

}  // namespace vg::render

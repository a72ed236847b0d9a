// Keyframe animation: the value of one animated property at a clip time, with per-segment
// easing, springs that run for their natural duration, and colour interpolation. Pure
// functions, thread-safe.
#pragma once

#include "tmpl/template.h"

namespace vg::render {

// A compiled animation: the template's keyframes plus what is precomputed once (spring
// durations). Immutable after construction.
class AnimationCurve {
 public:
  AnimationCurve(const tmpl::Animation& animation, double percent_base);
  tmpl::Property property() const { return property_; }
  // The value at `t` seconds from the clip's start. Before the first keyframe the first value
  // holds; after the last, the last value (a spring into the last keyframe keeps running until
  // it settles). x/y percent values are resolved against percent_base (frame width/height).
  double Value(double t) const;
  tmpl::Color ColorValue(double t) const;  // for Property::kColor
  // The largest and smallest values the curve reaches (springs and Back/Elastic overshoot
  // included, sampled), for sizing caches.
  double MaxValue() const;

 private:
  double Progress(size_t segment, double t) const;
  size_t SegmentAt(double t) const;

  tmpl::Property property_;
  std::vector<tmpl::Keyframe> keyframes_;
  std::vector<tmpl::Easing> easings_;  // easing of the segment starting at keyframe i
  std::vector<double> values_;         // resolved numeric values
};

// Interpolates premultiplied (as CSS does) between two straight colours.
tmpl::Color MixColor(const tmpl::Color& a, const tmpl::Color& b, double p);

}  // namespace vg::render

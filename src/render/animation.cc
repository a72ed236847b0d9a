// Keyframe evaluation. Segments are found by binary search; a spring segment measures its
// time from its first keyframe and is not stretched to the gap (TEMPLATE-FORMAT.md).
#include "render/animation.h"

#include <algorithm>

#include "render/easing.h"

namespace vg::render {

AnimationCurve::AnimationCurve(const tmpl::Animation& animation, double percent_base)
    : property_(animation.property), keyframes_(animation.keyframes) {
  VG_CHECK(!keyframes_.empty());
  for (const auto& k : keyframes_) {
    easings_.push_back(k.easing.value_or(animation.easing));
    values_.push_back(k.percent ? k.value * percent_base / 100.0 : k.value);
  }
}

size_t AnimationCurve::SegmentAt(double t) const {
  // The last keyframe whose time is <= t.
  auto it = std::upper_bound(keyframes_.begin(), keyframes_.end(), t,
                             [](double time, const tmpl::Keyframe& k) { return time < k.time; });
  return static_cast<size_t>(it - keyframes_.begin()) - 1;
}

double AnimationCurve::Progress(size_t i, double t) const {
  const tmpl::Easing& easing = easings_[i];
  const double t0 = keyframes_[i].time;
  if (easing.kind == tmpl::EasingKind::kSpring) return SpringValue(easing.spring, t - t0);
  const double t1 = keyframes_[i + 1].time;
  if (t1 <= t0) return 1;
  return Ease(easing, (t - t0) / (t1 - t0));
}

double AnimationCurve::Value(double t) const {
  if (keyframes_.size() == 1 || t <= keyframes_.front().time) return values_.front();
  size_t i = SegmentAt(t);
  if (i + 1 >= keyframes_.size()) {
    // After the last keyframe: a spring that led here keeps running until it settles.
    size_t prev = keyframes_.size() - 2;
    if (easings_[prev].kind == tmpl::EasingKind::kSpring) {
      double p = Progress(prev, t);
      return values_[prev] + (values_[prev + 1] - values_[prev]) * p;
    }
    return values_.back();
  }
  double p = Progress(i, t);
  return values_[i] + (values_[i + 1] - values_[i]) * p;
}

tmpl::Color MixColor(const tmpl::Color& a, const tmpl::Color& b, double p) {
  double alpha = a.a + (b.a - a.a) * p;
  if (alpha <= 0) return {0, 0, 0, 0};
  auto channel = [&](double ca, double cb) {
    return std::clamp((ca * a.a + (cb * b.a - ca * a.a) * p) / alpha, 0.0, 1.0);
  };
  return {channel(a.r, b.r), channel(a.g, b.g), channel(a.b, b.b), std::clamp(alpha, 0.0, 1.0)};
}

tmpl::Color AnimationCurve::ColorValue(double t) const {
  if (keyframes_.size() == 1 || t <= keyframes_.front().time) return keyframes_.front().color;
  size_t i = SegmentAt(t);
  if (i + 1 >= keyframes_.size()) {
    size_t prev = keyframes_.size() - 2;
    if (easings_[prev].kind == tmpl::EasingKind::kSpring) {
      return MixColor(keyframes_[prev].color, keyframes_[prev + 1].color, Progress(prev, t));
    }
    return keyframes_.back().color;
  }
  return MixColor(keyframes_[i].color, keyframes_[i + 1].color, Progress(i, t));
}

double AnimationCurve::MaxValue() const {
  double best = *std::max_element(values_.begin(), values_.end());
  if (keyframes_.size() < 2) return best;
  // Overshooting easings: sample each segment (and a spring's tail).
  const double end = keyframes_.back().time + 5;
  for (double t = keyframes_.front().time; t <= end; t += 0.01) best = std::max(best, Value(t));
  return best;
}

}  // namespace vg::render

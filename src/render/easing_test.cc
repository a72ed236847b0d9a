#include "render/easing.h"

#include <gtest/gtest.h>

#include "render/animation.h"

namespace vg::render {
namespace {

using K = tmpl::EasingKind;

tmpl::Keyframe Key(double time, double value, bool percent = false) {
  tmpl::Keyframe k;
  k.time = time;
  k.value = value;
  k.percent = percent;
  return k;
}

tmpl::Easing Of(K kind) {
  tmpl::Easing e;
  e.kind = kind;
  return e;
}

TEST(EasingTest, EndpointsAreExact) {
  for (int k = static_cast<int>(K::kLinear); k <= static_cast<int>(K::kBounceInOut); ++k) {
    SCOPED_TRACE(k);
    EXPECT_NEAR(Ease(Of(static_cast<K>(k)), 0), 0, 1e-9);
    EXPECT_NEAR(Ease(Of(static_cast<K>(k)), 1), 1, 1e-9);
  }
}

TEST(EasingTest, KnownValuesAtKnownTimes) {
  EXPECT_DOUBLE_EQ(Ease(Of(K::kLinear), 0.25), 0.25);
  EXPECT_DOUBLE_EQ(Ease(Of(K::kQuadIn), 0.5), 0.25);
  EXPECT_DOUBLE_EQ(Ease(Of(K::kCubicOut), 0.5), 0.875);
  EXPECT_DOUBLE_EQ(Ease(Of(K::kCubicInOut), 0.25), 0.0625);
  EXPECT_DOUBLE_EQ(Ease(Of(K::kQuartIn), 0.5), 0.0625);
  EXPECT_NEAR(Ease(Of(K::kExpoOut), 0.5), 1 - 1.0 / 32, 1e-12);
  EXPECT_NEAR(Ease(Of(K::kBackIn), 0.5), -0.0876975, 1e-6);  // easings.net's easeInBack
  EXPECT_NEAR(Ease(Of(K::kBounceOut), 0.5), 0.765625, 1e-9);
  EXPECT_NEAR(Ease(Of(K::kElasticOut), 0.5), 1.015625, 1e-6);
  // CSS ease-in-out is symmetric; ease-in at 0.5 is about 0.3153 (browsers agree).
  EXPECT_NEAR(Ease(Of(K::kEaseInOut), 0.5), 0.5, 1e-6);
  EXPECT_NEAR(Ease(Of(K::kEaseIn), 0.5), 0.3153, 1e-3);
  EXPECT_NEAR(Ease(Of(K::kEaseOut), 0.5), 0.6847, 1e-3);
}

TEST(EasingTest, CubicBezierMatchesLinearAndCss) {
  EXPECT_NEAR(CubicBezier(0, 0, 1, 1, 0.3), 0.3, 1e-6);
  EXPECT_NEAR(CubicBezier(0.25, 0.1, 0.25, 1, 0.5), 0.8024, 1e-3);  // CSS `ease`
}

TEST(EasingTest, StepsJumpAtTheEndOfEachInterval) {
  tmpl::Easing e = Of(K::kSteps);
  e.steps = 4;
  EXPECT_DOUBLE_EQ(Ease(e, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(Ease(e, 0.24), 0.0);
  EXPECT_DOUBLE_EQ(Ease(e, 0.25), 0.25);
  EXPECT_DOUBLE_EQ(Ease(e, 0.99), 0.75);
  EXPECT_DOUBLE_EQ(Ease(e, 1.0), 1.0);
}

TEST(EasingTest, SpringLikeRemotion) {
  tmpl::Spring s;  // stiffness 100, damping 10, mass 1: under-damped, overshoots
  EXPECT_DOUBLE_EQ(SpringValue(s, 0), 0);
  double peak = 0;
  for (double t = 0; t < 2; t += 0.001) peak = std::max(peak, SpringValue(s, t));
  EXPECT_GT(peak, 1.1);  // zeta 0.5 overshoots by exp(-pi*zeta/sqrt(1-zeta^2)) ≈ 16 %
  EXPECT_NEAR(peak, 1.163, 0.01);
  EXPECT_NEAR(SpringValue(s, 5), 1, 1e-3);
  double d = SpringDurationSeconds(s);
  EXPECT_GT(d, 0.5);
  EXPECT_LT(d, 1.5);
  // Critically damped: no overshoot.
  tmpl::Spring stiff{100, 20, 1};
  for (double t = 0; t < 3; t += 0.01) EXPECT_LE(SpringValue(stiff, t), 1 + 1e-9);
}

TEST(AnimationTest, HoldsOutsideKeyframesAndInterpolatesInside) {
  tmpl::Animation a;
  a.property = tmpl::Property::kY;
  a.keyframes = {Key(1, 100), Key(2, 200)};
  AnimationCurve c(a, 1080);
  EXPECT_DOUBLE_EQ(c.Value(0), 100);
  EXPECT_DOUBLE_EQ(c.Value(1.5), 150);
  EXPECT_DOUBLE_EQ(c.Value(3), 200);
}

TEST(AnimationTest, PerKeyframeEasingAndPercent) {
  tmpl::Animation a;
  a.property = tmpl::Property::kX;
  tmpl::Keyframe k0 = Key(0, 0, true);
  k0.easing = Of(K::kQuadIn);
  a.keyframes = {k0, Key(1, 50, true), Key(2, 0)};
  AnimationCurve c(a, 1000);
  EXPECT_DOUBLE_EQ(c.Value(0.5), 500 * 0.25);  // quad-in segment towards 500 px
  EXPECT_DOUBLE_EQ(c.Value(1.5), 250);         // linear back to 0
}

TEST(AnimationTest, SpringRunsPastTheLastKeyframeUntilSettled) {
  tmpl::Animation a;
  a.property = tmpl::Property::kScale;
  a.easing = Of(K::kSpring);
  a.keyframes = {Key(0, 0), Key(0.2, 1)};
  AnimationCurve c(a, 0);
  // Not stretched to the 0.2 s gap: at 0.2 s the spring is still rising.
  EXPECT_LT(c.Value(0.2), 0.9);
  EXPECT_NEAR(c.Value(0.3), SpringValue(tmpl::Spring{}, 0.3), 1e-12);
  EXPECT_NEAR(c.Value(10), 1, 1e-3);
  EXPECT_GT(c.MaxValue(), 1.1);
}

TEST(AnimationTest, ColorsMixPremultiplied) {
  tmpl::Color red{1, 0, 0, 1}, clear{0, 0, 1, 0};
  tmpl::Color mid = MixColor(red, clear, 0.5);
  EXPECT_DOUBLE_EQ(mid.a, 0.5);
  EXPECT_DOUBLE_EQ(mid.r, 1);  // a transparent colour contributes no hue
  EXPECT_DOUBLE_EQ(mid.b, 0);
}

}  // namespace
}  // namespace vg::render

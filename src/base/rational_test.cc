#include "base/rational.h"

#include <gtest/gtest.h>

namespace vg {
namespace {

TEST(RationalTest, NtscRatesAreExact) {
  EXPECT_EQ(Rational::FromFps(29.97), Rational(30000, 1001));
  EXPECT_EQ(Rational::FromFps(23.976), Rational(24000, 1001));
  EXPECT_EQ(Rational::FromFps(59.94), Rational(60000, 1001));
  EXPECT_EQ(Rational::FromFps(30), Rational(30, 1));
  EXPECT_EQ(Rational::FromFps(12.5), Rational(25, 2));
}

TEST(RationalTest, RoundsHalvesUp) {
  EXPECT_EQ(RoundTimeToIndex(1.0, Rational(30, 1)), 30);
  EXPECT_EQ(RoundTimeToIndex(0.5 / 30.0, Rational(30, 1)), 1);  // exactly half a frame
  EXPECT_EQ(RoundTimeToIndex(0.49 / 30.0, Rational(30, 1)), 0);
  EXPECT_EQ(RoundTimeToIndex(0.02, Rational(25, 1)), 1);        // 0.5 → 1
  EXPECT_EQ(RoundTimeToIndex(1.0, Rational(30000, 1001)), 30);  // 29.97 → 30
  EXPECT_EQ(RoundTimeToIndex(10.0, Rational(30000, 1001)), 300);  // 299.7 → 300
  EXPECT_EQ(RoundTimeToIndex(1.0, Rational(48000, 1)), 48000);
}

TEST(RationalTest, IndexToSeconds) {
  EXPECT_DOUBLE_EQ(IndexToSeconds(30, Rational(30, 1)), 1.0);
  EXPECT_NEAR(IndexToSeconds(30, Rational(30000, 1001)), 1.001, 1e-12);
}

}  // namespace
}  // namespace vg

#include "render/color_convert.h"

#include <gtest/gtest.h>

#include <vector>

namespace vg::render {
namespace {

struct Yuv {
  int y, u, v;
};

Yuv Convert(uint8_t r, uint8_t g, uint8_t b) {
  const int w = 64, h = 2;
  std::vector<uint8_t> bgra(w * h * 4);
  for (int i = 0; i < w * h; ++i) {
    bgra[4 * i] = b;
    bgra[4 * i + 1] = g;
    bgra[4 * i + 2] = r;
    bgra[4 * i + 3] = 255;
  }
  std::vector<uint8_t> y(w * h), u(w / 2), v(w / 2);
  ConvertBgraToYuv420Bt709(bgra.data(), w * 4, w, h, {y.data(), w, u.data(), w / 2, v.data(), w / 2});
  for (int i = 1; i < w * h; ++i) EXPECT_EQ(y[i], y[0]);
  return {y[0], u[0], v[0]};
}

TEST(ColorConvertTest, Bt709LimitedRangeReferenceColours) {
  // Reference values from the BT.709 equations (limited range, rounded).
  Yuv black = Convert(0, 0, 0);
  EXPECT_EQ(black.y, 16);
  EXPECT_EQ(black.u, 128);
  EXPECT_EQ(black.v, 128);
  Yuv white = Convert(255, 255, 255);
  EXPECT_EQ(white.y, 235);
  EXPECT_EQ(white.u, 128);
  EXPECT_EQ(white.v, 128);
  Yuv red = Convert(255, 0, 0);
  EXPECT_EQ(red.y, 63);
  EXPECT_EQ(red.u, 102);
  EXPECT_EQ(red.v, 240);
  Yuv green = Convert(0, 255, 0);
  EXPECT_EQ(green.y, 173);
  EXPECT_EQ(green.u, 42);
  EXPECT_EQ(green.v, 26);
  Yuv blue = Convert(0, 0, 255);
  EXPECT_EQ(blue.y, 32);
  EXPECT_EQ(blue.u, 240);
  EXPECT_EQ(blue.v, 118);
}

}  // namespace
}  // namespace vg::render

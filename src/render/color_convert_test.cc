#include "render/color_convert.h"

#include <gtest/gtest.h>

#include <random>
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
  ConvertBgraToYuv420Bt709(bgra.data(), w * 4, w, h,
                           {y.data(), w, u.data(), w / 2, v.data(), w / 2});
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

TEST(ColorConvertTest, EveryPixelFollowsTheFormula) {
  // A noisy frame whose width is not a multiple of the vector widths (the row tails take
  // another path), with premultiplied pixels of every alpha, against the equations done one
  // pixel at a time: Y = 16 + (0.2126 R + 0.7152 G + 0.0722 B) × 219/255 and Cb, Cr of each
  // 2 × 2 block's mean, in the same 15-bit fixed point (exact integers, so no tolerance).
  const int w = 1922, h = 6;
  std::mt19937 random(11);
  std::vector<uint8_t> bgra(static_cast<size_t>(w) * h * 4);
  for (size_t i = 0; i < bgra.size(); i += 4) {
    const int alpha = static_cast<int>(random() % 256);
    for (int c = 0; c < 3; ++c) bgra[i + c] = static_cast<uint8_t>(random() % (alpha + 1));
    bgra[i + 3] = static_cast<uint8_t>(alpha);
  }
  std::vector<uint8_t> y(static_cast<size_t>(w) * h), u(static_cast<size_t>(w / 2) * (h / 2)),
      v(u.size());
  ConvertBgraToYuv420Bt709(bgra.data(), w * 4, w, h,
                           {y.data(), w, u.data(), w / 2, v.data(), w / 2});
  auto at = [&](int x, int row, int c) { return bgra[(static_cast<size_t>(row) * w + x) * 4 + c]; };
  for (int row = 0; row < h; ++row) {
    for (int x = 0; x < w; ++x) {
      const int expected = (5983 * at(x, row, 2) + 20127 * at(x, row, 1) + 2032 * at(x, row, 0) +
                            (16 << 15) + (1 << 14)) >>
                           15;
      ASSERT_EQ(y[static_cast<size_t>(row) * w + x], expected) << "Y at " << x << "," << row;
    }
  }
  for (int row = 0; row < h / 2; ++row) {
    for (int x = 0; x < w / 2; ++x) {
      int r = 0, g = 0, b = 0;
      for (int dy = 0; dy < 2; ++dy) {
        for (int dx = 0; dx < 2; ++dx) {
          r += at(2 * x + dx, 2 * row + dy, 2);
          g += at(2 * x + dx, 2 * row + dy, 1);
          b += at(2 * x + dx, 2 * row + dy, 0);
        }
      }
      const int offset = 4 * ((128 << 15) + (1 << 14));
      const size_t i = static_cast<size_t>(row) * (w / 2) + x;
      ASSERT_EQ(u[i], (-3298 * r - 11094 * g + 14392 * b + offset) >> 17)
          << "U at " << x << "," << row;
      ASSERT_EQ(v[i], (14392 * r - 13073 * g - 1319 * b + offset) >> 17)
          << "V at " << x << "," << row;
    }
  }
}

}  // namespace
}  // namespace vg::render

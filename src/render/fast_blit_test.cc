// The scaled-blit fast path against Cairo's own bilinear painting (what the frame would look
// like without it), plus the properties a viewer would notice: an opaque photo stays opaque
// when scaled, clips are honoured, and the cases the fast path does not handle are left to
// Cairo.
#include "render/fast_blit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include "render/paint.h"

namespace vg::render {
namespace {

// A premultiplied bitmap of random colours; `opaque` makes every alpha 255, otherwise alphas
// vary (some fully transparent).
assets::Bitmap RandomBitmap(int width, int height, bool opaque, uint32_t seed) {
  std::mt19937 random(seed);
  assets::Bitmap b = assets::Bitmap::Allocate(width, height);
  for (size_t i = 0; i < b.pixels.size(); i += 4) {
    const int alpha = opaque ? 255 : static_cast<int>(random() % 4 == 0 ? 0 : random() % 256);
    for (int c = 0; c < 3; ++c) b.pixels[i + c] = static_cast<uint8_t>(random() % (alpha + 1));
    b.pixels[i + 3] = static_cast<uint8_t>(alpha);
  }
  return b;
}

struct Placement {
  double scale_x, scale_y, x, y, alpha, pixel_scale;
};

// Draws `source` with the transform either through the fast path or through Cairo, onto a
// copy of `background`. Returns whether the fast path drew.
bool Draw(const assets::Bitmap& source, const Placement& p, bool fast, assets::Bitmap& target) {
  SurfacePtr surface = WrapBitmap(target);
  CairoPtr cr(cairo_create(surface.get()));
  cairo_translate(cr.get(), p.x, p.y);
  cairo_scale(cr.get(), p.scale_x, p.scale_y);
  bool drew = false;
  if (fast) {
    drew = TryFastScaledPaint(cr.get(), source, p.pixel_scale, 0, 0, p.alpha);
  } else {
    SurfacePtr image = WrapBitmap(source);
    cairo_scale(cr.get(), 1 / p.pixel_scale, 1 / p.pixel_scale);
    cairo_set_source_surface(cr.get(), image.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr.get()), CAIRO_FILTER_BILINEAR);
    cairo_paint_with_alpha(cr.get(), p.alpha);
  }
  cr.reset();
  cairo_surface_flush(surface.get());
  return drew;
}

// Noise is the hardest case for two bilinear filters to agree on (neighbours differ by up to
// 255, so weights rounded to 1/128 against pixman's truncated ones move a sample by a level
// or two per axis); photos and text differ by less.
TEST(FastBlitTest, MatchesCairoBilinearWithinAFewLevels) {
  const assets::Bitmap background = RandomBitmap(96, 80, true, 1);
  const Placement placements[] = {
      {1.15, 1.15, 10.3, 7.6, 0.85, 1},  // Ken Burns zoom, faded
      {0.7, 0.9, -3.25, 12.5, 1, 1},     // shrinking, partly off the left edge
      {2.3, 1.7, 5.5, -4.2, 0.4, 1},     // enlarging, off the top
      {1, 1, 20.5, 30.25, 1, 1},         // unscaled, half-pixel offset (moving text)
      {1.2, 1.2, 3, 4, 1, 2},            // a cache drawn at pixel scale 2
      {1, 1, 20, 30, 0.7, 1},            // unscaled on whole pixels, faded (a shape at rest)
      {1, 1, -5, 61, 1, 1},              // the same, partly outside the frame
  };
  for (bool opaque : {true, false}) {
    const assets::Bitmap source = RandomBitmap(41, 29, opaque, opaque ? 2 : 3);
    for (const Placement& p : placements) {
      assets::Bitmap fast = background, cairo = background;
      ASSERT_TRUE(Draw(source, p, true, fast));
      Draw(source, p, false, cairo);
      int worst = 0;
      double total = 0;
      for (size_t i = 0; i < fast.pixels.size(); ++i) {
        const int d = std::abs(fast.pixels[i] - cairo.pixels[i]);
        worst = std::max(worst, d);
        total += d;
      }
      SCOPED_TRACE(testing::Message() << "opaque " << opaque << ", scale " << p.scale_x << "×"
                                      << p.scale_y << " at " << p.x << "," << p.y);
      EXPECT_LE(worst, 4);
      EXPECT_LT(total / static_cast<double>(fast.pixels.size()), 0.3);
    }
  }
}

TEST(FastBlitTest, ScaledOpaqueImageStaysOpaqueAndKeepsWhite) {
  // A white photo zoomed by 10 %: inside its footprint nothing of the black frame may show,
  // and white stays 255 (a filter whose weights do not sum to one darkens and thins it).
  assets::Bitmap white = assets::Bitmap::Allocate(64, 48);
  std::fill(white.pixels.begin(), white.pixels.end(), 255);
  assets::Bitmap frame = assets::Bitmap::Allocate(80, 60);
  for (size_t i = 3; i < frame.pixels.size(); i += 4) frame.pixels[i] = 255;
  ASSERT_TRUE(Draw(white, {1.1, 1.1, 2.4, 3.7, 1, 1}, true, frame));
  for (int y = 5; y < 54; ++y) {
    for (int x = 4; x < 71; ++x) {
      const uint8_t* p = frame.pixels.data() + static_cast<size_t>(y) * frame.stride + 4 * x;
      ASSERT_EQ(p[0] + p[1] + p[2] + p[3], 4 * 255) << "at " << x << "," << y;
    }
  }
}

TEST(FastBlitTest, HonoursARectangularClip) {
  const assets::Bitmap source = RandomBitmap(30, 30, true, 4);
  const assets::Bitmap background = RandomBitmap(50, 50, true, 5);
  assets::Bitmap target = background;
  SurfacePtr surface = WrapBitmap(target);
  CairoPtr cr(cairo_create(surface.get()));
  cairo_rectangle(cr.get(), 10, 12, 20, 15);
  cairo_clip(cr.get());
  cairo_scale(cr.get(), 1.3, 1.3);
  ASSERT_TRUE(TryFastScaledPaint(cr.get(), source, 1, 0, 0, 1));
  cr.reset();
  int changed_inside = 0;
  for (int y = 0; y < 50; ++y) {
    for (int x = 0; x < 50; ++x) {
      const size_t i = static_cast<size_t>(y) * target.stride + 4 * x;
      const bool inside = x >= 10 && x < 30 && y >= 12 && y < 27;
      const bool same = std::equal(target.pixels.begin() + i, target.pixels.begin() + i + 4,
                                   background.pixels.begin() + i);
      if (!inside) {
        ASSERT_TRUE(same) << "drawn outside the clip at " << x << "," << y;
      }
      changed_inside += inside && !same;
    }
  }
  EXPECT_GT(changed_inside, 250);
}

TEST(FastBlitTest, PaintingOverABackdropEqualsCopyingItFirst) {
  // The compositor hands a covering background to the next layer as a backdrop instead of
  // copying it into the frame: the frame must come out byte for byte the same, including the
  // pixels the layer does not reach and those outside a clip.
  const assets::Bitmap backdrop = RandomBitmap(90, 70, true, 7);
  const assets::Bitmap layer = RandomBitmap(50, 40, false, 8);
  struct Case {
    double scale, x, y, alpha;
    bool clip;
  };
  const Case cases[] = {{1.15, 10.3, 7.6, 0.85, false},
                        {1, 12, 21, 0.5, false},
                        {2.5, -20.5, -10.25, 1, true},
                        {1, -200, 5, 1, false}};
  for (const Case& c : cases) {
    assets::Bitmap copied = backdrop;
    assets::Bitmap direct = RandomBitmap(90, 70, true, 9);  // what the frame held before
    for (assets::Bitmap* target : {&copied, &direct}) {
      SurfacePtr surface = WrapBitmap(*target);
      CairoPtr cr(cairo_create(surface.get()));
      if (c.clip) {
        cairo_rectangle(cr.get(), 5, 6, 60, 30);
        cairo_clip(cr.get());
      }
      cairo_translate(cr.get(), c.x, c.y);
      cairo_scale(cr.get(), c.scale, c.scale);
      ASSERT_TRUE(TryFastScaledPaint(cr.get(), layer, 1, 0, 0, c.alpha,
                                     target == &direct ? &backdrop : nullptr));
    }
    EXPECT_EQ(copied.pixels, direct.pixels) << "scale " << c.scale << " at " << c.x << "," << c.y;
  }
}

// The documented arithmetic, pixel by pixel, for samples inside the bitmap: the two source
// rows interpolated per byte with the vertical weight in 1/256 (rounded), then the two
// columns with the horizontal weight in 1/128 (rounded), faded, and blended OVER.
uint32_t ReferenceSample(const assets::Bitmap& b, double sx, double sy, uint32_t opacity256,
                         uint32_t under) {
  // Unpadded source coordinates of the sample: pixel centres at integer + 0.5.
  const double u = sx - 0.5, v = sy - 0.5;
  int column = static_cast<int>(std::floor(u));
  int x_weight = static_cast<int>(std::lround((u - column) * 128));
  if (x_weight == 128) ++column, x_weight = 0;
  int row = static_cast<int>(std::floor(v));
  int y_weight = static_cast<int>(std::lround((v - row) * 256));
  if (y_weight == 256) ++row, y_weight = 0;
  auto at = [&](int x, int y, int k) {
    return static_cast<int>(b.pixels[static_cast<size_t>(y) * b.stride + 4 * x + k]);
  };
  int s[4];
  for (int k = 0; k < 4; ++k) {
    auto vertical = [&](int x) {
      return (at(x, row, k) * (256 - y_weight) + at(x, row + 1, k) * y_weight + 128) >> 8;
    };
    const int left = vertical(column), right = vertical(column + 1);
    s[k] = ((left + (((right - left) * x_weight + 64) >> 7)) * static_cast<int>(opacity256)) >> 8;
  }
  uint32_t out = 0;
  for (int k = 0; k < 4; ++k) {
    uint32_t t = ((under >> (8 * k)) & 0xff) * (255 - static_cast<uint32_t>(s[3])) + 128;
    t = (t + (t >> 8)) >> 8;
    out |= (static_cast<uint32_t>(s[k]) + t) << (8 * k);
  }
  return out;
}

TEST(FastBlitTest, ScaledSamplesFollowTheDocumentedArithmeticExactly) {
  // Zooms (the SIMD path gathers 8 neighbouring columns at once), slight and strong
  // shrinks (columns further apart than the gather reaches: the per-pixel path), premultiplied
  // colours with varying alpha: every pixel of the frame, all inside the bitmap's footprint,
  // equals the reference.
  const assets::Bitmap source = RandomBitmap(120, 50, false, 10);
  const assets::Bitmap background = RandomBitmap(100, 40, true, 11);
  const Placement placements[] = {{1.15, 1.15, -3.3, -2.7, 0.85, 1},
                                  {1.0007, 1.3, -0.4, -1.1, 1, 1},
                                  {0.93, 0.95, -1.2, -0.6, 0.5, 1},
                                  {0.88, 0.85, -2.1, -1.7, 1, 1},
                                  {3.7, 2.2, -40.2, -9.9, 0.75, 1}};
  for (const Placement& p : placements) {
    assets::Bitmap fast = background;
    ASSERT_TRUE(Draw(source, p, true, fast));
    const uint32_t opacity256 = static_cast<uint32_t>(std::lround(p.alpha * 256));
    for (int y = 0; y < fast.height; ++y) {
      for (int x = 0; x < fast.width; ++x) {
        const size_t i = static_cast<size_t>(y) * fast.stride + 4 * x;
        uint32_t got, under;
        std::memcpy(&got, fast.pixels.data() + i, 4);
        std::memcpy(&under, background.pixels.data() + i, 4);
        const uint32_t want = ReferenceSample(source, (x + 0.5 - p.x) / p.scale_x,
                                              (y + 0.5 - p.y) / p.scale_y, opacity256, under);
        ASSERT_EQ(got, want) << "scale " << p.scale_x << "×" << p.scale_y << " at pixel " << x
                             << "," << y;
      }
    }
  }
}

TEST(FastBlitTest, LeavesRotationsAndCopiesToCairo) {
  const assets::Bitmap source = RandomBitmap(10, 10, true, 6);
  assets::Bitmap target = assets::Bitmap::Allocate(20, 20);
  SurfacePtr surface = WrapBitmap(target);
  CairoPtr cr(cairo_create(surface.get()));
  cairo_translate(cr.get(), 3, 4);
  cairo_set_operator(cr.get(), CAIRO_OPERATOR_SOURCE);  // the compositor's covering copy
  EXPECT_FALSE(TryFastScaledPaint(cr.get(), source, 1, 0, 0, 1));
  cairo_set_operator(cr.get(), CAIRO_OPERATOR_OVER);
  cairo_rotate(cr.get(), 0.3);
  EXPECT_FALSE(TryFastScaledPaint(cr.get(), source, 1, 0, 0, 1));
  cr.reset();
  EXPECT_TRUE(
      std::all_of(target.pixels.begin(), target.pixels.end(), [](uint8_t v) { return v == 0; }));
}

}  // namespace
}  // namespace vg::render

// RasterizeText against what a user sees: box sizes, alignment, wrapping, line capping with
// an ellipsis, autoFit, spacing, stroke, shadow, background, complex scripts, emoji, template
// fonts, determinism across threads, and errors.
#include "render/text_raster.h"

#include <fontconfig/fontconfig.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace vg::render {
namespace {

struct Rgba {
  int r = 0, g = 0, b = 0, a = 0;  // premultiplied, 0..255
};

Rgba PixelAt(const assets::Bitmap& bitmap, int x, int y) {
  if (x < 0 || y < 0 || x >= bitmap.width || y >= bitmap.height) return {};
  uint32_t word;
  std::memcpy(&word, &bitmap.pixels[static_cast<size_t>(y) * bitmap.stride + x * 4], 4);
  return {static_cast<int>((word >> 16) & 0xff), static_cast<int>((word >> 8) & 0xff),
          static_cast<int>(word & 0xff), static_cast<int>(word >> 24)};
}

struct Bounds {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;  // inclusive; x1 < x0 when empty
  bool empty() const { return x1 < x0; }
};

// Pixels with alpha above `threshold`.
Bounds InkBounds(const assets::Bitmap& bitmap, int threshold = 0) {
  Bounds b;
  for (int y = 0; y < bitmap.height; ++y) {
    for (int x = 0; x < bitmap.width; ++x) {
      if (PixelAt(bitmap, x, y).a > threshold) {
        b.x0 = std::min(b.x0, x);
        b.y0 = std::min(b.y0, y);
        b.x1 = std::max(b.x1, x);
        b.y1 = std::max(b.y1, y);
      }
    }
  }
  return b;
}

// The alpha-weighted mean x of the ink, relative to the box's left edge.
double InkCentreX(const TextRaster& raster) {
  double sum = 0, weight = 0;
  for (int y = 0; y < raster.bitmap.height; ++y) {
    for (int x = 0; x < raster.bitmap.width; ++x) {
      const int a = PixelAt(raster.bitmap, x, y).a;
      sum += a * (x + 0.5);
      weight += a;
    }
  }
  return sum / weight - raster.box_x;
}

// Rows (relative to the box top) where ink starts after a blank gap of 8 rows or more (so
// the dot of an i does not count): the tops of lines.
std::vector<int> LineTops(const TextRaster& raster) {
  constexpr int kMinGap = 8;
  std::vector<int> tops;
  int blank_rows = kMinGap;
  for (int y = 0; y < raster.bitmap.height; ++y) {
    bool inked = false;
    for (int x = 0; x < raster.bitmap.width && !inked; ++x) {
      inked = PixelAt(raster.bitmap, x, y).a > 64;
    }
    if (inked && blank_rows >= kMinGap) tops.push_back(y - static_cast<int>(raster.box_y));
    blank_rows = inked ? 0 : blank_rows + 1;
  }
  return tops;
}

class TextRasterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto registry = FontRegistry::Create({});
    ASSERT_TRUE(registry.ok()) << registry.error().ToString();
    fonts_ = std::move(registry).value().release();
  }
  static void TearDownTestSuite() {
    delete fonts_;
    fonts_ = nullptr;
  }

  static tmpl::TextClip Clip(std::string text) {
    tmpl::TextClip clip;
    clip.text = std::move(text);
    return clip;
  }

  static TextRaster Draw(const tmpl::TextClip& clip, double pixel_scale = 1,
                         const FontRegistry* fonts = nullptr) {
    auto raster = RasterizeText(fonts ? *fonts : *fonts_, clip, clip.style.color, pixel_scale);
    EXPECT_TRUE(raster.ok()) << raster.error().ToString();
    return raster.ok() ? std::move(raster).value() : TextRaster{};
  }

  static FontRegistry* fonts_;
};

FontRegistry* TextRasterTest::fonts_ = nullptr;

TEST_F(TextRasterTest, DrawsTheTextInsideItsBox) {
  const TextRaster r = Draw(Clip("Hello, world"));
  ASSERT_FALSE(r.bitmap.empty());
  EXPECT_EQ(r.font_size, 48);
  EXPECT_EQ(r.line_count, 1);
  EXPECT_FALSE(r.ellipsized);
  EXPECT_FALSE(r.right_to_left);
  // One line of 48 px Noto Sans: the font's line box is about 1.36 em.
  EXPECT_NEAR(r.box_height, 48 * 1.362, 2);
  EXPECT_GT(r.box_width, 200);
  EXPECT_LT(r.box_width, 350);
  EXPECT_EQ(r.box_x, std::floor(r.box_x));
  const Bounds ink = InkBounds(r.bitmap);
  ASSERT_FALSE(ink.empty());
  EXPECT_GE(ink.x0, r.box_x - 1);
  EXPECT_LE(ink.x1, r.box_x + r.box_width + 1);
  EXPECT_GE(ink.y0, r.box_y);
  EXPECT_LE(ink.y1, r.box_y + r.box_height);
  // White fill, premultiplied: fully covered pixels are opaque white.
  int opaque_white = 0;
  for (int y = 0; y < r.bitmap.height; ++y) {
    for (int x = 0; x < r.bitmap.width; ++x) {
      const Rgba p = PixelAt(r.bitmap, x, y);
      if (p.a == 255 && p.r == 255 && p.g == 255 && p.b == 255) ++opaque_white;
    }
  }
  EXPECT_GT(opaque_white, 500);
}

TEST_F(TextRasterTest, BoxWidthFollowsMaxWidth) {
  tmpl::TextClip clip = Clip("Short");
  const TextRaster natural = Draw(clip);
  clip.style.max_width = 700;
  const TextRaster wide = Draw(clip);
  EXPECT_LT(natural.box_width, 200);
  EXPECT_EQ(wide.box_width, 700);
  EXPECT_EQ(wide.box_height, natural.box_height);
  EXPECT_GE(wide.bitmap.width, 700);
  // At twice the pixel density the box is exactly twice as large: the layout does not change.
  const TextRaster sharp = Draw(clip, 2);
  EXPECT_EQ(sharp.box_width, 1400);
  EXPECT_DOUBLE_EQ(sharp.box_height, 2 * wide.box_height);
}

TEST_F(TextRasterTest, AlignMovesTheInk) {
  tmpl::TextClip clip = Clip("Align me");
  clip.style.max_width = 800;
  clip.style.align = tmpl::TextAlign::kLeft;
  const TextRaster left = Draw(clip);
  clip.style.align = tmpl::TextAlign::kCenter;
  const TextRaster center = Draw(clip);
  clip.style.align = tmpl::TextAlign::kRight;
  const TextRaster right = Draw(clip);
  EXPECT_LT(InkCentreX(left), 150);
  EXPECT_NEAR(InkCentreX(center), 400, 15);
  EXPECT_GT(InkCentreX(right), 650);
  // The ink starts at the left edge / ends at the right edge of the box (within side bearings).
  EXPECT_NEAR(InkBounds(left.bitmap).x0 - left.box_x, 0, 6);
  EXPECT_NEAR(InkBounds(right.bitmap).x1 - right.box_x, 800, 6);
}

TEST_F(TextRasterTest, WrappingMakesMoreLines) {
  tmpl::TextClip clip = Clip("The quick brown fox jumps over the lazy dog");
  const TextRaster one = Draw(clip);
  clip.style.max_width = 300;
  const TextRaster wrapped = Draw(clip);
  EXPECT_EQ(one.line_count, 1);
  EXPECT_GE(wrapped.line_count, 3);
  EXPECT_NEAR(wrapped.box_height, one.box_height * wrapped.line_count, 1);
  EXPECT_EQ(static_cast<int>(LineTops(wrapped).size()), wrapped.line_count);
  // No line is wider than maxWidth.
  const Bounds ink = InkBounds(wrapped.bitmap);
  EXPECT_LE(ink.x1 - ink.x0, 300 + 2);
  // A single word longer than the width still breaks (inside the word).
  tmpl::TextClip word = Clip("Pneumonoultramicroscopicsilicovolcanoconiosis");
  word.style.max_width = 300;
  EXPECT_GE(Draw(word).line_count, 2);
}

TEST_F(TextRasterTest, NewlinesBreakLines) {
  const TextRaster r = Draw(Clip("one\ntwo\nthree"));
  EXPECT_EQ(r.line_count, 3);
  EXPECT_EQ(LineTops(r).size(), 3u);
}

TEST_F(TextRasterTest, MaxLinesCapsLinesAndEndsInAnEllipsis) {
  tmpl::TextClip clip = Clip("The quick brown fox jumps over the lazy dog and runs away");
  clip.style.max_width = 300;
  const TextRaster all = Draw(clip);
  ASSERT_GE(all.line_count, 3);
  clip.style.max_lines = 2;
  const TextRaster capped = Draw(clip);
  EXPECT_EQ(capped.line_count, 2);
  EXPECT_TRUE(capped.ellipsized);
  EXPECT_NEAR(capped.box_height, all.box_height * 2 / all.line_count, 1);
  EXPECT_EQ(LineTops(capped).size(), 2u);
  // The second line now ends in "…" instead of breaking: it differs from the uncapped one.
  clip.style.max_lines = all.line_count;
  const TextRaster exact = Draw(clip);
  EXPECT_FALSE(exact.ellipsized);
  EXPECT_EQ(exact.bitmap.pixels, all.bitmap.pixels);

  // Across paragraphs: the last kept line gets the ellipsis, exactly as if it were typed.
  tmpl::TextClip paragraphs = Clip("line one\nline two\nline three");
  paragraphs.style.max_lines = 2;
  const TextRaster cut = Draw(paragraphs);
  const TextRaster typed = Draw(Clip("line one\nline two\u2026"));
  EXPECT_TRUE(cut.ellipsized);
  EXPECT_EQ(cut.line_count, 2);
  EXPECT_EQ(cut.box_width, typed.box_width);
  EXPECT_EQ(cut.box_height, typed.box_height);
  EXPECT_EQ(cut.bitmap.pixels, typed.bitmap.pixels);
  // And it is wider than the same two lines without the ellipsis.
  EXPECT_GT(cut.box_width, Draw(Clip("line one\nline two")).box_width + 10);
}

TEST_F(TextRasterTest, AutoFitShrinksUntilTheTextFitsAndNeverBelowEight) {
  tmpl::TextClip clip = Clip("A headline that is far too long");
  clip.style.font_size = 120;
  clip.style.max_width = 600;
  clip.style.max_lines = 1;
  clip.style.auto_fit = true;
  const TextRaster fitted = Draw(clip);
  EXPECT_LT(fitted.font_size, 120);
  EXPECT_GE(fitted.font_size, 8);
  EXPECT_FALSE(fitted.ellipsized);
  EXPECT_EQ(fitted.line_count, 1);
  // It is the largest size that fits, to 0.5 px: 0.5 px more no longer fits on one line.
  tmpl::TextClip bigger = clip;
  bigger.style.auto_fit = false;
  bigger.style.font_size = fitted.font_size + 0.5;
  EXPECT_TRUE(Draw(bigger).ellipsized);

  // maxHeight: wrapped text shrinks until its lines fit the height.
  tmpl::TextClip tall = Clip("Many words that wrap onto several lines in a narrow box");
  tall.style.font_size = 80;
  tall.style.max_width = 400;
  tall.style.max_height = 200;
  tall.style.auto_fit = true;
  const TextRaster short_enough = Draw(tall);
  EXPECT_LT(short_enough.font_size, 80);
  EXPECT_LE(short_enough.box_height, 200);

  // Never below 8 px, even when nothing fits.
  tmpl::TextClip tiny = Clip("This cannot possibly fit in such a small box at all");
  tiny.style.max_width = 40;
  tiny.style.max_lines = 1;
  tiny.style.auto_fit = true;
  EXPECT_EQ(Draw(tiny).font_size, 8);

  // Never grows: text that fits keeps its size.
  tmpl::TextClip fits = Clip("Fits");
  fits.style.max_width = 900;
  fits.style.auto_fit = true;
  EXPECT_EQ(Draw(fits).font_size, 48);
}

TEST_F(TextRasterTest, LetterSpacingWidens) {
  tmpl::TextClip clip = Clip("spacing");
  const TextRaster normal = Draw(clip);
  clip.style.letter_spacing = 10;
  const TextRaster spaced = Draw(clip);
  // 7 letters, 10 px between each two (not after the last: centred text stays centred).
  EXPECT_NEAR(spaced.box_width - normal.box_width, 60, 1);
  const Bounds a = InkBounds(normal.bitmap), b = InkBounds(spaced.bitmap);
  EXPECT_GT((b.x1 - b.x0) - (a.x1 - a.x0), 50);
}

TEST_F(TextRasterTest, LineHeightTwoDoublesTheLinePitch) {
  tmpl::TextClip clip = Clip("Hxg\nHxg");
  const TextRaster normal = Draw(clip);
  clip.style.line_height = 2;
  const TextRaster doubled = Draw(clip);
  const std::vector<int> normal_tops = LineTops(normal), doubled_tops = LineTops(doubled);
  ASSERT_EQ(normal_tops.size(), 2u);
  ASSERT_EQ(doubled_tops.size(), 2u);
  const int normal_pitch = normal_tops[1] - normal_tops[0];
  const int doubled_pitch = doubled_tops[1] - doubled_tops[0];
  EXPECT_NEAR(doubled_pitch, 2 * normal_pitch, 1.5);
  EXPECT_NEAR(doubled.box_height, 2 * normal.box_height, 1);
}

TEST_F(TextRasterTest, StrokeAddsStrokeColouredPixelsOutsideTheFill) {
  tmpl::TextClip clip = Clip("Stroke");
  clip.style.font_size = 72;
  const TextRaster plain = Draw(clip);
  clip.style.stroke = tmpl::Stroke{{1, 0, 0, 1}, 8};
  const TextRaster stroked = Draw(clip);
  int red_outside = 0, white_inside = 0;
  const int dx = static_cast<int>(stroked.box_x - plain.box_x);
  const int dy = static_cast<int>(stroked.box_y - plain.box_y);
  for (int y = 0; y < stroked.bitmap.height; ++y) {
    for (int x = 0; x < stroked.bitmap.width; ++x) {
      const Rgba s = PixelAt(stroked.bitmap, x, y);
      const Rgba p = PixelAt(plain.bitmap, x - dx, y - dy);
      if (p.a == 0 && s.a == 255 && s.r == 255 && s.g == 0 && s.b == 0) ++red_outside;
      if (p.a == 255 && s.r == 255 && s.g == 255 && s.b == 255) ++white_inside;
    }
  }
  EXPECT_GT(red_outside, 1000);   // a 4 px red band around every glyph
  EXPECT_GT(white_inside, 1000);  // the fill stays fully visible on top
  // The box is the text's, not the stroke's; the bitmap grows to hold the stroke.
  EXPECT_EQ(stroked.box_width, plain.box_width);
}

TEST_F(TextRasterTest, ShadowOffsetPutsShadowColouredPixelsAtTheOffset) {
  tmpl::TextClip clip = Clip("Shadow");
  clip.style.font_size = 72;
  const TextRaster plain = Draw(clip);
  clip.style.shadow = tmpl::TextShadow{{0, 0, 1, 1}, 0, 20, 30};
  const TextRaster shadowed = Draw(clip);
  EXPECT_EQ(shadowed.box_width, plain.box_width);
  const int dx = static_cast<int>(shadowed.box_x - plain.box_x);
  const int dy = static_cast<int>(shadowed.box_y - plain.box_y);
  int checked = 0, blue = 0;
  for (int y = 0; y < plain.bitmap.height; ++y) {
    for (int x = 0; x < plain.bitmap.width; ++x) {
      // Where the text is solid and the place 20, 30 px away has no text: shadow there.
      if (PixelAt(plain.bitmap, x, y).a != 255) continue;
      if (PixelAt(plain.bitmap, x + 20, y + 30).a != 0) continue;
      ++checked;
      const Rgba s = PixelAt(shadowed.bitmap, x + 20 + dx, y + 30 + dy);
      if (s.a == 255 && s.b == 255 && s.r == 0 && s.g == 0) ++blue;
    }
  }
  EXPECT_GT(checked, 500);
  EXPECT_EQ(blue, checked);
  // The bitmap reaches down far enough to hold the whole shadow.
  const Bounds plain_ink = InkBounds(plain.bitmap), shadow_ink = InkBounds(shadowed.bitmap);
  EXPECT_EQ(shadow_ink.y1 - dy, plain_ink.y1 + 30);
  EXPECT_EQ(shadow_ink.x1 - dx, plain_ink.x1 + 20);
  EXPECT_LT(shadow_ink.y1, shadowed.bitmap.height);

  // A blurred shadow spreads: fewer fully blue pixels, more partly covered ones.
  clip.style.shadow->blur = 16;
  const TextRaster soft = Draw(clip);
  const Bounds hard_ink = InkBounds(shadowed.bitmap), soft_ink = InkBounds(soft.bitmap);
  EXPECT_GT(soft_ink.y1 - soft_ink.y0, hard_ink.y1 - hard_ink.y0 + 10);
}

TEST_F(TextRasterTest, BackgroundFillsTheBoxAndRadiusRoundsItsCorners) {
  tmpl::TextClip clip = Clip("Boxed");
  clip.style.background = tmpl::TextBackground{{0, 0.5, 0, 1}, 12, 0};
  const TextRaster square = Draw(clip);
  const TextRaster bare = Draw(Clip("Boxed"));
  // The box is the border box: text box plus the padding on each side.
  EXPECT_NEAR(square.box_width, bare.box_width + 24, 0.01);
  EXPECT_NEAR(square.box_height, bare.box_height + 24, 0.01);
  const int left = static_cast<int>(square.box_x), top = static_cast<int>(square.box_y);
  const Rgba corner = PixelAt(square.bitmap, left, top);
  EXPECT_EQ(corner.a, 255);
  EXPECT_EQ(corner.g, 128);
  EXPECT_EQ(corner.r, 0);
  EXPECT_EQ(PixelAt(square.bitmap, left - 1, top - 1).a, 0);  // nothing outside the box

  clip.style.background->radius = 16;
  const TextRaster round = Draw(clip);
  EXPECT_EQ(PixelAt(round.bitmap, left, top).a, 0);         // the exact corner is cut away
  EXPECT_EQ(PixelAt(round.bitmap, left, top + 20).g, 128);  // the edge below it is not
  EXPECT_EQ(PixelAt(round.bitmap, left + 20, top).g, 128);
}

TEST_F(TextRasterTest, ArabicIsShapedRightToLeft) {
  tmpl::TextClip clip = Clip("مرحبا بالعالم");
  clip.style.align = tmpl::TextAlign::kLeft;
  clip.style.max_width = 600;
  const TextRaster r = Draw(clip);
  EXPECT_TRUE(r.right_to_left);
  const Bounds ink = InkBounds(r.bitmap);
  ASSERT_FALSE(ink.empty());
  // align "left" means the left side, as CSS text-align: left, even for RTL text.
  EXPECT_LT(ink.x0 - r.box_x, 10);
  EXPECT_LT(InkCentreX(r), 300);
  // Joined forms: breaking the joins with zero-width non-joiners changes the drawing.
  tmpl::TextClip unjoined =
      Clip("م\u200cر\u200cح\u200cب\u200cا ب\u200cا\u200cل\u200cع\u200cا\u200cل\u200cم");
  unjoined.style = clip.style;
  EXPECT_NE(Draw(unjoined).bitmap.pixels, r.bitmap.pixels);
  // Hebrew too.
  EXPECT_TRUE(Draw(Clip("שלום עולם")).right_to_left);
}

TEST_F(TextRasterTest, EmojiAreDrawnInColour) {
  const TextRaster r = Draw(Clip("🎉"));
  int saturated = 0;
  for (int y = 0; y < r.bitmap.height; ++y) {
    for (int x = 0; x < r.bitmap.width; ++x) {
      const Rgba p = PixelAt(r.bitmap, x, y);
      if (p.a < 200) continue;
      const int high = std::max({p.r, p.g, p.b}), low = std::min({p.r, p.g, p.b});
      if (high - low > 100) ++saturated;
    }
  }
  EXPECT_GT(saturated, 200);  // colours, though the fill colour is white
}

TEST_F(TextRasterTest, CjkRenders) {
  const TextRaster r = Draw(Clip("你好，世界"));
  const Bounds ink = InkBounds(r.bitmap, 128);
  ASSERT_FALSE(ink.empty());
  EXPECT_GT(ink.x1 - ink.x0, 4 * 40);  // five full-width glyphs of about 48 px
}

TEST_F(TextRasterTest, ATemplateFontIsUsedUnderItsTemplateFamilyName) {
  // A system font file copied to a temporary file, registered as "Brand Sans".
  FcPattern* pattern = FcNameParse(reinterpret_cast<const FcChar8*>("DejaVu Sans:bold"));
  FcConfigSubstitute(nullptr, pattern, FcMatchPattern);
  FcDefaultSubstitute(pattern);
  FcResult result;
  FcPattern* match = FcFontMatch(nullptr, pattern, &result);
  FcChar8* file = nullptr;
  ASSERT_TRUE(match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch);
  const std::filesystem::path source = reinterpret_cast<const char*>(file);
  FcPatternDestroy(match);
  FcPatternDestroy(pattern);
  ASSERT_EQ(source.filename(), "DejaVuSans-Bold.ttf");
  const std::filesystem::path copy = std::filesystem::temp_directory_path() /
                                     ("vg_text_test_" + std::to_string(::getpid()) + ".ttf");
  std::filesystem::copy_file(source, copy, std::filesystem::copy_options::overwrite_existing);

  auto registry = FontRegistry::Create({{"Brand Sans", copy.string(), "fonts[0]"}});
  ASSERT_TRUE(registry.ok()) << registry.error().ToString();
  EXPECT_EQ((*registry)->template_families(), std::vector<std::string>{"Brand Sans"});
  tmpl::TextClip brand = Clip("Brand 123");
  brand.style.font_family = "Brand Sans";
  const TextRaster with_brand = Draw(brand, 1, registry->get());
  tmpl::TextClip dejavu = Clip("Brand 123");
  dejavu.style.font_family = "DejaVu Sans";
  dejavu.style.font_weight = 700;
  const TextRaster direct = Draw(dejavu, 1, registry->get());
  const TextRaster noto = Draw(Clip("Brand 123"), 1, registry->get());
  EXPECT_EQ(with_brand.box_width, direct.box_width);
  EXPECT_EQ(with_brand.bitmap.pixels, direct.bitmap.pixels);
  EXPECT_NE(with_brand.bitmap.pixels, noto.bitmap.pixels);
  // The family is private to that registry: the shared one does not know "Brand Sans".
  const TextRaster elsewhere = Draw(brand);
  EXPECT_NE(elsewhere.bitmap.pixels, with_brand.bitmap.pixels);
  std::filesystem::remove(copy);
}

TEST_F(TextRasterTest, IsDeterministicAcrossEightThreads) {
  std::vector<tmpl::TextClip> clips;
  clips.push_back(Clip("Deterministic text 123"));
  tmpl::TextClip styled = Clip("Shadow, stroke and a box 🎉");
  styled.style.font_size = 64;
  styled.style.max_width = 500;
  styled.style.stroke = tmpl::Stroke{{0, 0, 0, 1}, 3};
  styled.style.shadow = tmpl::TextShadow{{0, 0, 0, 0.6}, 10, 4, 6};
  styled.style.background = tmpl::TextBackground{{0.2, 0.2, 0.6, 0.8}, 10, 12};
  clips.push_back(styled);
  clips.push_back(Clip("مرحبا بالعالم — שלום — 你好"));
  tmpl::TextClip fitted = Clip("Auto fitted headline text");
  fitted.style.font_size = 100;
  fitted.style.max_width = 400;
  fitted.style.max_lines = 1;
  fitted.style.auto_fit = true;
  clips.push_back(fitted);

  std::vector<TextRaster> reference;
  for (const tmpl::TextClip& clip : clips) reference.push_back(Draw(clip, 1.5));
  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < clips.size(); ++i) {
          auto raster = RasterizeText(*fonts_, clips[i], clips[i].style.color, 1.5);
          if (!raster.ok() || raster->bitmap.pixels != reference[i].bitmap.pixels ||
              raster->box_width != reference[i].box_width) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST_F(TextRasterTest, ColourIsAParameter) {
  const tmpl::TextClip clip = Clip("Colour");
  auto red = RasterizeText(*fonts_, clip, tmpl::Color{1, 0, 0, 1}, 1);
  ASSERT_TRUE(red.ok());
  int reds = 0;
  for (int y = 0; y < red->bitmap.height; ++y) {
    for (int x = 0; x < red->bitmap.width; ++x) {
      const Rgba p = PixelAt(red->bitmap, x, y);
      if (p.a == 255 && p.r == 255 && p.g == 0 && p.b == 0) ++reds;
    }
  }
  EXPECT_GT(reds, 300);
}

TEST_F(TextRasterTest, RejectsBadArguments) {
  const tmpl::TextClip clip = Clip("x");
  EXPECT_EQ(RasterizeText(*fonts_, clip, clip.style.color, 0).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RasterizeText(*fonts_, Clip("bad \xff utf8"), clip.style.color, 1).status().code(),
            ErrorCode::kInvalidArgument);
  tmpl::TextClip huge = Clip("Huge");
  huge.style.font_size = 5000;
  EXPECT_EQ(RasterizeText(*fonts_, huge, clip.style.color, 8).status().code(),
            ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace vg::render

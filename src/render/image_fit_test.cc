// object-fit placement (cover crops the middle, contain letterboxes, rounded corners clear the
// corners), sharing of decoded pixels when no fitting is needed, and the cache resolution cap
// for raster images.
#include "render/image_fit.h"

#include <gtest/gtest.h>

namespace vg::render {
namespace {

// A raster image whose pixel (x, y) is opaque with blue = x and green = y, so a test can tell
// which source pixel landed where.
class CoordinateImage final : public assets::Image {
 public:
  CoordinateImage(int width, int height) : bitmap_(assets::Bitmap::Allocate(width, height)) {
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        uint8_t* p = bitmap_.pixels.data() + static_cast<size_t>(y) * bitmap_.stride + 4 * x;
        p[0] = static_cast<uint8_t>(x);
        p[1] = static_cast<uint8_t>(y);
        p[3] = 255;
      }
    }
  }
  int width() const override { return bitmap_.width; }
  int height() const override { return bitmap_.height; }
  bool is_vector() const override { return false; }
  const assets::Bitmap& bitmap() const override { return bitmap_; }
  Result<assets::Bitmap> RasterizeVector(int, int) const override {
    return Status(ErrorCode::kInternal, "raster");
  }

 private:
  assets::Bitmap bitmap_;
};

const uint8_t* Pixel(const assets::Bitmap& b, int x, int y) {
  return b.pixels.data() + static_cast<size_t>(y) * b.stride + 4 * x;
}

TEST(ImageFitTest, AnImageAlreadyAtTheBoxSizeIsSharedNotCopied) {
  auto image = std::make_shared<CoordinateImage>(64, 36);
  auto fitted = FitImage(image, 64, 36, tmpl::Fit::kCover, 0, 1);
  ASSERT_TRUE(fitted.ok());
  EXPECT_EQ(fitted->get(), &image->bitmap());
  // With rounded corners it is a new bitmap, and the original is untouched.
  auto rounded = FitImage(image, 64, 36, tmpl::Fit::kCover, 10, 1);
  ASSERT_TRUE(rounded.ok());
  EXPECT_NE(rounded->get(), &image->bitmap());
  EXPECT_EQ(Pixel(**rounded, 0, 0)[3], 0);      // corner cleared
  EXPECT_EQ(Pixel(**rounded, 32, 18)[3], 255);  // middle kept
  EXPECT_EQ(Pixel(**rounded, 32, 18)[0], 32);
  EXPECT_EQ(Pixel(image->bitmap(), 0, 0)[3], 255);
}

TEST(ImageFitTest, CoverCropsTheMiddleAndContainLetterboxes) {
  auto image = std::make_shared<CoordinateImage>(40, 20);
  // Cover into 20 × 20: the image keeps its size (scale 1 by height) and its middle 20 columns
  // show, so box column 0 is source column 10.
  auto cover = FitImage(image, 20, 20, tmpl::Fit::kCover, 0, 1);
  ASSERT_TRUE(cover.ok());
  ASSERT_EQ((*cover)->width, 20);
  ASSERT_EQ((*cover)->height, 20);
  EXPECT_EQ(Pixel(**cover, 0, 0)[0], 10);
  EXPECT_EQ(Pixel(**cover, 19, 19)[0], 29);
  EXPECT_EQ(Pixel(**cover, 19, 19)[1], 19);
  // Contain into 40 × 40: full width, 10 transparent rows above and below.
  auto contain = FitImage(image, 40, 40, tmpl::Fit::kContain, 0, 1);
  ASSERT_TRUE(contain.ok());
  EXPECT_EQ(Pixel(**contain, 5, 9)[3], 0);
  EXPECT_EQ(Pixel(**contain, 5, 10)[3], 255);
  EXPECT_EQ(Pixel(**contain, 5, 10)[1], 0);
  EXPECT_EQ(Pixel(**contain, 5, 29)[1], 19);
  EXPECT_EQ(Pixel(**contain, 5, 30)[3], 0);
}

TEST(ImageFitTest, RasterCachesAreNoSharperThanTheImage) {
  CoordinateImage photo(1920, 1080);
  // A zoom to 1.15 wants a sharper cache, but the photo has no more pixels than the box.
  EXPECT_DOUBLE_EQ(ImageCachePixelScale(photo, 1920, 1080, tmpl::Fit::kCover, 1.15), 1.0);
  // The same photo in a box half its size has twice the pixels: up to 2 is useful.
  EXPECT_DOUBLE_EQ(ImageCachePixelScale(photo, 960, 540, tmpl::Fit::kCover, 1.5), 1.5);
  EXPECT_DOUBLE_EQ(ImageCachePixelScale(photo, 960, 540, tmpl::Fit::kCover, 3), 2.0);
  // Cover scales by the tighter axis: a 1920 × 1080 photo covering a square 540 box has 2
  // source pixels per box pixel vertically.
  EXPECT_DOUBLE_EQ(ImageCachePixelScale(photo, 540, 540, tmpl::Fit::kCover, 4), 2.0);
  // Never below 1 (a small image still gets a cache at the box's own resolution).
  CoordinateImage icon(16, 16);
  EXPECT_DOUBLE_EQ(ImageCachePixelScale(icon, 160, 160, tmpl::Fit::kFill, 2), 1.0);
}

}  // namespace
}  // namespace vg::render

// Image decoding through AssetCache::LoadImage on files: every format to the right size and
// colour, premultiplication, EXIF orientation, GIF first frame, SVG sizes and sandboxing, the
// pixel limit read from headers, and refusal (never a crash) of lying, truncated and mangled
// files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "assets/asset_cache.h"
#include "assets/raster_decoder.h"
#include "assets/test_image_encoder.h"

namespace vg::assets {
namespace {

namespace fs = std::filesystem;
using testing::RgbaImage;

struct Rgba {
  int r, g, b, a;
};

// The premultiplied pixel at (x, y) of a bitmap (native-endian ARGB words).
Rgba PixelAt(const Bitmap& bitmap, int x, int y) {
  uint32_t word;
  std::memcpy(&word, bitmap.pixels.data() + static_cast<size_t>(y) * bitmap.stride + x * 4, 4);
  return {static_cast<int>((word >> 16) & 0xff), static_cast<int>((word >> 8) & 0xff),
          static_cast<int>(word & 0xff), static_cast<int>(word >> 24)};
}

MATCHER_P5(IsColor, r, g, b, a, tolerance, "") {
  return std::abs(arg.r - r) <= tolerance && std::abs(arg.g - g) <= tolerance &&
         std::abs(arg.b - b) <= tolerance && std::abs(arg.a - a) <= tolerance;
}

std::ostream& operator<<(std::ostream& out, const Rgba& p) {
  return out << "rgba(" << p.r << "," << p.g << "," << p.b << "," << p.a << ")";
}

class ImageDecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vg-image-decode-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  AssetOptions Options() const {
    AssetOptions options;
    options.base_dir = dir_.string();
    options.confine_to_base_dir = true;
    return options;
  }

  // Writes `bytes` as `name` and loads it with a fresh cache.
  Result<std::shared_ptr<const Image>> Load(const std::string& name, const std::string& bytes,
                                            AssetOptions options) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    AssetCache cache(options);
    return cache.LoadImage(name);
  }
  Result<std::shared_ptr<const Image>> Load(const std::string& name, const std::string& bytes) {
    return Load(name, bytes, Options());
  }

  fs::path dir_;
};

RgbaImage Quadrants(int width, int height) {
  RgbaImage image = RgbaImage::Filled(width, height, 255, 0, 0);    // red top-left
  image.Fill(width / 2, 0, width, height / 2, 0, 255, 0);           // green top-right
  image.Fill(0, height / 2, width / 2, height, 0, 0, 255);          // blue bottom-left
  image.Fill(width / 2, height / 2, width, height, 255, 255, 255);  // white bottom-right
  return image;
}

void ExpectQuadrants(const Image& image, int tolerance) {
  const Bitmap& b = image.bitmap();
  const int w = image.width();
  const int h = image.height();
  EXPECT_THAT(PixelAt(b, w / 4, h / 4), IsColor(255, 0, 0, 255, tolerance));
  EXPECT_THAT(PixelAt(b, 3 * w / 4, h / 4), IsColor(0, 255, 0, 255, tolerance));
  EXPECT_THAT(PixelAt(b, w / 4, 3 * h / 4), IsColor(0, 0, 255, 255, tolerance));
  EXPECT_THAT(PixelAt(b, 3 * w / 4, 3 * h / 4), IsColor(255, 255, 255, 255, tolerance));
}

TEST_F(ImageDecodeTest, PngDecodesExactly) {
  auto image = Load("q.png", testing::EncodePng(Quadrants(6, 4)));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_FALSE((*image)->is_vector());
  EXPECT_EQ((*image)->width(), 6);
  EXPECT_EQ((*image)->height(), 4);
  EXPECT_EQ((*image)->bitmap().stride, 24);
  ExpectQuadrants(**image, 0);
  EXPECT_EQ((*image)->RasterizeVector(10, 10).status().code(), ErrorCode::kInternal);
}

TEST_F(ImageDecodeTest, PngAlphaIsPremultipliedWithRounding) {
  RgbaImage source = RgbaImage::Filled(3, 1, 255, 1, 3, 128);
  source.Set(1, 0, 200, 100, 50, 0);  // fully transparent: all zero
  source.Set(2, 0, 10, 20, 30, 255);  // opaque: unchanged
  auto image = Load("alpha.png", testing::EncodePng(source));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  // round(255·128/255) = 128, round(1·128/255 = 0.502) = 1, round(3·128/255 = 1.506) = 2.
  EXPECT_THAT(PixelAt((*image)->bitmap(), 0, 0), IsColor(128, 1, 2, 128, 0));
  EXPECT_THAT(PixelAt((*image)->bitmap(), 1, 0), IsColor(0, 0, 0, 0, 0));
  EXPECT_THAT(PixelAt((*image)->bitmap(), 2, 0), IsColor(10, 20, 30, 255, 0));
}

TEST_F(ImageDecodeTest, PremultiplyRoundsEveryValueCorrectly) {
  Bitmap bitmap = Bitmap::Allocate(256, 256);
  for (uint32_t a = 0; a < 256; ++a) {
    for (uint32_t c = 0; c < 256; ++c) {
      const uint32_t word = (a << 24) | (c << 16) | (c << 8) | c;
      std::memcpy(bitmap.pixels.data() + a * bitmap.stride + c * 4, &word, 4);
    }
  }
  PremultiplyInPlace(&bitmap);
  for (int a = 0; a < 256; ++a) {
    for (int c = 0; c < 256; ++c) {
      const int expected = static_cast<int>(std::lround(c * a / 255.0));
      const Rgba p = PixelAt(bitmap, c, a);
      ASSERT_EQ(p.r, expected) << "c=" << c << " a=" << a;
      ASSERT_EQ(p.a, a);
    }
  }
}

TEST_F(ImageDecodeTest, JpegDecodesToTheRightColours) {
  auto image = Load("q.jpg", testing::EncodeJpeg(Quadrants(32, 16)));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ((*image)->width(), 32);
  EXPECT_EQ((*image)->height(), 16);
  ExpectQuadrants(**image, 6);
}

TEST_F(ImageDecodeTest, JpegExifOrientationIsApplied) {
  const std::string jpeg = testing::EncodeJpeg(Quadrants(32, 16));
  // 6: the stored image must be turned 90° clockwise: bottom-left (blue) becomes top-left.
  auto rotated = Load("rot6.jpg", testing::AddExifOrientation(jpeg, 6));
  ASSERT_TRUE(rotated.ok()) << rotated.error().ToString();
  EXPECT_EQ((*rotated)->width(), 16);
  EXPECT_EQ((*rotated)->height(), 32);
  const Bitmap& b = (*rotated)->bitmap();
  EXPECT_THAT(PixelAt(b, 4, 8), IsColor(0, 0, 255, 255, 6));       // was bottom-left
  EXPECT_THAT(PixelAt(b, 12, 8), IsColor(255, 0, 0, 255, 6));      // was top-left
  EXPECT_THAT(PixelAt(b, 4, 24), IsColor(255, 255, 255, 255, 6));  // was bottom-right
  EXPECT_THAT(PixelAt(b, 12, 24), IsColor(0, 255, 0, 255, 6));     // was top-right

  // 3: rotated 180°.
  auto upside_down = Load("rot3.jpg", testing::AddExifOrientation(jpeg, 3));
  ASSERT_TRUE(upside_down.ok());
  EXPECT_EQ((*upside_down)->width(), 32);
  EXPECT_THAT(PixelAt((*upside_down)->bitmap(), 8, 4), IsColor(255, 255, 255, 255, 6));
  EXPECT_THAT(PixelAt((*upside_down)->bitmap(), 24, 12), IsColor(255, 0, 0, 255, 6));
}

TEST_F(ImageDecodeTest, EveryOrientationMapsCornersCorrectly) {
  // A 3 × 2 bitmap with distinct pixel values; check where the top-left source pixel lands.
  Bitmap source = Bitmap::Allocate(3, 2);
  for (int i = 0; i < 6; ++i)
    source.pixels[static_cast<size_t>(i) * 4] = static_cast<uint8_t>(i + 1);
  auto at = [](const Bitmap& b, int x, int y) {
    return b.pixels[static_cast<size_t>(y) * b.stride + x * 4];
  };
  // Expected displayed rows for each orientation (values are source index + 1).
  const std::vector<std::vector<int>> expected[9] = {{},
                                                     {{1, 2, 3}, {4, 5, 6}},
                                                     {{3, 2, 1}, {6, 5, 4}},
                                                     {{6, 5, 4}, {3, 2, 1}},
                                                     {{4, 5, 6}, {1, 2, 3}},
                                                     {{1, 4}, {2, 5}, {3, 6}},
                                                     {{4, 1}, {5, 2}, {6, 3}},
                                                     {{6, 3}, {5, 2}, {4, 1}},
                                                     {{3, 6}, {2, 5}, {1, 4}}};
  for (int orientation = 1; orientation <= 8; ++orientation) {
    const Bitmap out = ApplyOrientation(source, orientation);
    const auto& rows = expected[orientation];
    ASSERT_EQ(out.height, static_cast<int>(rows.size())) << orientation;
    ASSERT_EQ(out.width, static_cast<int>(rows[0].size())) << orientation;
    for (int y = 0; y < out.height; ++y) {
      for (int x = 0; x < out.width; ++x) {
        EXPECT_EQ(at(out, x, y), rows[y][x]) << "orientation " << orientation;
      }
    }
  }
}

TEST_F(ImageDecodeTest, WebpLosslessAndLossy) {
  RgbaImage source = Quadrants(16, 16);
  source.Set(0, 0, 255, 255, 255, 128);
  auto lossless = Load("q.webp", testing::EncodeWebp(source, /*lossless=*/true));
  ASSERT_TRUE(lossless.ok()) << lossless.error().ToString();
  EXPECT_EQ((*lossless)->width(), 16);
  EXPECT_EQ((*lossless)->height(), 16);
  ExpectQuadrants(**lossless, 0);
  EXPECT_THAT(PixelAt((*lossless)->bitmap(), 0, 0), IsColor(128, 128, 128, 128, 0));

  auto lossy = Load("lossy.webp", testing::EncodeWebp(Quadrants(32, 32), /*lossless=*/false));
  ASSERT_TRUE(lossy.ok()) << lossy.error().ToString();
  EXPECT_EQ((*lossy)->width(), 32);
  ExpectQuadrants(**lossy, 12);
}

TEST_F(ImageDecodeTest, GifGivesTheFirstFrameWithTransparency) {
  RgbaImage first = RgbaImage::Filled(8, 6, 255, 0, 0);
  first.Set(7, 5, 0, 0, 0, 0);  // transparent
  RgbaImage second = RgbaImage::Filled(8, 6, 0, 0, 255);
  auto image = Load("anim.gif", testing::EncodeGif({first, second}));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ((*image)->width(), 8);
  EXPECT_EQ((*image)->height(), 6);
  EXPECT_THAT(PixelAt((*image)->bitmap(), 0, 0), IsColor(255, 0, 0, 255, 0));
  EXPECT_THAT(PixelAt((*image)->bitmap(), 3, 3), IsColor(255, 0, 0, 255, 0));
  EXPECT_EQ(PixelAt((*image)->bitmap(), 7, 5).a, 0);
}

TEST_F(ImageDecodeTest, SvgHasItsNaturalSizeAndRedrawsSharp) {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" "
      "height=\"20\" viewBox=\"0 0 4 2\"><rect width=\"2\" height=\"2\" fill=\"#ff0000\"/>"
      "<rect x=\"2\" width=\"2\" height=\"2\" fill=\"#0000ff\" fill-opacity=\"0.5\"/></svg>";
  auto image = Load("logo.svg", svg);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_TRUE((*image)->is_vector());
  EXPECT_EQ((*image)->width(), 40);
  EXPECT_EQ((*image)->height(), 20);
  EXPECT_THAT(PixelAt((*image)->bitmap(), 5, 10), IsColor(255, 0, 0, 255, 0));
  EXPECT_THAT(PixelAt((*image)->bitmap(), 30, 10), IsColor(0, 0, 128, 128, 1));

  Result<Bitmap> big = (*image)->RasterizeVector(400, 200);
  ASSERT_TRUE(big.ok()) << big.error().ToString();
  EXPECT_EQ(big->width, 400);
  EXPECT_EQ(big->height, 200);
  EXPECT_THAT(PixelAt(*big, 199, 100), IsColor(255, 0, 0, 255, 0));  // an edge stays sharp
  EXPECT_THAT(PixelAt(*big, 200, 100), IsColor(0, 0, 128, 128, 1));

  Result<Bitmap> huge = (*image)->RasterizeVector(20000, 20000);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code(), ErrorCode::kLimitExceeded);
}

TEST_F(ImageDecodeTest, SvgSizeFallsBackToViewBoxThenDefault) {
  auto viewbox =
      Load("vb.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 48\"/>");
  ASSERT_TRUE(viewbox.ok()) << viewbox.error().ToString();
  EXPECT_EQ((*viewbox)->width(), 64);
  EXPECT_EQ((*viewbox)->height(), 48);
  auto bare = Load("bare.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  ASSERT_TRUE(bare.ok()) << bare.error().ToString();
  EXPECT_EQ((*bare)->width(), 300);
  EXPECT_EQ((*bare)->height(), 150);
}

TEST_F(ImageDecodeTest, SvgCannotLoadFilesOfItsOwn) {
  std::ofstream(dir_ / "red.png", std::ios::binary)
      << testing::EncodePng(RgbaImage::Filled(4, 4, 255, 0, 0));
  const std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
      "width=\"4\" height=\"4\"><image width=\"4\" height=\"4\" xlink:href=\"red.png\"/>"
      "<image width=\"4\" height=\"4\" xlink:href=\"" +
      (dir_ / "red.png").string() + "\"/></svg>";
  auto image = Load("sneaky.svg", svg);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_THAT(PixelAt((*image)->bitmap(), 2, 2), IsColor(0, 0, 0, 0, 0));
}

TEST_F(ImageDecodeTest, HugeSvgIsRefusedBeforeDrawing) {
  auto image = Load("huge.svg",
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"30000\" height=\"30000\"/>");
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(image.error().message().find("huge.svg"), std::string::npos);
}

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST_F(ImageDecodeTest, OversizedHeadersAreRefusedWithoutDecoding) {
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) +
                          Bytes({0, 0,    0,    13, 'I', 'H', 'D', 'R', 0, 0, 0x75, 0x30, 0,
                                 0, 0x75, 0x30, 8,  6,   0,   0,   0,   0, 0, 0,    0});
  const std::string jpeg = Bytes({0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x75, 0x30, 0x75, 0x30,
                                  0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01});
  const std::string gif = std::string("GIF89a") + Bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0});
  const std::string webp = std::string("RIFF") + Bytes({22, 0, 0, 0}) + "WEBPVP8X" +
                           Bytes({10, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x75, 0, 0x2f, 0x75, 0});
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [name, bytes] : {std::pair{"big.png", png}, std::pair{"big.jpg", jpeg},
                                    std::pair{"big.gif", gif}, std::pair{"big.webp", webp}}) {
    auto image = Load(name, bytes);
    ASSERT_FALSE(image.ok()) << name;
    EXPECT_EQ(image.error().code(), ErrorCode::kLimitExceeded) << name;
    EXPECT_NE(image.error().message().find(name), std::string::npos);
    EXPECT_NE(image.error().message().find("more than the limit of 40000000 (LIMIT_IMAGE_PIXELS)"),
              std::string::npos)
        << image.error().message();
  }
  EXPECT_EQ(Load("big.png", png).error().message(),
            "asset big.png: image is 30000 x 30000 pixels, more than the limit of 40000000 "
            "(LIMIT_IMAGE_PIXELS)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST_F(ImageDecodeTest, PixelLimitIsTheOperatorsSetting) {
  AssetOptions options = Options();
  options.max_image_pixels = 99;
  auto image = Load("ten.png", testing::EncodePng(RgbaImage::Filled(10, 10, 1, 2, 3)), options);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code(), ErrorCode::kLimitExceeded);
  options.max_image_pixels = 100;
  EXPECT_TRUE(
      Load("ten.png", testing::EncodePng(RgbaImage::Filled(10, 10, 1, 2, 3)), options).ok());
}

TEST_F(ImageDecodeTest, LyingEmptyZipAndTruncatedFilesAreNotImages) {
  const std::string png = testing::EncodePng(Quadrants(16, 16));
  const struct {
    const char* name;
    std::string bytes;
    const char* message;
  } cases[] = {
      {"fake.png", "this is not a picture\n", "asset fake.png: not a supported image (text)"},
      {"empty.png", "", "asset empty.png: not a supported image (empty file)"},
      {"archive.png", std::string("PK\x03\x04\x14\x00\x08\x00\x08\x00", 10),
       "asset archive.png: not a supported image (zip archive)"},
      {"cut.png", png.substr(0, png.size() / 2),
       "asset cut.png: not a supported image (truncated PNG)"},
      {"cut.jpg", testing::EncodeJpeg(Quadrants(16, 16)).substr(0, 200),
       "asset cut.jpg: not a supported image (truncated JPEG)"},
  };
  for (const auto& c : cases) {
    auto image = Load(c.name, c.bytes);
    ASSERT_FALSE(image.ok()) << c.name;
    EXPECT_EQ(image.error().code(), ErrorCode::kAssetUnavailable) << c.name;
    EXPECT_EQ(image.error().message(), c.message);
  }
}

TEST_F(ImageDecodeTest, CorruptPixelDataIsAnErrorNotACrash) {
  std::string png = testing::EncodePng(Quadrants(16, 16));
  // Overwrite the IDAT payload (its chunk structure stays valid).
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  for (size_t i = idat + 4; i < idat + 20 && i < png.size(); ++i) png[i] = '\x5a';
  auto image = Load("corrupt.png", png);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code(), ErrorCode::kAssetUnavailable);
  EXPECT_NE(image.error().message().find("not a supported image (PNG decode failed"),
            std::string::npos)
      << image.error().message();
}

// Every prefix and many random mutations of small valid files: each load either succeeds
// or fails with a Status; none may crash, hang or allocate without bound (ASan runs this too).
TEST_F(ImageDecodeTest, MangledFilesNeverCrash) {
  const RgbaImage source = Quadrants(12, 10);
  const std::vector<std::string> files = {
      testing::EncodePng(source),
      testing::EncodeJpeg(source),
      testing::EncodeGif({source}),
      testing::EncodeWebp(source, true),
      testing::EncodeWebp(source, false),
      testing::AddExifOrientation(testing::EncodeJpeg(source), 8)};
  std::mt19937 random(12345);
  AssetOptions options = Options();
  AssetCache cache(options);
  int loaded = 0;
  int refused = 0;
  int index = 0;
  for (const std::string& file : files) {
    std::vector<std::string> variants;
    for (size_t length = 0; length < file.size(); length += 7)
      variants.push_back(file.substr(0, length));
    for (int round = 0; round < 60; ++round) {
      std::string mutated = file;
      const int flips = 1 + static_cast<int>(random() % 4);
      for (int i = 0; i < flips; ++i) {
        mutated[random() % mutated.size()] = static_cast<char>(random() % 256);
      }
      variants.push_back(mutated);
    }
    for (const std::string& bytes : variants) {
      const std::string name = std::to_string(index++) + ".img";
      std::ofstream(dir_ / name, std::ios::binary) << bytes;
      auto image = cache.LoadImage(name);
      if (image.ok()) {
        ++loaded;
        EXPECT_GT((*image)->width(), 0);
        EXPECT_EQ((*image)->bitmap().pixels.size(),
                  static_cast<size_t>((*image)->bitmap().stride) * (*image)->height());
      } else {
        ++refused;
        EXPECT_TRUE(image.error().code() == ErrorCode::kAssetUnavailable ||
                    image.error().code() == ErrorCode::kLimitExceeded)
            << image.error().ToString();
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace vg::assets

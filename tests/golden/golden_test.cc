// Golden frames: each clip type drawn by the real `vidgen render --still N` and compared with
// a reviewed PNG under expected/, with a tolerance (fonts' antialiasing and libraries may move
// a few levels). VG_UPDATE_GOLDEN=1 rewrites the expected PNGs (review them before committing).
#include <cairo.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace {

namespace fs = std::filesystem;

struct GoldenCase {
  const char* name;  // cases/<name>.json
  int frame;
};

// One case per clip type, plus transforms, transitions and animations.
const GoldenCase kCases[] = {
    {"background", 5},   // colour
    {"background", 15},  // linear gradient at 135°
    {"background", 25},  // radial gradient
    {"background", 35},  // image, contain
    {"image", 0},        // PNG, JPEG cover/contain/fill with radius, SVG, WebP, GIF; anchors
    {"text", 0},         // weight, stroke, wrap, maxLines, shadow, background box, RTL, emoji, autoFit
    {"shape", 0},        // rect/ellipse/line, gradients, stroke, rotation, scale, opacity
    {"motion", 5},       // wipe, zoom, fade mid-transition; eased x, colour, blur, rotation
    {"motion", 15},      // the same after the transitions
};

struct Image {
  int width = 0, height = 0, stride = 0;
  std::vector<uint8_t> pixels;
};

Image LoadPng(const std::string& path) {
  Image image;
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
    image.width = cairo_image_surface_get_width(s);
    image.height = cairo_image_surface_get_height(s);
    image.stride = cairo_image_surface_get_stride(s);
    const uint8_t* data = cairo_image_surface_get_data(s);
    image.pixels.assign(data, data + static_cast<size_t>(image.stride) * image.height);
  }
  cairo_surface_destroy(s);
  return image;
}

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, FrameMatchesTheReviewedImage) {
  const GoldenCase& c = GetParam();
  const fs::path dir = VG_GOLDEN_DIR;
  const fs::path expected = dir / "expected" / fmt::format("{}-{}.png", c.name, c.frame);
  const fs::path actual = fs::temp_directory_path() / fmt::format("vg-golden-{}-{}-{}.png", c.name, c.frame, getpid());
  const std::string command = fmt::format("'{}' render '{}' --still {} -o '{}'", VG_BINARY,
                                          (dir / "cases" / (std::string(c.name) + ".json")).string(),
                                          c.frame, actual.string());
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  if (std::getenv("VG_UPDATE_GOLDEN")) {
    fs::copy_file(actual, expected, fs::copy_options::overwrite_existing);
    fs::remove(actual);
    GTEST_SKIP() << "updated " << expected;
  }
  Image want = LoadPng(expected.string());
  Image got = LoadPng(actual.string());
  fs::remove(actual);
  ASSERT_GT(want.width, 0) << "missing " << expected;
  ASSERT_EQ(got.width, want.width);
  ASSERT_EQ(got.height, want.height);
  double total = 0;
  int64_t far_off = 0;
  for (int y = 0; y < want.height; ++y) {
    for (int x = 0; x < want.width * 4; ++x) {
      int d = std::abs(int(want.pixels[y * want.stride + x]) - int(got.pixels[y * got.stride + x]));
      total += d;
      if (d > 24) ++far_off;
    }
  }
  const double samples = 4.0 * want.width * want.height;
  EXPECT_LT(total / samples, 1.0) << "mean difference per channel";
  EXPECT_LT(far_off / samples, 0.005) << "share of channels more than 24 levels off";
}

INSTANTIATE_TEST_SUITE_P(Frames, GoldenTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           return fmt::format("{}_{}", info.param.name, info.param.frame);
                         });

}  // namespace

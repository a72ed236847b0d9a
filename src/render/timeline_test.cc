// Timeline::Build prepares layers on several threads, and render threads reuse their canvas
// for whichever frames they get: what comes out (the frames drawn, and which clip an error
// names when several clips are broken) must depend on neither.
#include "render/timeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "render/compositor.h"
#include "tmpl/load.h"

namespace vg::render {
namespace {

Result<std::unique_ptr<Timeline>> BuildFrom(const char* json, int threads) {
  tmpl::Limits limits;
  auto parsed = tmpl::ParseJson(json, "template", limits);
  if (!parsed.ok()) return parsed.error();
  auto loaded = tmpl::Load(*parsed, nlohmann::json::object(), limits);
  if (!loaded.ok()) return loaded.error();
  assets::AssetOptions options;
  options.base_dir = std::filesystem::temp_directory_path().string();
  assets::AssetCache assets(options);
  return Timeline::Build(*loaded, assets, limits, threads);
}

TEST(TimelineTest, TheFirstBrokenClipInPaintOrderIsReportedWhateverTheThreads) {
  const char* json = R"({
    "version": 1, "output": { "width": 320, "height": 180, "fps": 30 }, "duration": 1,
    "tracks": [
      { "type": "shape", "clips": [ { "shape": "rect", "width": 100, "height": 50, "fill": "#ff0000" } ] },
      { "type": "image", "clips": [ { "src": "vg-timeline-test-missing-first.png", "width": 50 } ] },
      { "type": "text", "clips": [ { "text": "hello" } ] },
      { "type": "image", "clips": [ { "src": "vg-timeline-test-missing-second.png", "width": 50 } ] }
    ] })";
  for (int threads : {1, 2, 4}) {
    auto timeline = BuildFrom(json, threads);
    ASSERT_FALSE(timeline.ok()) << threads << " threads";
    EXPECT_EQ(timeline.error().code(), ErrorCode::kAssetUnavailable);
    ASSERT_FALSE(timeline.error().details().empty());
    EXPECT_EQ(timeline.error().details()[0].path, "tracks[1].clips[0]") << threads << " threads";
  }
}

TEST(TimelineTest, LayersPreparedOnSeveralThreadsDrawTheSameFrames) {
  const char* json = R"({
    "version": 1, "output": { "width": 320, "height": 180, "fps": 30 }, "duration": 1,
    "tracks": [
      { "type": "background", "clips": [ { "gradient": { "type": "linear", "angle": 135,
          "stops": [ { "offset": 0, "color": "#0b1020" }, { "offset": 1, "color": "#3a1c71" } ] } } ] },
      { "type": "shape", "clips": [ { "shape": "ellipse", "width": 120, "height": 80, "fill": "#00ff0080",
          "animations": [ { "property": "scale", "keyframes": [ { "time": 0, "value": 1 }, { "time": 1, "value": 1.3 } ] } ] } ] },
      { "type": "text", "clips": [ { "text": "Hello, threads", "y": 140,
          "style": { "fontFamily": "DejaVu Sans", "fontSize": 28, "color": "#ffffff" } } ] },
      { "type": "shape", "clips": [ { "shape": "rect", "width": 60, "height": 60, "radius": 8, "fill": "#ffcc00",
          "x": 40, "y": 40, "rotation": 20 } ] }
    ] })";
  auto one = BuildFrom(json, 1);
  auto four = BuildFrom(json, 4);
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  ASSERT_TRUE(four.ok()) << four.error().ToString();
  Canvas a(320, 180), b(320, 180);
  for (FrameIndex f : {0, 14, 29}) {
    RenderFrame(**one, f, a);
    RenderFrame(**four, f, b);
    EXPECT_EQ(a.bitmap().pixels, b.bitmap().pixels) << "frame " << f;
  }
}

TEST(TimelineTest, AFrameDoesNotDependOnWhatTheCanvasHeldBefore) {
  // Render threads reuse their canvas, and which frames a thread gets depends on timing: a
  // frame must come out the same whatever frame the canvas showed before, or two renders of
  // one template differ. A noisy photo that zooms and turns, a bar sliding across, text.
  const std::filesystem::path image = std::filesystem::temp_directory_path() /
                                      ("vg-timeline-test-" + std::to_string(getpid()) + ".png");
  {
    assets::Bitmap noise = assets::Bitmap::Allocate(320, 180);
    uint32_t seed = 12345;
    for (size_t i = 0; i < noise.pixels.size(); ++i) {
      seed = seed * 1664525u + 1013904223u;
      noise.pixels[i] = (i % 4 == 3) ? 255 : static_cast<uint8_t>(seed >> 24);
    }
    SurfacePtr surface = WrapBitmap(noise);
    ASSERT_EQ(cairo_surface_write_to_png(surface.get(), image.c_str()), CAIRO_STATUS_SUCCESS);
  }
  const std::string json = R"({
    "version": 1, "output": { "width": 320, "height": 180, "fps": 30 }, "duration": 2,
    "tracks": [
      { "type": "image", "clips": [ { "src": ")" +
                           image.string() + R"(", "width": 320, "height": 180,
          "animations": [ { "property": "scale", "keyframes": [ { "time": 0, "value": 1 }, { "time": 2, "value": 1.6 } ] },
                          { "property": "rotation", "keyframes": [ { "time": 0, "value": 0 }, { "time": 2, "value": 40 } ] } ] } ] },
      { "type": "shape", "clips": [ { "shape": "rect", "width": 60, "height": 60, "fill": "#ff3366",
          "animations": [ { "property": "x", "keyframes": [ { "time": 0, "value": 0 }, { "time": 2, "value": 320 } ] } ] } ] },
      { "type": "text", "clips": [ { "text": "Same bytes", "style": { "fontSize": 28, "color": "#ffee00" } } ] }
    ] })";
  auto timeline = BuildFrom(json.c_str(), 2);
  std::filesystem::remove(image);
  ASSERT_TRUE(timeline.ok()) << timeline.error().ToString();
  Canvas fresh(320, 180), reused(320, 180);
  for (FrameIndex f = 0; f < (*timeline)->frame_count(); f += 2) {
    RenderFrame(**timeline, f, fresh);
    for (FrameIndex before : {FrameIndex{0}, f + 1, (*timeline)->frame_count() - 1}) {
      Canvas other(320, 180);
      RenderFrame(**timeline, before, other);
      RenderFrame(**timeline, f, other);
      ASSERT_EQ(fresh.bitmap().pixels, other.bitmap().pixels)
          << "frame " << f << " after frame " << before;
    }
    RenderFrame(**timeline, f, reused);
    ASSERT_EQ(fresh.bitmap().pixels, reused.bitmap().pixels)
        << "frame " << f << " on a used canvas";
  }
}

}  // namespace
}  // namespace vg::render

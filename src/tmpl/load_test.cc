// Load end to end on the bench promo (TEMPLATE-FORMAT.md's full feature set in one real
// template): the values the renderer will read, placeholders filled, and the cost of a large
// document.
#include "tmpl/load.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "tmpl/test_util.h"

namespace vg::tmpl {
namespace {

using nlohmann::json;

// A copy of shared/bench/promo-1080p.json.
constexpr const char* kPromo = R"json(
{
  "version": 1,
  "name": "bench-promo-1080p",
  "output": { "width": 1920, "height": 1080, "fps": 30, "format": "mp4", "quality": "standard" },
  "duration": 10,
  "inputs": {
    "name": { "type": "string", "default": "Ada Lovelace", "maxLength": 80 },
    "price": { "type": "string", "default": "$49" }
  },
  "tracks": [
    { "type": "background", "clips": [
      { "gradient": { "type": "linear", "angle": 135,
                      "stops": [ { "offset": 0, "color": "#0b1020" }, { "offset": 1, "color": "#3a1c71" } ] } } ] },
    { "type": "image", "clips": [
      { "src": "assets/photo.jpg", "width": 1920, "height": 1080, "fit": "cover", "opacity": 0.85,
        "animations": [ { "property": "scale", "keyframes": [ { "time": 0, "value": 1.0 }, { "time": 10, "value": 1.15 } ], "easing": "linear" } ],
        "transition": { "in": { "type": "fade", "duration": 1 } } } ] },
    { "type": "shape", "clips": [
      { "start": 0.5, "shape": "rect", "width": 1400, "height": 260, "radius": 24, "fill": "rgba(11,16,32,0.72)",
        "x": "50%", "y": 820,
        "transition": { "in": { "type": "slide-up", "duration": 0.6 } } } ] },
    { "type": "text", "clips": [
      { "start": 0.8, "text": "Hello, {{name}}!", "x": "50%", "y": 780,
        "style": { "fontFamily": "DejaVu Sans", "fontSize": 96, "fontWeight": "bold", "color": "#ffffff",
                   "align": "center", "maxWidth": 1300, "shadow": { "color": "rgba(0,0,0,0.6)", "blur": 8, "x": 0, "y": 4 } },
        "animations": [
          { "property": "opacity", "keyframes": [ { "time": 0, "value": 0 }, { "time": 0.5, "value": 1 } ], "easing": "easeOutCubic" },
          { "property": "y", "keyframes": [ { "time": 0, "value": 830 }, { "time": 0.5, "value": 780 } ], "easing": "easeOutCubic" } ] },
      { "start": 1.5, "text": "Everything you need, from {{price}} a month", "x": "50%", "y": 890,
        "style": { "fontFamily": "DejaVu Sans", "fontSize": 48, "color": "#ffcc00", "align": "center", "maxWidth": 1300 },
        "transition": { "in": { "type": "fade", "duration": 0.5 }, "out": { "type": "fade", "duration": 0.5 } } } ] },
    { "type": "image", "clips": [
      { "start": 0.3, "src": "assets/logo.png", "width": 160, "x": 1800, "y": 120,
        "animations": [ { "property": "scale", "keyframes": [ { "time": 0, "value": 0 }, { "time": 1, "value": 1 } ],
                          "easing": { "spring": { "stiffness": 100, "damping": 10, "mass": 1 } } },
                        { "property": "rotation", "keyframes": [ { "time": 0, "value": 0 }, { "time": 9.7, "value": 360 } ], "easing": "linear" } ] } ] },
    { "type": "audio", "clips": [
      { "src": "assets/music.ogg", "volume": 0.8, "fadeIn": 0.5, "fadeOut": 1.5 } ] }
  ]
}
)json";

Template LoadPromo(const json& input) {
  auto parsed = ParseJson(kPromo, "template", Limits{});
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto loaded = Load(*parsed, input, Limits{});
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? std::move(loaded).value() : Template{};
}

TEST(LoadTest, PromoTemplateLoadsWithExpectedValues) {
  Template t = LoadPromo(json::object());
  EXPECT_EQ(t.name, "bench-promo-1080p");
  EXPECT_EQ(t.output.width, 1920);
  EXPECT_EQ(t.output.height, 1080);
  EXPECT_EQ(t.output.fps, Rational(30, 1));
  EXPECT_EQ(t.output.quality, Quality::kStandard);
  EXPECT_EQ(t.duration, 10.0);
  EXPECT_EQ(KnownDuration(t), 10.0);
  ASSERT_EQ(t.tracks.size(), 6u);

  // Background gradient.
  ASSERT_EQ(t.tracks[0].type, ClipType::kBackground);
  const Clip& background = t.tracks[0].clips.at(0);
  EXPECT_EQ(background.path, "tracks[0].clips[0]");
  const auto& gradient = *std::get<BackgroundClip>(background.body).gradient;
  EXPECT_EQ(gradient.type, GradientType::kLinear);
  EXPECT_EQ(gradient.angle_deg, 135);
  ASSERT_EQ(gradient.stops.size(), 2u);
  EXPECT_EQ(gradient.stops[1].offset, 1);
  EXPECT_NEAR(gradient.stops[1].color.r, 0x3a / 255.0, 1e-12);

  // Ken Burns photo.
  const Clip& photo = t.tracks[1].clips.at(0);
  EXPECT_EQ(photo.path, "tracks[1].clips[0]");
  const auto& image = std::get<ImageClip>(photo.body);
  EXPECT_EQ(image.src, "assets/photo.jpg");
  EXPECT_EQ(image.width, 1920.0);
  EXPECT_EQ(image.fit, Fit::kCover);
  EXPECT_EQ(photo.visual.opacity, 0.85);
  ASSERT_EQ(photo.animations.size(), 1u);
  EXPECT_EQ(photo.animations[0].property, Property::kScale);
  EXPECT_EQ(photo.animations[0].keyframes[1].time, 10);
  EXPECT_EQ(photo.animations[0].keyframes[1].value, 1.15);
  ASSERT_TRUE(photo.visual.transition_in.has_value());
  EXPECT_EQ(photo.visual.transition_in->type, TransitionType::kFade);
  EXPECT_EQ(photo.visual.transition_in->duration, 1);

  // Lower-third panel.
  const Clip& panel = t.tracks[2].clips.at(0);
  const auto& shape = std::get<ShapeClip>(panel.body);
  EXPECT_EQ(panel.timing.start, 0.5);
  EXPECT_EQ(shape.width, 1400);
  EXPECT_EQ(shape.radius, 24);
  ASSERT_TRUE(shape.fill.has_value());
  EXPECT_NEAR(std::get<Color>(*shape.fill).a, 0.72, 1e-12);
  ASSERT_TRUE(panel.visual.x.has_value());
  EXPECT_TRUE(panel.visual.x->percent);
  EXPECT_EQ(panel.visual.x->value, 50);
  EXPECT_EQ(panel.visual.y->value, 820);
  EXPECT_EQ(panel.visual.transition_in->type, TransitionType::kSlideUp);

  // Titles, with the declared defaults filled in.
  const Clip& title = t.tracks[3].clips.at(0);
  EXPECT_EQ(title.path, "tracks[3].clips[0]");
  const auto& title_text = std::get<TextClip>(title.body);
  EXPECT_EQ(title_text.text, "Hello, Ada Lovelace!");
  EXPECT_EQ(title_text.style.font_family, "DejaVu Sans");
  EXPECT_EQ(title_text.style.font_size, 96);
  EXPECT_EQ(title_text.style.font_weight, 700);
  EXPECT_EQ(title_text.style.max_width, 1300.0);
  ASSERT_TRUE(title_text.style.shadow.has_value());
  EXPECT_EQ(title_text.style.shadow->blur, 8);
  ASSERT_EQ(title.animations.size(), 2u);
  EXPECT_EQ(title.animations[0].easing.kind, EasingKind::kCubicOut);
  EXPECT_EQ(title.animations[1].property, Property::kY);
  const Clip& subtitle = t.tracks[3].clips.at(1);
  EXPECT_EQ(subtitle.path, "tracks[3].clips[1]");
  EXPECT_EQ(std::get<TextClip>(subtitle.body).text, "Everything you need, from $49 a month");
  EXPECT_EQ(std::get<TextClip>(subtitle.body).style.color, (Color{1, 0xcc / 255.0, 0, 1}));
  EXPECT_EQ(subtitle.visual.transition_out->type, TransitionType::kFade);

  // Logo with a spring.
  const Clip& logo = t.tracks[4].clips.at(0);
  ASSERT_EQ(logo.animations.size(), 2u);
  const Easing& spring = logo.animations[0].easing;
  EXPECT_EQ(spring.kind, EasingKind::kSpring);
  EXPECT_EQ(spring.spring.stiffness, 100);
  EXPECT_EQ(spring.spring.damping, 10);
  EXPECT_EQ(spring.spring.mass, 1);
  EXPECT_EQ(logo.animations[1].property, Property::kRotation);
  EXPECT_EQ(logo.animations[1].keyframes[1].value, 360);

  // Music.
  ASSERT_EQ(t.tracks[5].type, ClipType::kAudio);
  const Clip& music = t.tracks[5].clips.at(0);
  EXPECT_EQ(music.path, "tracks[5].clips[0]");
  const auto& audio = std::get<AudioClip>(music.body);
  EXPECT_EQ(audio.src, "assets/music.ogg");
  EXPECT_EQ(audio.volume, 0.8);
  EXPECT_EQ(audio.fade_in, 0.5);
  EXPECT_EQ(audio.fade_out, 1.5);
}

TEST(LoadTest, PromoTemplateTakesInputs) {
  Template t = LoadPromo({{"name", "Grace"}, {"price", "€9"}});
  EXPECT_EQ(std::get<TextClip>(t.tracks[3].clips.at(0).body).text, "Hello, Grace!");
  EXPECT_EQ(std::get<TextClip>(t.tracks[3].clips.at(1).body).text,
            "Everything you need, from €9 a month");

  auto parsed = ParseJson(kPromo, "template", Limits{});
  ASSERT_TRUE(parsed.ok());
  auto loaded = Load(*parsed, {{"name", std::string(81, 'x')}, {"price", 49}}, Limits{});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidTemplate);
  EXPECT_EQ(loaded.error().message(), "The template has 2 problems.");
  EXPECT_EQ(loaded.error().details().at(0),
            (ErrorDetail{"input.name", "must be at most 80 characters long, got 81 characters"}));
  EXPECT_EQ(loaded.error().details().at(1),
            (ErrorDetail{"input.price", "must be a string, got 49"}));
}

TEST(LoadTest, ApplySetFeedsLoad) {
  auto parsed = ParseJson(kPromo, "template", Limits{});
  ASSERT_TRUE(parsed.ok());
  json input = json::object();
  ASSERT_TRUE(ApplySet(*parsed, "price=49", &input).ok());  // declared string: stays "49"
  ASSERT_TRUE(ApplySet(*parsed, "name=Ada", &input).ok());
  auto loaded = Load(*parsed, input, Limits{});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(std::get<TextClip>(loaded->tracks[3].clips.at(1).body).text,
            "Everything you need, from 49 a month");
}

TEST(LoadTest, OneMebibyteTemplateLoadsQuickly) {
  // 500 text clips (the clip limit) with long texts and animations: about 1 MiB of JSON.
  json clips = json::array();
  std::string words;
  while (words.size() < 1800) words += "lorem ipsum {{name}} dolor ";
  for (int i = 0; i < 500; ++i) {
    clips.push_back(json::parse(R"json({"start": 0.5, "duration": 2, "x": "50%", "y": 100,
        "style": {"fontSize": 40, "color": "#ffcc00", "maxWidth": 1200},
        "animations": [{"property": "opacity", "easing": "easeOutCubic",
                        "keyframes": [{"time": 0, "value": 0}, {"time": 0.5, "value": 1}]}]})json"));
    clips.back()["text"] = words;
  }
  json t = {{"duration", 10}, {"inputs", {{"name", {{"type", "string"}, {"default", "Ada"}}}}}};
  t["tracks"] = json::array({{{"type", "text"}, {"clips", clips}}});
  std::string text = t.dump();
  ASSERT_GT(text.size(), 900'000u);
  ASSERT_LT(text.size(), 1u << 20);

  auto start = std::chrono::steady_clock::now();
  auto parsed = ParseJson(text, "template", Limits{});
  ASSERT_TRUE(parsed.ok());
  auto loaded = Load(*parsed, json::object(), Limits{});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->tracks[0].clips.size(), 500u);
  double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  std::printf("parse + load of %zu bytes: %.1f ms\n", text.size(), ms);
  // Well under 100 ms on the reference machine; the bound leaves room for a busy CI box.
  EXPECT_LT(ms, 250.0);
}

TEST(LoadTest, HostileDocumentOfManyBadClipsStaysCheap) {
  // 1 MiB of tiny invalid clips: the problem cap stops the work, the answer stays small.
  std::string text = R"json({"duration": 1, "tracks": [{"type": "text", "clips": [)json";
  while (text.size() < 1'000'000) text += R"json({"text": 1, "start": "x", "bogus": 1},)json";
  text += R"json({"text": "a"}]}]})json";
  auto start = std::chrono::steady_clock::now();
  auto parsed = ParseJson(text, "template", Limits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto loaded = Load(*parsed, json::object(), Limits{});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().details().size(), 101u);
  EXPECT_EQ(loaded.error().details()[0].path, "tracks");  // the clip limit comes first
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace vg::tmpl

// Validation (Load): every field's type and range, unknown fields with suggestions, colours,
// easings, animation rules, timing, limits and the problem cap, each checked on the exact path
// and message a user reads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tmpl/load.h"
#include "tmpl/test_util.h"

namespace vg::tmpl {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::vector<ErrorDetail> Problems(const json& t, const json& input = json::object(),
                                  const Limits& limits = {}) {
  auto loaded = Load(t, input, limits);
  if (loaded.ok()) return {};
  return loaded.error().details();
}

Template MustLoad(const json& t, const json& input = json::object()) {
  auto loaded = Load(t, input, Limits{});
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? std::move(loaded).value() : Template{};
}

// A template with one track of `type` holding the one clip `clip`.
json WithClip(const std::string& type, const json& clip) {
  json t = {{"duration", 5}, {"tracks", json::array()}};
  t["tracks"].push_back({{"type", type}, {"clips", json::array({clip})}});
  return t;
}

// A minimal valid clip of each type.
json BaseClip(const std::string& type) {
  if (type == "background") return {{"color", "#000"}};
  if (type == "image") return {{"src", "a.png"}};
  if (type == "text") return {{"text", "hi"}};
  if (type == "audio") return {{"src", "a.ogg"}};
  return json::object();  // shape: every field has a default
}

const Clip& OnlyClip(const Template& t) { return t.tracks.at(0).clips.at(0); }

// ---- Whole-document behaviour -------------------------------------------------------------

TEST(ValidateTest, MinimalTemplateGetsTheDefaults) {
  Template t = MustLoad(json::parse(R"json({"duration": 5, "tracks": []})json"));
  EXPECT_EQ(t.version, 1);
  EXPECT_EQ(t.output.width, 1920);
  EXPECT_EQ(t.output.height, 1080);
  EXPECT_EQ(t.output.fps, Rational(30, 1));
  EXPECT_EQ(t.output.format, "mp4");
  EXPECT_EQ(t.output.quality, Quality::kStandard);
  EXPECT_FALSE(t.output.crf.has_value());
  EXPECT_EQ(t.background, (Color{0, 0, 0, 1}));
  EXPECT_EQ(t.duration, 5.0);
  EXPECT_TRUE(t.tracks.empty());
}

TEST(ValidateTest, SeveralProblemsAreAllReportedWithExactPaths) {
  json t = json::parse(R"json({
    "version": 1,
    "output": { "width": 1921, "fps": 0 },
    "duration": 10,
    "tracks": [
      { "type": "text", "clips": [ { "text": "Hi {{name}}", "start": 1 } ] },
      { "type": "image", "clips": [ { "src": "a.png", "start": "soon", "opacity": 2,
          "animations": [
            { "property": "scale", "keyframes": [ { "time": 0, "value": 1 } ] },
            { "property": "opacity",
              "keyframes": [ { "time": 1, "value": 0 }, { "time": 0.5, "value": 1 } ] } ] } ] }
    ]
  })json");
  auto loaded = Load(t, json::object(), Limits{});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidTemplate);
  EXPECT_EQ(loaded.error().message(), "The template has 6 problems.");
  EXPECT_THAT(
      loaded.error().details(),
      ElementsAre(
          ErrorDetail{"input.name", "required placeholder {{name}} has no value and no default"},
          ErrorDetail{"output.width", "must be an even integer from 16 to 7680, got 1921"},
          ErrorDetail{"output.fps", "must be a number from 1 to 120, got 0"},
          ErrorDetail{"tracks[1].clips[0].start", "must be a number >= 0, got \"soon\""},
          ErrorDetail{"tracks[1].clips[0].opacity", "must be a number from 0 to 1, got 2"},
          ErrorDetail{"tracks[1].clips[0].animations[1].keyframes[1].time",
                      "must be greater than the previous keyframe's time (1), got 0.5"}));
}

TEST(ValidateTest, OneProblemIsSingular) {
  auto loaded = Load(json::parse(R"json({"duration": -1, "tracks": []})json"), json::object(), {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message(), "The template has 1 problem.");
  EXPECT_THAT(loaded.error().details(),
              ElementsAre(ErrorDetail{"duration", "must be a number > 0, got -1"}));
}

TEST(ValidateTest, TemplateMustBeAnObject) {
  EXPECT_THAT(Problems(json::array()),
              ElementsAre(ErrorDetail{"",
                                      "the template must be a JSON object, got an empty "
                                      "array"}));
}

TEST(ValidateTest, ProblemListIsCappedAtOneHundred) {
  json clips = json::array();
  for (int i = 0; i < 150; ++i) clips.push_back({{"text", "x"}, {"start", "late"}});
  json t = {{"duration", 5}, {"tracks", json::array({{{"type", "text"}, {"clips", clips}}})}};
  auto loaded = Load(t, json::object(), Limits{});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message(), "The template has more than 100 problems.");
  const auto& details = loaded.error().details();
  ASSERT_EQ(details.size(), 101u);
  EXPECT_EQ(details[99].path, "tracks[0].clips[99].start");
  EXPECT_EQ(details[100].path, "");
  EXPECT_THAT(details[100].message, StartsWith("…and more"));
}

TEST(ValidateTest, WrongTypesAnywhereAreProblemsNeverExceptions) {
  // Replace every value of a rich template, one at a time, by values of other types.
  json base = json::parse(R"json({
    "version": 1, "name": "n", "duration": 5, "background": "#000",
    "output": { "width": 640, "height": 360, "fps": 25, "format": "mp4", "quality": "high", "crf": 20 },
    "fonts": [ { "family": "F", "src": "f.ttf" } ],
    "inputs": { "who": { "type": "string", "default": "you", "maxLength": 9, "required": false } },
    "tracks": [
      { "type": "background", "clips": [ { "gradient": { "type": "radial", "angle": 10,
          "stops": [ { "offset": 0, "color": "red" }, { "offset": 1, "color": "blue" } ] } } ] },
      { "type": "text", "clips": [ { "text": "hi {{who}}", "start": 1, "end": 2, "x": "10%", "y": 5,
          "anchor": "top", "opacity": 0.5, "scale": 2, "rotation": 3,
          "style": { "fontFamily": "F", "fontSize": 20, "fontWeight": 700, "italic": true,
                     "color": "#fff", "align": "left", "lineHeight": 1.2, "letterSpacing": 1,
                     "maxWidth": 100, "maxHeight": 50, "maxLines": 2, "autoFit": true,
                     "stroke": { "color": "#000", "width": 2 },
                     "shadow": { "color": "#000", "blur": 2, "x": 1, "y": 1 },
                     "background": { "color": "#000", "padding": 4, "radius": 2 } },
          "transition": { "in": { "type": "fade", "duration": 0.5 }, "out": { "type": "zoom" } },
          "animations": [ { "property": "color", "easing": { "spring": { "mass": 2 } },
              "keyframes": [ { "time": 0, "value": "red", "easing": "steps(3)" },
                             { "time": 1, "value": "blue" } ] } ] } ] },
      { "type": "shape", "clips": [ { "shape": "ellipse", "width": 5, "height": 5, "radius": 1,
          "fill": { "stops": [ { "color": "red" }, { "color": "blue" } ] },
          "stroke": { "width": 1 } } ] },
      { "type": "image", "clips": [ { "src": "a.png", "width": 5, "fit": "contain", "radius": 2 } ] },
      { "type": "audio", "clips": [ { "src": "a.ogg", "volume": 2, "trim": 1, "fadeIn": 1,
          "fadeOut": 1, "loop": true } ] }
    ]
  })json");
  ASSERT_TRUE(Load(base, json::object(), {}).ok())
      << Load(base, json::object(), {}).status().ToString();

  std::vector<json::json_pointer> pointers;
  std::function<void(const json&, const json::json_pointer&)> collect =
      [&](const json& node, const json::json_pointer& at) {
        if (!at.empty()) pointers.push_back(at);
        if (node.is_object()) {
          for (auto it = node.begin(); it != node.end(); ++it) collect(it.value(), at / it.key());
        } else if (node.is_array()) {
          for (size_t i = 0; i < node.size(); ++i) collect(node[i], at / i);
        }
      };
  collect(base, json::json_pointer());
  ASSERT_GT(pointers.size(), 100u);

  const json replacements[] = {
      nullptr,         7, -1, 1e300, "x", "", true, json::array(), json::object(), json::array({1}),
      json({{"a", 1}})};
  int refused = 0;
  for (const auto& pointer : pointers) {
    for (const json& replacement : replacements) {
      json t = base;
      t[pointer] = replacement;
      Result<Template> loaded = Status(ErrorCode::kInternal, "not run");
      EXPECT_NO_THROW(loaded = Load(t, json::object(), {})) << pointer.to_string();
      if (!loaded.ok()) {
        ++refused;
        ASSERT_FALSE(loaded.error().details().empty()) << pointer.to_string();
        for (const auto& detail : loaded.error().details()) EXPECT_FALSE(detail.message.empty());
      }
    }
  }
  EXPECT_GT(refused, 500);
}

// ---- Top level ----------------------------------------------------------------------------

TEST(ValidateTest, VersionMustBeOne) {
  EXPECT_THAT(
      Problems(json::parse(R"json({"version": 2, "duration": 1, "tracks": []})json")),
      ElementsAre(ErrorDetail{"version", "must be 1 (the only version of the format), got 2"}));
  EXPECT_THAT(Problems(json::parse(R"json({"version": "1", "duration": 1, "tracks": []})json")),
              ::testing::SizeIs(1));
}

TEST(ValidateTest, OutputFields) {
  auto output_problems = [](const std::string& output_json) {
    return Problems(
        json::parse(R"json({"duration": 1, "tracks": [], "output": )json" + output_json + "}"));
  };
  EXPECT_THAT(output_problems(R"json({"width": 1920.0, "height": 1080})json"), IsEmpty());
  EXPECT_THAT(output_problems(R"json({"height": 4322})json"),
              ElementsAre(ErrorDetail{"output.height",
                                      "must be an even integer from 16 to 4320, got 4322"}));
  EXPECT_THAT(
      output_problems(R"json({"width": 14})json"),
      ElementsAre(ErrorDetail{"output.width", "must be an even integer from 16 to 7680, got 14"}));
  EXPECT_THAT(output_problems(R"json({"width": "1920"})json"),
              ElementsAre(ErrorDetail{"output.width",
                                      "must be an even integer from 16 to 7680, got \"1920\""}));
  EXPECT_THAT(output_problems(R"json({"fps": 121})json"),
              ElementsAre(ErrorDetail{"output.fps", "must be a number from 1 to 120, got 121"}));
  EXPECT_THAT(
      output_problems(R"json({"format": "webm"})json"),
      ElementsAre(ErrorDetail{"output.format", "\"webm\" is not supported yet; use \"mp4\""}));
  EXPECT_THAT(output_problems(R"json({"format": "avi"})json"),
              ElementsAre(ErrorDetail{"output.format", "must be one of \"mp4\", got \"avi\""}));
  EXPECT_THAT(output_problems(R"json({"quality": "ultra"})json"),
              ElementsAre(ErrorDetail{"output.quality",
                                      "must be one of \"draft\", \"standard\", "
                                      "\"high\", got \"ultra\""}));
  EXPECT_THAT(output_problems(R"json({"quality": "hihg"})json"),
              ElementsAre(ErrorDetail{"output.quality",
                                      "must be one of \"draft\", \"standard\", \"high\", got "
                                      "\"hihg\"; did you mean \"high\"?"}));
  EXPECT_THAT(output_problems(R"json({"crf": 52})json"),
              ElementsAre(ErrorDetail{"output.crf", "must be an integer from 0 to 51, got 52"}));
  EXPECT_THAT(output_problems(R"json({"crf": 20.5})json"),
              ElementsAre(ErrorDetail{"output.crf", "must be an integer from 0 to 51, got 20.5"}));
  EXPECT_THAT(
      output_problems(R"json({"widht": 640})json"),
      ElementsAre(ErrorDetail{"output.widht", "unknown field \"widht\"; did you mean \"width\"?"}));
}

TEST(ValidateTest, OutputValues) {
  Template t = MustLoad(json::parse(
      R"json({"duration": 1, "tracks": [], "output": {"width": 640, "height": 360, "fps": 29.97,
          "quality": "high", "crf": 18}})json"));
  EXPECT_EQ(t.output.width, 640);
  EXPECT_EQ(t.output.height, 360);
  EXPECT_EQ(t.output.fps, Rational(30000, 1001));
  EXPECT_EQ(t.output.quality, Quality::kHigh);
  EXPECT_EQ(t.output.crf, 18);
  t = MustLoad(json::parse(R"json({"duration": 1, "tracks": [], "output": {"fps": 23.976}})json"));
  EXPECT_EQ(t.output.fps, Rational(24000, 1001));
  t = MustLoad(json::parse(R"json({"duration": 1, "tracks": [], "output": {"fps": 25}})json"));
  EXPECT_EQ(t.output.fps, Rational(25, 1));
  t = MustLoad(
      json::parse(R"json({"duration": 1, "tracks": [], "output": {"quality": "draft"}})json"));
  EXPECT_EQ(t.output.quality, Quality::kDraft);
}

TEST(ValidateTest, DurationAndBackground) {
  EXPECT_THAT(Problems(json::parse(R"json({"duration": "10", "tracks": []})json")),
              ElementsAre(ErrorDetail{"duration", "must be a number > 0, got \"10\""}));
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 0, "tracks": []})json")),
              ElementsAre(ErrorDetail{"duration", "must be a number > 0, got 0"}));
  auto problems = Problems(
      json::parse(R"json({"duration": 1, "tracks": [], "background": "rgb(300,0,0)"})json"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "background");
  EXPECT_EQ(problems[0].message,
            "must be a colour (#rrggbb, #rrggbbaa, rgb(…), rgba(…) or a CSS colour name), got "
            "\"rgb(300,0,0)\"");
  Template t =
      MustLoad(json::parse(R"json({"duration": 1, "tracks": [], "background": "#0b1020"})json"));
  EXPECT_NEAR(t.background.b, 0x20 / 255.0, 1e-12);
}

TEST(ValidateTest, UnknownTopLevelField) {
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1, "tracs": []})json")),
              ElementsAre(ErrorDetail{"tracs", "unknown field \"tracs\"; did you mean \"tracks\"?"},
                          ErrorDetail{"tracks", "required"}));
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1, "tracks": [], "colour": "red"})json")),
              ElementsAre(ErrorDetail{"colour", "unknown field \"colour\""}));
  EXPECT_THAT(
      Problems(json::parse(R"json({"duration": 1, "tracks": [], "$schema": "x.json"})json")),
      IsEmpty());
}

TEST(ValidateTest, Fonts) {
  Template t = MustLoad(json::parse(
      R"json({"duration": 1, "tracks": [], "fonts": [{"family": "Brand", "src": "f.ttf"}]})json"));
  ASSERT_EQ(t.fonts.size(), 1u);
  EXPECT_EQ(t.fonts[0].family, "Brand");
  EXPECT_EQ(t.fonts[0].src, "f.ttf");
  EXPECT_EQ(t.fonts[0].path, "fonts[0]");
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1, "tracks": [],
          "fonts": [{"family": "A", "src": "a"}, {"family": 5}, {"family": "", "src": "b", "url": "c"}]})json")),
              ElementsAre(ErrorDetail{"fonts[1].family", "must be a string, got 5"},
                          ErrorDetail{"fonts[1].src", "required"},
                          ErrorDetail{"fonts[2].url", "unknown field \"url\""},
                          ErrorDetail{"fonts[2].family", "must not be empty"}));
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1, "tracks": [], "fonts": {}})json")),
              ElementsAre(ErrorDetail{"fonts", "must be an array, got an empty object"}));
}

TEST(ValidateTest, InputsBlockDeclarations) {
  auto problems_for = [](const std::string& inputs_json) {
    return Problems(
        json::parse(R"json({"duration": 1, "tracks": [], "inputs": )json" + inputs_json + "}"));
  };
  EXPECT_THAT(problems_for(R"json({"v": {"type": "strng"}})json"),
              ElementsAre(ErrorDetail{"inputs.v.type",
                                      "must be one of \"string\", \"image\", \"audio\", \"video\", "
                                      "\"color\", \"number\", \"boolean\", got \"strng\"; did you "
                                      "mean \"string\"?"}));
  EXPECT_THAT(problems_for(R"json({"v": {"type": "string", "maxLength": -1}})json"),
              ElementsAre(ErrorDetail{"inputs.v.maxLength", "must be an integer >= 0, got -1"}));
  EXPECT_THAT(problems_for(R"json({"v": {"type": "string", "default": 5}})json"),
              ElementsAre(ErrorDetail{"inputs.v.default", "must be a string, got 5"}));
  EXPECT_THAT(problems_for(R"json({"v": {"type": "number", "default": 50, "max": 10}})json"),
              ElementsAre(ErrorDetail{"inputs.v.default", "must be <= 10, got 50"}));
  EXPECT_THAT(problems_for(R"json({"v": {"type": "number", "min": 5, "max": 1}})json"),
              ElementsAre(ErrorDetail{"inputs.v.max", "must be >= min (5), got 1"}));
  EXPECT_THAT(problems_for(R"json({"v": {"deafult": 1}})json"),
              ElementsAre(ErrorDetail{"inputs.v.deafult",
                                      "unknown field \"deafult\"; did you mean \"default\"?"}));
  EXPECT_THAT(problems_for(R"json({"v": {"required": "yes"}})json"),
              ElementsAre(ErrorDetail{"inputs.v.required", "must be true or false, got \"yes\""}));
  EXPECT_THAT(problems_for(R"json({"v": "string"})json"),
              ElementsAre(ErrorDetail{"inputs.v", "must be an object, got \"string\""}));
  EXPECT_THAT(problems_for(R"json({"a b": {}})json"), ::testing::SizeIs(1));
}

// ---- Tracks -------------------------------------------------------------------------------

TEST(ValidateTest, Tracks) {
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1})json")),
              ElementsAre(ErrorDetail{"tracks", "required"}));
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1, "tracks": {}})json")),
              ElementsAre(ErrorDetail{"tracks", "must be an array, got an empty object"}));
  EXPECT_THAT(Problems(json::parse(
                  R"json({"duration": 1, "tracks": [{"type": "video", "clips": []}]})json")),
              ElementsAre(ErrorDetail{"tracks[0].type", "video tracks are not supported yet"}));
  EXPECT_THAT(
      Problems(
          json::parse(R"json({"duration": 1, "tracks": [{"type": "imgae", "clips": []}]})json")),
      ElementsAre(ErrorDetail{"tracks[0].type",
                              "must be one of \"background\", \"image\", \"text\", \"shape\", "
                              "\"audio\", got \"imgae\"; did you mean \"image\"?"}));
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1, "tracks": [{"type": "text"}]})json")),
              ElementsAre(ErrorDetail{"tracks[0].clips", "required"}));
  EXPECT_THAT(
      Problems(json::parse(R"json({"duration": 1, "tracks": [{"type": "text", "clips": 3}]})json")),
      ElementsAre(ErrorDetail{"tracks[0].clips", "must be an array, got 3"}));
  EXPECT_THAT(Problems(json::parse(R"json({"duration": 1, "tracks": [[]]})json")),
              ElementsAre(ErrorDetail{"tracks[0]", "must be an object, got an empty array"}));
}

TEST(ValidateTest, ClipsKeepTheirPaths) {
  Template t = MustLoad(json::parse(R"json({"duration": 1, "tracks": [
      {"type": "shape", "clips": [{}, {}]},
      {"type": "text", "clips": []},
      {"type": "text", "clips": [{"text": "a"}]}]})json"));
  ASSERT_EQ(t.tracks.size(), 3u);
  EXPECT_EQ(t.tracks[0].clips[0].path, "tracks[0].clips[0]");
  EXPECT_EQ(t.tracks[0].clips[1].path, "tracks[0].clips[1]");
  EXPECT_EQ(t.tracks[2].type, ClipType::kText);
  EXPECT_EQ(t.tracks[2].clips[0].path, "tracks[2].clips[0]");
  EXPECT_EQ(t.tracks[2].clips[0].type, ClipType::kText);
}

// ---- Every clip field: wrong type and range ----------------------------------------------

struct FieldCase {
  std::string type;     // track type
  std::string pointer;  // JSON pointer inside the clip
  json value;
  std::string path;     // expected path after "tracks[0].clips[0]."
  std::string message;  // expected message (exact)
};

TEST(ValidateTest, EveryClipFieldChecksTypeAndRange) {
  const std::string kColour =
      "must be a colour (#rrggbb, #rrggbbaa, rgb(…), rgba(…) or a CSS colour name), got ";
  const std::vector<FieldCase> cases = {
      {"text", "/start", "soon", "start", "must be a number >= 0, got \"soon\""},
      {"text", "/start", -1, "start", "must be a number >= 0, got -1"},
      {"text", "/duration", 0, "duration", "must be a number > 0, got 0"},
      {"text", "/end", "2s", "end", "must be a number > 0, got \"2s\""},
      {"text", "/x", "50", "x",
       "must be a number of pixels or a percentage such as \"50%\", got \"50\""},
      {"text", "/y", true, "y",
       "must be a number of pixels or a percentage such as \"50%\", got true"},
      {"text", "/x", "abc%", "x",
       "must be a number of pixels or a percentage such as \"50%\", got \"abc%\""},
      {"text", "/anchor", "middle", "anchor",
       "must be one of \"center\", \"top-left\", \"top\", \"top-right\", \"left\", \"right\", "
       "\"bottom-left\", \"bottom\", \"bottom-right\", got \"middle\""},
      {"text", "/anchor", "centre", "anchor",
       "must be one of \"center\", \"top-left\", \"top\", \"top-right\", \"left\", \"right\", "
       "\"bottom-left\", \"bottom\", \"bottom-right\", got \"centre\"; did you mean \"center\"?"},
      {"text", "/opacity", 1.5, "opacity", "must be a number from 0 to 1, got 1.5"},
      {"text", "/scale", -1, "scale", "must be a number >= 0, got -1"},
      {"text", "/rotation", "90deg", "rotation", "must be a number, got \"90deg\""},
      {"text", "/text", true, "text", "must be a string, got true"},
      {"text", "/style", 5, "style", "must be an object, got 5"},
      {"text", "/style/fontFamily", "", "style.fontFamily", "must not be empty"},
      {"text", "/style/fontSize", 0, "style.fontSize", "must be a number > 0, got 0"},
      {"text", "/style/fontWeight", 950, "style.fontWeight",
       "must be an integer from 100 to 900, \"normal\" or \"bold\", got 950"},
      {"text", "/style/fontWeight", "heavy", "style.fontWeight",
       "must be an integer from 100 to 900, \"normal\" or \"bold\", got \"heavy\""},
      {"text", "/style/fontWeight", 450.5, "style.fontWeight",
       "must be an integer from 100 to 900, \"normal\" or \"bold\", got 450.5"},
      {"text", "/style/italic", 1, "style.italic", "must be true or false, got 1"},
      {"text", "/style/color", "blu", "style.color", kColour + "\"blu\"; did you mean \"blue\"?"},
      {"text", "/style/align", "justify", "style.align",
       "must be one of \"left\", \"center\", \"right\", got \"justify\""},
      {"text", "/style/lineHeight", 0, "style.lineHeight", "must be a number > 0, got 0"},
      {"text", "/style/lineHeight", "tall", "style.lineHeight",
       "must be a number > 0 (a multiple of fontSize) or \"normal\", got \"tall\""},
      {"text", "/style/letterSpacing", "1px", "style.letterSpacing",
       "must be a number, got \"1px\""},
      {"text", "/style/maxWidth", -5, "style.maxWidth", "must be a number > 0, got -5"},
      {"text", "/style/maxHeight", 0, "style.maxHeight", "must be a number > 0, got 0"},
      {"text", "/style/maxLines", 0, "style.maxLines", "must be an integer >= 1, got 0"},
      {"text", "/style/maxLines", 1.5, "style.maxLines", "must be an integer >= 1, got 1.5"},
      {"text", "/style/autoFit", "yes", "style.autoFit", "must be true or false, got \"yes\""},
      {"text", "/style/stroke", {{"color", "#000"}}, "style.stroke.width", "required"},
      {"text",
       "/style/stroke",
       {{"color", "nope"}, {"width", 1}},
       "style.stroke.color",
       kColour + "\"nope\""},
      {"text",
       "/style/shadow",
       {{"blur", -1}},
       "style.shadow.blur",
       "must be a number >= 0, got -1"},
      {"text", "/style/shadow", {{"x", "1"}}, "style.shadow.x", "must be a number, got \"1\""},
      {"text",
       "/style/background",
       {{"padding", -1}},
       "style.background.padding",
       "must be a number >= 0, got -1"},
      {"text",
       "/style/background",
       {{"radius", "2"}},
       "style.background.radius",
       "must be a number >= 0, got \"2\""},
      {"text", "/transition", 5, "transition", "must be an object, got 5"},
      {"text",
       "/transition",
       {{"in", {{"type", "dissolve"}}}},
       "transition.in.type",
       "must be one of \"fade\", \"slide-left\", \"slide-right\", \"slide-up\", \"slide-down\", "
       "\"zoom\", \"wipe-left\", \"wipe-right\", got \"dissolve\""},
      {"text",
       "/transition",
       {{"in", {{"type", "fade"}, {"duration", 0}}}},
       "transition.in.duration",
       "must be a number > 0, got 0"},
      {"text", "/transition", {{"out", {{"duration", 1}}}}, "transition.out.type", "required"},
      {"text",
       "/transition",
       {{"middle", {{"type", "fade"}}}},
       "transition.middle",
       "unknown field \"middle\""},
      {"text", "/animations", 5, "animations", "must be an array, got 5"},
      {"image", "/src", 5, "src", "must be a string, got 5"},
      {"image", "/src", "", "src", "must not be empty"},
      {"image", "/width", 0, "width", "must be a number > 0, got 0"},
      {"image", "/height", "100px", "height", "must be a number > 0, got \"100px\""},
      {"image", "/radius", -2, "radius", "must be a number >= 0, got -2"},
      {"image", "/fit", "stretch", "fit",
       "must be one of \"cover\", \"contain\", \"fill\", got \"stretch\""},
      {"background", "/fit", "covr", "fit",
       "must be one of \"cover\", \"contain\", \"fill\", got \"covr\"; did you mean \"cover\"?"},
      {"background", "/color", "#12", "color", kColour + "\"#12\""},
      {"shape", "/shape", "circle", "shape",
       "must be one of \"rect\", \"ellipse\", \"line\", got \"circle\""},
      {"shape", "/width", -1, "width", "must be a number > 0, got -1"},
      {"shape", "/height", 0, "height", "must be a number > 0, got 0"},
      {"shape", "/fill", 5, "fill", "must be a colour or a gradient object, got 5"},
      {"shape", "/fill", "#1234567", "fill", kColour + "\"#1234567\""},
      {"shape", "/stroke", {{"width", -1}}, "stroke.width", "must be a number > 0, got -1"},
      {"shape", "/stroke", "red", "stroke", "must be an object, got \"red\""},
      {"shape", "/radius", -1, "radius", "must be a number >= 0, got -1"},
      {"audio", "/src", json::array(), "src", "must be a string, got an empty array"},
      {"audio", "/volume", 5, "volume", "must be a number from 0 to 4, got 5"},
      {"audio", "/volume", -0.1, "volume", "must be a number from 0 to 4, got -0.1"},
      {"audio", "/trim", -1, "trim", "must be a number >= 0, got -1"},
      {"audio", "/fadeIn", "1s", "fadeIn", "must be a number >= 0, got \"1s\""},
      {"audio", "/fadeOut", -0.5, "fadeOut", "must be a number >= 0, got -0.5"},
      {"audio", "/loop", "yes", "loop", "must be true or false, got \"yes\""},
  };
  for (const auto& c : cases) {
    json clip = BaseClip(c.type);
    clip[json::json_pointer(c.pointer)] = c.value;
    EXPECT_THAT(Problems(WithClip(c.type, clip)),
                ElementsAre(ErrorDetail{"tracks[0].clips[0]." + c.path, c.message}))
        << c.type << " " << c.pointer << " = " << c.value.dump();
  }
}

TEST(ValidateTest, RequiredClipFields) {
  EXPECT_THAT(Problems(WithClip("image", json::object())),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].src", "required"}));
  EXPECT_THAT(Problems(WithClip("audio", json::object())),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].src", "required"}));
  EXPECT_THAT(Problems(WithClip("text", json::object())),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].text", "required"}));
  EXPECT_THAT(Problems(WithClip("text", 5)),
              ElementsAre(ErrorDetail{"tracks[0].clips[0]", "must be an object, got 5"}));
}

TEST(ValidateTest, DurationAndEndTogetherAndEndAfterStart) {
  EXPECT_THAT(
      Problems(WithClip("text", {{"text", "a"}, {"duration", 1}, {"end", 2}})),
      ElementsAre(ErrorDetail{"tracks[0].clips[0].end", "give \"duration\" or \"end\", not both"}));
  EXPECT_THAT(
      Problems(WithClip("text", {{"text", "a"}, {"start", 2}, {"end", 1}})),
      ElementsAre(ErrorDetail{"tracks[0].clips[0].end", "must be greater than start (2), got 1"}));
  EXPECT_THAT(Problems(WithClip("text", {{"text", "a"}, {"start", 2}, {"end", 2}})),
              ::testing::SizeIs(1));
  Template t = MustLoad(WithClip("text", {{"text", "a"}, {"start", 1.5}, {"end", 3}}));
  EXPECT_EQ(OnlyClip(t).timing.start, 1.5);
  EXPECT_EQ(OnlyClip(t).timing.end, 3.0);
  EXPECT_FALSE(OnlyClip(t).timing.duration.has_value());
}

TEST(ValidateTest, PositionsInPixelsOrPercent) {
  Template t = MustLoad(WithClip("text", {{"text", "a"}, {"x", "50%"}, {"y", -20.5}}));
  const auto& visual = OnlyClip(t).visual;
  ASSERT_TRUE(visual.x && visual.y);
  EXPECT_EQ(visual.x->value, 50);
  EXPECT_TRUE(visual.x->percent);
  EXPECT_EQ(visual.y->value, -20.5);
  EXPECT_FALSE(visual.y->percent);
  EXPECT_DOUBLE_EQ(visual.x->Resolve(1920), 960);
}

// ---- Unknown fields ------------------------------------------------------------------------

TEST(ValidateTest, UnknownClipFieldsWithSuggestionsAndHints) {
  EXPECT_THAT(Problems(WithClip("text", {{"text", "a"}, {"duraton", 3}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].duraton",
                                      "unknown field \"duraton\"; did you mean \"duration\"?"}));
  EXPECT_THAT(Problems(WithClip("image", {{"src", "a"}, {"volume", 1}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].volume",
                                      "\"volume\" does not apply to image clips"}));
  EXPECT_THAT(Problems(WithClip("audio", {{"src", "a"}, {"opacity", 1}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].opacity",
                                      "\"opacity\" does not apply to audio clips"}));
  EXPECT_THAT(Problems(WithClip("text", {{"text", "a"}, {"fontSize", 3}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].fontSize",
                                      "\"fontSize\" belongs inside \"style\""}));
  EXPECT_THAT(Problems(WithClip("text", {{"text", "a"}, {"type", "text"}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].type",
                                      "\"type\" belongs to the track, not to its clips"}));
  EXPECT_THAT(Problems(WithClip("text", {{"text", "a"}, {"zzz", 1}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].zzz", "unknown field \"zzz\""}));
  EXPECT_THAT(Problems(WithClip("text", {{"text", "a"}, {"style", {{"fontsize", 3}}}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].style.fontsize",
                                      "unknown field \"fontsize\"; did you mean \"fontSize\"?"}));
  EXPECT_THAT(
      Problems(WithClip("text", {{"text", "a"}, {"weird key", 1}})),
      ElementsAre(ErrorDetail{"tracks[0].clips[0][\"weird key\"]", "unknown field \"weird key\""}));
}

// ---- Background clips and gradients --------------------------------------------------------

TEST(ValidateTest, BackgroundNeedsExactlyOneSource) {
  EXPECT_THAT(Problems(WithClip("background", json::object())),
              ElementsAre(ErrorDetail{"tracks[0].clips[0]",
                                      "a background clip needs one of \"color\", \"gradient\" or "
                                      "\"src\""}));
  EXPECT_THAT(Problems(WithClip("background", {{"color", "red"}, {"src", "a.png"}})),
              ElementsAre(ErrorDetail{"tracks[0].clips[0]",
                                      "a background clip takes exactly one of \"color\", "
                                      "\"gradient\" and \"src\""}));
  Template t = MustLoad(WithClip("background", {{"src", "bg.jpg"}, {"fit", "contain"}}));
  const auto& background = std::get<BackgroundClip>(OnlyClip(t).body);
  EXPECT_EQ(background.src, "bg.jpg");
  EXPECT_EQ(background.fit, Fit::kContain);
  EXPECT_FALSE(background.color.has_value());
}

TEST(ValidateTest, Gradients) {
  auto gradient_problems = [](const json& gradient) {
    return Problems(WithClip("background", {{"gradient", gradient}}));
  };
  const std::string at = "tracks[0].clips[0].gradient.";
  EXPECT_THAT(gradient_problems({{"stops", {{{"offset", 0}, {"color", "red"}}}}}),
              ElementsAre(ErrorDetail{at + "stops", "a gradient needs at least 2 stops, got 1"}));
  EXPECT_THAT(
      gradient_problems(json::parse(
          R"json({"stops": [{"offset": 0.6, "color": "red"}, {"offset": 0.4, "color": "blue"}]})json")),
      ElementsAre(ErrorDetail{at + "stops[1].offset",
                              "must be >= the previous stop's offset (0.6), got 0.4"}));
  EXPECT_THAT(
      gradient_problems(json::parse(
          R"json({"stops": [{"offset": 0, "color": "red"}, {"offset": 1.5, "color": "blue"}]})json")),
      ElementsAre(ErrorDetail{at + "stops[1].offset", "must be a number from 0 to 1, got 1.5"}));
  EXPECT_THAT(
      gradient_problems(json::parse(R"json({"stops": [{"offset": 0}, {"color": "blue"}]})json")),
      ElementsAre(ErrorDetail{at + "stops[0].color", "required"}));
  EXPECT_THAT(gradient_problems(json::parse(
                  R"json({"type": "conic", "stops": [{"color": "red"}, {"color": "blue"}]})json")),
              ElementsAre(ErrorDetail{at + "type",
                                      "must be one of \"linear\", \"radial\", got \"conic\""}));
  EXPECT_THAT(gradient_problems(json::object()),
              ElementsAre(ErrorDetail{at + "stops", "required"}));

  Template t = MustLoad(WithClip("background", json::parse(R"json({"gradient": {"type": "radial",
      "stops": [{"color": "red"}, {"color": "#00ff00"}, {"color": "blue"}]}})json")));
  const auto& gradient = *std::get<BackgroundClip>(OnlyClip(t).body).gradient;
  EXPECT_EQ(gradient.type, GradientType::kRadial);
  EXPECT_EQ(gradient.angle_deg, 180);
  ASSERT_EQ(gradient.stops.size(), 3u);
  EXPECT_EQ(gradient.stops[1].offset, 0.5);  // spread evenly, as CSS does
  EXPECT_EQ(gradient.stops[2].offset, 1.0);
  EXPECT_EQ(gradient.stops[1].color, (Color{0, 1, 0, 1}));
}

TEST(ValidateTest, ShapeFillsAndKinds) {
  Template t = MustLoad(WithClip("shape", json::parse(R"json({"shape": "line", "width": 300,
      "height": 4, "stroke": {"color": "white", "width": 3}})json")));
  const auto& line = std::get<ShapeClip>(OnlyClip(t).body);
  EXPECT_EQ(line.shape, ShapeKind::kLine);
  EXPECT_FALSE(line.fill.has_value());
  ASSERT_TRUE(line.stroke.has_value());
  EXPECT_EQ(line.stroke->width, 3);
  EXPECT_EQ(line.stroke->color, (Color{1, 1, 1, 1}));

  t = MustLoad(WithClip("shape", json::parse(R"json({"shape": "ellipse",
      "fill": {"angle": 90, "stops": [{"offset": 0, "color": "red"}, {"offset": 1, "color": "blue"}]}})json")));
  const auto& ellipse = std::get<ShapeClip>(OnlyClip(t).body);
  EXPECT_EQ(ellipse.shape, ShapeKind::kEllipse);
  ASSERT_TRUE(ellipse.fill && std::holds_alternative<Gradient>(*ellipse.fill));
  EXPECT_EQ(std::get<Gradient>(*ellipse.fill).angle_deg, 90);

  t = MustLoad(WithClip("shape", {{"fill", "rgba(11,16,32,0.72)"}}));
  const auto& rect = std::get<ShapeClip>(OnlyClip(t).body);
  EXPECT_EQ(rect.shape, ShapeKind::kRect);
  ASSERT_TRUE(rect.fill && std::holds_alternative<Color>(*rect.fill));
  EXPECT_NEAR(std::get<Color>(*rect.fill).a, 0.72, 1e-12);
}

// ---- Defaults ------------------------------------------------------------------------------

TEST(ValidateTest, DefaultsAreApplied) {
  Template t = MustLoad(WithClip("text", {{"text", "a"}}));
  const Clip& text_clip = OnlyClip(t);
  const auto& style = std::get<TextClip>(text_clip.body).style;
  EXPECT_EQ(style.font_family, "Noto Sans");
  EXPECT_EQ(style.font_size, 48);
  EXPECT_EQ(style.font_weight, 400);
  EXPECT_FALSE(style.italic);
  EXPECT_EQ(style.color, (Color{1, 1, 1, 1}));
  EXPECT_EQ(style.align, TextAlign::kCenter);
  EXPECT_FALSE(style.line_height.has_value());
  EXPECT_EQ(style.letter_spacing, 0);
  EXPECT_FALSE(style.max_width || style.max_height || style.max_lines);
  EXPECT_EQ(text_clip.timing.start, 0);
  EXPECT_FALSE(text_clip.timing.KnownEnd().has_value());
  EXPECT_FALSE(text_clip.visual.x.has_value());
  EXPECT_EQ(text_clip.visual.anchor, Anchor::kCenter);
  EXPECT_EQ(text_clip.visual.opacity, 1);
  EXPECT_EQ(text_clip.visual.scale, 1);
  EXPECT_EQ(text_clip.visual.rotation_deg, 0);

  t = MustLoad(WithClip("image", {{"src", "a.png"}, {"transition", {{"in", {{"type", "zoom"}}}}}}));
  const auto& image = std::get<ImageClip>(OnlyClip(t).body);
  EXPECT_EQ(image.fit, Fit::kCover);
  EXPECT_FALSE(image.width || image.height);
  EXPECT_EQ(image.radius, 0);
  ASSERT_TRUE(OnlyClip(t).visual.transition_in.has_value());
  EXPECT_EQ(OnlyClip(t).visual.transition_in->type, TransitionType::kZoom);
  EXPECT_EQ(OnlyClip(t).visual.transition_in->duration, 0.5);

  t = MustLoad(WithClip("audio", {{"src", "a.ogg"}}));
  const auto& audio = std::get<AudioClip>(OnlyClip(t).body);
  EXPECT_EQ(audio.volume, 1);
  EXPECT_EQ(audio.trim, 0);
  EXPECT_EQ(audio.fade_in, 0);
  EXPECT_FALSE(audio.loop);

  t = MustLoad(WithClip("shape", json::object()));
  const auto& shape = std::get<ShapeClip>(OnlyClip(t).body);
  EXPECT_EQ(shape.width, 100);
  EXPECT_EQ(shape.height, 100);

  t = MustLoad(WithClip("text", json::parse(R"json({"text": "a", "animations": [
      {"property": "opacity", "keyframes": [{"time": 0, "value": 0}]}]})json")));
  EXPECT_EQ(OnlyClip(t).animations.at(0).easing.kind, EasingKind::kLinear);
}

TEST(ValidateTest, TextStyleValues) {
  Template t = MustLoad(WithClip("text", json::parse(R"json({"text": 42, "style": {
      "fontFamily": "DejaVu Sans", "fontSize": 96, "fontWeight": "bold", "italic": true,
      "color": "#ffcc00", "align": "right", "lineHeight": 1.25, "letterSpacing": -1,
      "maxWidth": 1300, "maxHeight": 200, "maxLines": 2, "autoFit": true,
      "shadow": {"color": "rgba(0,0,0,0.6)", "blur": 8, "y": 4},
      "background": {"padding": 10}}})json")));
  const auto& text = std::get<TextClip>(OnlyClip(t).body);
  EXPECT_EQ(text.text, "42");  // a number is accepted as text
  EXPECT_EQ(text.style.font_family, "DejaVu Sans");
  EXPECT_EQ(text.style.font_weight, 700);
  EXPECT_TRUE(text.style.italic);
  EXPECT_EQ(text.style.align, TextAlign::kRight);
  EXPECT_EQ(text.style.line_height, 1.25);
  EXPECT_EQ(text.style.letter_spacing, -1);
  EXPECT_EQ(text.style.max_lines, 2);
  EXPECT_TRUE(text.style.auto_fit);
  ASSERT_TRUE(text.style.shadow.has_value());
  EXPECT_EQ(text.style.shadow->blur, 8);
  EXPECT_EQ(text.style.shadow->y, 4);
  EXPECT_NEAR(text.style.shadow->color.a, 0.6, 1e-12);
  ASSERT_TRUE(text.style.background.has_value());
  EXPECT_EQ(text.style.background->padding, 10);
  EXPECT_EQ(text.style.background->color, (Color{0, 0, 0, 0.5}));

  t = MustLoad(WithClip("text", json::parse(R"json({"text": "a", "style": {"fontWeight": 300,
      "lineHeight": "normal"}})json")));
  EXPECT_EQ(std::get<TextClip>(OnlyClip(t).body).style.font_weight, 300);
  EXPECT_FALSE(std::get<TextClip>(OnlyClip(t).body).style.line_height.has_value());

  EXPECT_THAT(Problems(WithClip(
                  "text", json::parse(R"json({"text": "a", "style": {"autoFit": true}})json"))),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].style.autoFit",
                                      "needs \"maxWidth\" (and \"maxHeight\") to fit into"}));
}

// ---- Animations and easings ----------------------------------------------------------------

std::vector<ErrorDetail> AnimationProblems(const std::string& type, const json& animation) {
  json clip = BaseClip(type);
  clip["animations"] = json::array({animation});
  return Problems(WithClip(type, clip));
}

json Animate(const std::string& property, const json& values) {
  json keyframes = json::array();
  for (size_t i = 0; i < values.size(); ++i) {
    keyframes.push_back({{"time", static_cast<double>(i)}, {"value", values[i]}});
  }
  return {{"property", property}, {"keyframes", keyframes}};
}

TEST(ValidateTest, AnimatedPropertiesMustSuitTheClipType) {
  const std::string at = "tracks[0].clips[0].animations[0].property";
  EXPECT_THAT(AnimationProblems("image", Animate("volume", {0, 1})),
              ElementsAre(ErrorDetail{at, "\"volume\" can only be animated on audio clips"}));
  EXPECT_THAT(
      AnimationProblems("image", Animate("color", {"red", "blue"})),
      ElementsAre(ErrorDetail{at, "\"color\" can only be animated on text and shape clips"}));
  EXPECT_THAT(
      AnimationProblems("text", Animate("width", {1, 2})),
      ElementsAre(ErrorDetail{at, "\"width\" can only be animated on image and shape clips"}));
  EXPECT_THAT(AnimationProblems("background", Animate("height", {1, 2})),
              ElementsAre(ErrorDetail{at,
                                      "\"height\" can only be animated on image and shape "
                                      "clips"}));
  EXPECT_THAT(AnimationProblems("audio", Animate("opacity", {0, 1})),
              ElementsAre(ErrorDetail{at, "audio clips can only animate \"volume\""}));
  EXPECT_THAT(AnimationProblems("text", Animate("opactiy", {0, 1})),
              ElementsAre(ErrorDetail{
                  at,
                  "must be one of \"opacity\", \"x\", \"y\", \"scale\", \"scaleX\", "
                  "\"scaleY\", \"rotation\", \"width\", \"height\", \"volume\", \"blur\", "
                  "\"color\", got \"opactiy\"; did you mean \"opacity\"?"}));

  EXPECT_THAT(AnimationProblems("audio", Animate("volume", {0, 4})), IsEmpty());
  EXPECT_THAT(AnimationProblems("shape", Animate("color", {"red", "#0000ff80"})), IsEmpty());
  EXPECT_THAT(AnimationProblems("text", Animate("blur", {0, 10})), IsEmpty());
  EXPECT_THAT(AnimationProblems("image", Animate("width", {10, 200})), IsEmpty());
  EXPECT_THAT(AnimationProblems("background", Animate("scale", {1, 1.2})), IsEmpty());
  EXPECT_THAT(AnimationProblems("text", Animate("scaleX", {1, 2})), IsEmpty());
}

TEST(ValidateTest, KeyframeRules) {
  const std::string at = "tracks[0].clips[0].animations[0].";
  EXPECT_THAT(AnimationProblems("text", {{"property", "opacity"}, {"keyframes", json::array()}}),
              ElementsAre(ErrorDetail{at + "keyframes", "needs at least one keyframe"}));
  EXPECT_THAT(AnimationProblems("text", {{"property", "opacity"}}),
              ElementsAre(ErrorDetail{at + "keyframes", "required"}));
  EXPECT_THAT(
      AnimationProblems(
          "text",
          json::parse(R"json({"property": "x", "keyframes": [{"time": -1, "value": 0}]})json")),
      ElementsAre(ErrorDetail{at + "keyframes[0].time", "must be a number >= 0, got -1"}));
  EXPECT_THAT(
      AnimationProblems(
          "text",
          json::parse(
              R"json({"property": "x", "keyframes": [{"time": 1, "value": 0}, {"time": 1, "value": 5}]})json")),
      ElementsAre(ErrorDetail{at + "keyframes[1].time",
                              "must be greater than the previous keyframe's time (1), got "
                              "1"}));
  EXPECT_THAT(
      AnimationProblems("text", Animate("opacity", {0, 2})),
      ElementsAre(ErrorDetail{at + "keyframes[1].value", "must be a number from 0 to 1, got 2"}));
  EXPECT_THAT(AnimationProblems("text", Animate("opacity", {"1"})),
              ElementsAre(ErrorDetail{at + "keyframes[0].value",
                                      "must be a number from 0 to 1, got \"1\""}));
  EXPECT_THAT(
      AnimationProblems("audio", Animate("volume", {5})),
      ElementsAre(ErrorDetail{at + "keyframes[0].value", "must be a number from 0 to 4, got 5"}));
  EXPECT_THAT(AnimationProblems("text", Animate("scale", {-1})),
              ElementsAre(ErrorDetail{at + "keyframes[0].value", "must be a number >= 0, got -1"}));
  auto color = AnimationProblems("text", Animate("color", {5}));
  ASSERT_EQ(color.size(), 1u);
  EXPECT_EQ(color[0].path, at + "keyframes[0].value");
  EXPECT_THAT(color[0].message, StartsWith("must be a colour"));
  EXPECT_THAT(AnimationProblems("text", Animate("y", {"10"})),
              ElementsAre(ErrorDetail{at + "keyframes[0].value",
                                      "must be a number of pixels or a percentage such as "
                                      "\"50%\", got \"10\""}));
  EXPECT_THAT(
      AnimationProblems(
          "text",
          json::parse(R"json({"property": "x", "keyframes": [{"tiem": 0, "value": 0}]})json")),
      ElementsAre(
          ErrorDetail{at + "keyframes[0].tiem", "unknown field \"tiem\"; did you mean \"time\"?"},
          ErrorDetail{at + "keyframes[0].time", "required"}));

  Template t = MustLoad(WithClip("text", json::parse(R"json({"text": "a", "animations": [
      {"property": "x", "keyframes": [{"time": 0, "value": "10%"}, {"time": 0.5, "value": 300}]},
      {"property": "color", "keyframes": [{"time": 0, "value": "red"}]}]})json")));
  const auto& animations = OnlyClip(t).animations;
  ASSERT_EQ(animations.size(), 2u);
  EXPECT_EQ(animations[0].property, Property::kX);
  EXPECT_EQ(animations[0].keyframes[0].value, 10);
  EXPECT_TRUE(animations[0].keyframes[0].percent);
  EXPECT_EQ(animations[0].keyframes[1].time, 0.5);
  EXPECT_EQ(animations[0].keyframes[1].value, 300);
  EXPECT_FALSE(animations[0].keyframes[1].percent);
  EXPECT_EQ(animations[1].property, Property::kColor);
  EXPECT_EQ(animations[1].keyframes[0].color, (Color{1, 0, 0, 1}));
}

Easing EasingOf(const json& easing) {
  json animation = Animate("opacity", {0, 1});
  animation["easing"] = easing;
  Template t =
      MustLoad(WithClip("text", {{"text", "a"}, {"animations", json::array({animation})}}));
  if (t.tracks.empty()) return Easing{};
  return OnlyClip(t).animations.at(0).easing;
}

std::vector<ErrorDetail> EasingProblems(const json& easing) {
  json animation = Animate("opacity", {0, 1});
  animation["easing"] = easing;
  return AnimationProblems("text", animation);
}

TEST(ValidateTest, EasingNames) {
  const std::pair<const char*, EasingKind> names[] = {
      {"linear", EasingKind::kLinear},
      {"easeIn", EasingKind::kEaseIn},
      {"easeOut", EasingKind::kEaseOut},
      {"easeInOut", EasingKind::kEaseInOut},
      {"easeInQuad", EasingKind::kQuadIn},
      {"easeOutQuad", EasingKind::kQuadOut},
      {"easeInOutQuad", EasingKind::kQuadInOut},
      {"easeInCubic", EasingKind::kCubicIn},
      {"easeOutCubic", EasingKind::kCubicOut},
      {"easeInOutCubic", EasingKind::kCubicInOut},
      {"easeInQuart", EasingKind::kQuartIn},
      {"easeOutQuart", EasingKind::kQuartOut},
      {"easeInOutQuart", EasingKind::kQuartInOut},
      {"easeInExpo", EasingKind::kExpoIn},
      {"easeOutExpo", EasingKind::kExpoOut},
      {"easeInOutExpo", EasingKind::kExpoInOut},
      {"easeInBack", EasingKind::kBackIn},
      {"easeOutBack", EasingKind::kBackOut},
      {"easeInOutBack", EasingKind::kBackInOut},
      {"easeInElastic", EasingKind::kElasticIn},
      {"easeOutElastic", EasingKind::kElasticOut},
      {"easeInOutElastic", EasingKind::kElasticInOut},
      {"easeInBounce", EasingKind::kBounceIn},
      {"easeOutBounce", EasingKind::kBounceOut},
      {"easeInOutBounce", EasingKind::kBounceInOut},
      {"ease-in-out", EasingKind::kEaseInOut},
  };
  for (const auto& [name, kind] : names) EXPECT_EQ(EasingOf(name).kind, kind) << name;

  Easing ease = EasingOf("ease");
  EXPECT_EQ(ease.kind, EasingKind::kCubicBezier);
  EXPECT_EQ(ease.bezier[1], 0.1);
}

TEST(ValidateTest, CubicBezierAndSteps) {
  Easing bezier = EasingOf("cubic-bezier(0.1, 0.7, 1.0, -0.1)");
  EXPECT_EQ(bezier.kind, EasingKind::kCubicBezier);
  EXPECT_EQ(bezier.bezier[0], 0.1);
  EXPECT_EQ(bezier.bezier[1], 0.7);
  EXPECT_EQ(bezier.bezier[2], 1.0);
  EXPECT_EQ(bezier.bezier[3], -0.1);
  Easing steps = EasingOf("steps(4)");
  EXPECT_EQ(steps.kind, EasingKind::kSteps);
  EXPECT_EQ(steps.steps, 4);

  const std::string at = "tracks[0].clips[0].animations[0].easing";
  EXPECT_THAT(EasingProblems("cubic-bezier(1.5,0,1,1)"),
              ElementsAre(ErrorDetail{at,
                                      "cubic-bezier's x1 and x2 must be from 0 to 1, got "
                                      "\"cubic-bezier(1.5,0,1,1)\""}));
  EXPECT_THAT(EasingProblems("cubic-bezier(0,0,-0.1,1)"), ::testing::SizeIs(1));
  EXPECT_THAT(EasingProblems("cubic-bezier(0,0,1)"),
              ElementsAre(ErrorDetail{at,
                                      "cubic-bezier needs four numbers: "
                                      "\"cubic-bezier(x1,y1,x2,y2)\", got "
                                      "\"cubic-bezier(0,0,1)\""}));
  EXPECT_THAT(EasingProblems("cubic-bezier(0,0,1,1,1)"), ::testing::SizeIs(1));
  EXPECT_THAT(EasingProblems("cubic-bezier(a,0,1,1)"), ::testing::SizeIs(1));
  for (const char* bad : {"steps(0)", "steps(1.5)", "steps(x)", "steps()"}) {
    EXPECT_THAT(EasingProblems(bad),
                ElementsAre(ErrorDetail{at, std::string("steps(n) needs a whole number n >= 1, "
                                                        "got \"") +
                                                bad + "\""}))
        << bad;
  }
}

TEST(ValidateTest, SpringEasing) {
  Easing spring = EasingOf(json::parse(R"json({"spring": {}})json"));
  EXPECT_EQ(spring.kind, EasingKind::kSpring);
  EXPECT_EQ(spring.spring.stiffness, 100);
  EXPECT_EQ(spring.spring.damping, 10);
  EXPECT_EQ(spring.spring.mass, 1);
  spring =
      EasingOf(json::parse(R"json({"spring": {"stiffness": 200, "damping": 0, "mass": 2.5}})json"));
  EXPECT_EQ(spring.spring.stiffness, 200);
  EXPECT_EQ(spring.spring.damping, 0);
  EXPECT_EQ(spring.spring.mass, 2.5);

  const std::string at = "tracks[0].clips[0].animations[0].easing";
  EXPECT_THAT(EasingProblems(json::parse(R"json({"spring": {"stiffness": 0}})json")),
              ElementsAre(ErrorDetail{at + ".spring.stiffness", "must be a number > 0, got 0"}));
  EXPECT_THAT(EasingProblems(json::parse(R"json({"spring": {"damping": -1}})json")),
              ElementsAre(ErrorDetail{at + ".spring.damping", "must be a number >= 0, got -1"}));
  EXPECT_THAT(EasingProblems(json::parse(R"json({"spring": {"mass": 0}})json")),
              ElementsAre(ErrorDetail{at + ".spring.mass", "must be a number > 0, got 0"}));
  EXPECT_THAT(EasingProblems(json::parse(R"json({"spring": {"stifness": 10}})json")),
              ElementsAre(ErrorDetail{at + ".spring.stifness",
                                      "unknown field \"stifness\"; did you mean \"stiffness\"?"}));
  EXPECT_THAT(
      EasingProblems(json::parse(R"json({"sprung": {}})json")),
      ElementsAre(ErrorDetail{at + ".sprung", "unknown field \"sprung\"; did you mean \"spring\"?"},
                  ErrorDetail{at + ".spring", "required"}));
}

TEST(ValidateTest, UnknownEasings) {
  const std::string at = "tracks[0].clips[0].animations[0].easing";
  auto typo = EasingProblems("easOutCubic");
  ASSERT_EQ(typo.size(), 1u);
  EXPECT_EQ(typo[0].path, at);
  EXPECT_THAT(typo[0].message, StartsWith("must be an easing: linear, easeIn"));
  EXPECT_THAT(typo[0].message,
              ::testing::EndsWith("got \"easOutCubic\"; did you mean \"easeOutCubic\"?"));
  auto sine = EasingProblems("easeInSine");
  ASSERT_EQ(sine.size(), 1u);
  EXPECT_THAT(sine[0].message, StartsWith("must be an easing"));
  EXPECT_THAT(EasingProblems(5), ::testing::SizeIs(1));

  // Per-keyframe easing: the segment starting at that keyframe.
  Template t = MustLoad(WithClip("text", json::parse(R"json({"text": "a", "animations": [
      {"property": "y", "easing": "easeOutCubic", "keyframes": [
        {"time": 0, "value": 0, "easing": "easeInBack"}, {"time": 1, "value": 5}]}]})json")));
  const auto& animation = OnlyClip(t).animations.at(0);
  EXPECT_EQ(animation.easing.kind, EasingKind::kCubicOut);
  ASSERT_TRUE(animation.keyframes[0].easing.has_value());
  EXPECT_EQ(animation.keyframes[0].easing->kind, EasingKind::kBackIn);
  EXPECT_FALSE(animation.keyframes[1].easing.has_value());
  EXPECT_THAT(Problems(WithClip("text", json::parse(R"json({"text": "a", "animations": [
      {"property": "y", "keyframes": [{"time": 0, "value": 0, "easing": "bouncy"}]}]})json"))),
              ElementsAre(::testing::Field(
                  &ErrorDetail::path, "tracks[0].clips[0].animations[0].keyframes[0].easing")));
}

// ---- The video's length --------------------------------------------------------------------

json Tracks(const std::string& tracks_json) {
  return json::parse(R"json({"tracks": )json" + tracks_json + "}");
}

TEST(ValidateTest, SomethingMustDetermineTheLength) {
  EXPECT_THAT(
      Problems(Tracks(R"json([{"type": "text", "clips": [{"text": "a", "start": 1}]}])json")),
      ElementsAre(ErrorDetail{"duration", "required: nothing determines the video's length"}));
  EXPECT_THAT(
      Problems(Tracks("[]")),
      ElementsAre(ErrorDetail{"duration", "required: nothing determines the video's length"}));
  EXPECT_THAT(
      Problems(Tracks(R"json([{"type": "audio", "clips": [{"src": "a.ogg", "loop": true}]}])json")),
      ::testing::SizeIs(1));

  Template t = MustLoad(Tracks(R"json([{"type": "text", "clips": [
      {"text": "a", "start": 2, "duration": 3}, {"text": "b", "end": 4}, {"text": "c"}]}])json"));
  EXPECT_EQ(KnownDuration(t), 5.0);
  t = MustLoad(Tracks(R"json([{"type": "audio", "clips": [{"src": "a.ogg"}]},
                          {"type": "text", "clips": [{"text": "a", "end": 4}]}])json"));
  EXPECT_EQ(KnownDuration(t), std::nullopt);  // the music's length decides
  t = MustLoad(Tracks(R"json([{"type": "audio", "clips": [{"src": "a.ogg", "loop": true}]},
                          {"type": "text", "clips": [{"text": "a", "end": 4}]}])json"));
  EXPECT_EQ(KnownDuration(t), 4.0);
  t = MustLoad(json::parse(
      R"json({"duration": 7, "tracks": [{"type": "audio", "clips": [{"src": "a"}]}]})json"));
  EXPECT_EQ(KnownDuration(t), 7.0);
  // An invalid clip duration is reported as itself, not also as "nothing determines".
  EXPECT_THAT(
      Problems(Tracks(R"json([{"type": "text", "clips": [{"text": "a", "duration": "x"}]}])json")),
      ElementsAre(::testing::Field(&ErrorDetail::path, "tracks[0].clips[0].duration")));
}

// ---- Limits --------------------------------------------------------------------------------

TEST(ValidateTest, DurationLimit) {
  auto loaded = Load(json::parse(R"json({"duration": 700, "tracks": []})json"), json::object(), {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(loaded.error().message(), "The template has 1 problem.");
  EXPECT_THAT(loaded.error().details(),
              ElementsAre(ErrorDetail{"duration",
                                      "the video is 700 s long; the limit is 600 s "
                                      "(LIMIT_DURATION_S)"}));
  EXPECT_TRUE(
      Load(json::parse(R"json({"duration": 600, "tracks": []})json"), json::object(), {}).ok());

  loaded = Load(
      Tracks(
          R"json([{"type": "text", "clips": [{"text": "a", "start": 100, "duration": 550}]}])json"),
      json::object(), {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(loaded.error().details(),
              ElementsAre(ErrorDetail{"tracks[0].clips[0].duration",
                                      "the clip ends at 650 s; the limit is 600 s "
                                      "(LIMIT_DURATION_S)"}));
  Limits short_videos;
  short_videos.duration_s = 5;
  EXPECT_THAT(
      Problems(WithClip("text", {{"text", "a"}, {"end", 6}}), json::object(), short_videos),
      ElementsAre(ErrorDetail{"tracks[0].clips[0].end",
                              "the clip ends at 6 s; the limit is 5 s (LIMIT_DURATION_S)"}));
}

TEST(ValidateTest, PixelLimit) {
  EXPECT_TRUE(
      Load(
          json::parse(
              R"json({"duration": 1, "tracks": [], "output": {"width": 3840, "height": 2160}})json"),
          json::object(), {})
          .ok());
  auto loaded = Load(
      json::parse(
          R"json({"duration": 1, "tracks": [], "output": {"width": 4096, "height": 2160}})json"),
      json::object(), {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(loaded.error().details(),
              ElementsAre(ErrorDetail{"output",
                                      "4096 × 2160 is 8847360 pixels; the limit is "
                                      "8294400 (LIMIT_PIXELS)"}));
}

TEST(ValidateTest, ClipLimit) {
  Limits limits;
  limits.clips = 2;
  json t = Tracks(
      R"json([{"type": "shape", "clips": [{}, {}]}, {"type": "text", "clips": [{"text": "a"}]}])json");
  t["duration"] = 1;
  auto loaded = Load(t, json::object(), limits);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(loaded.error().details(),
              ElementsAre(ErrorDetail{"tracks",
                                      "the template has 3 clips; the limit is 2 "
                                      "(LIMIT_CLIPS)"}));
}

TEST(ValidateTest, FontLimit) {
  Limits limits;
  limits.fonts = 1;
  auto loaded = Load(json::parse(R"json({"duration": 1, "tracks": [],
      "fonts": [{"family": "A", "src": "a"}, {"family": "B", "src": "b"}]})json"),
                     json::object(), limits);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(loaded.error().details(),
              ElementsAre(ErrorDetail{"fonts",
                                      "the template has 2 fonts; the limit is 1 "
                                      "(LIMIT_FONTS)"}));
}

TEST(ValidateTest, LimitMixedWithOtherProblemsIsInvalidTemplate) {
  auto loaded =
      Load(json::parse(R"json({"duration": 700, "tracks": [], "background": "nope"})json"),
           json::object(), {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidTemplate);
  EXPECT_EQ(loaded.error().details().size(), 2u);
}

TEST(ValidateTest, DeepDocumentBuiltInMemoryIsRefusedWithoutRecursion) {
  json deep = json::array();
  json* cursor = &deep;
  for (int i = 0; i < 100000; ++i) {
    cursor->push_back(json::array());
    cursor = &cursor->back();
  }
  json t = {{"duration", 1}, {"tracks", json::array()}, {"name", std::move(deep)}};
  auto loaded = Load(t, json::object(), {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace vg::tmpl

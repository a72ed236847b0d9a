// `vidgen validate` on good templates: the {"valid":true,…,"frames":N} document, the template
// on standard input ("-"), and the --set rules of CLI.md (JSON when it parses, else text; a
// declared string keeps the raw text; dotted names reach into objects), observed through a
// placeholder that sets the video's duration.
#include <string>
#include <vector>

#include "cli_env.h"

namespace vg::cli_test {
namespace {

class ValidateTest : public CliTest {
 protected:
  // A template whose duration is the placeholder `expression` ("{{len}}").
  Json DurationFromInput(const std::string& expression, const Json& inputs = Json()) {
    Json t = BaseTemplate(160, 90, 30, 1);
    t["duration"] = expression;
    if (!inputs.is_null()) t["inputs"] = inputs;
    t["tracks"].push_back({{"type", "shape"}, {"clips", {RectClip(40, 40, "#00ff00")}}});
    return t;
  }

  // Runs validate --json and parses stdout.
  Json Validate(const std::vector<std::string>& extra, int expected_exit,
                const ProcessOptions& options = {}) {
    std::vector<std::string> args = {"validate"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--json");
    ProcessResult run = RunVidgen(args, options);
    EXPECT_TRUE(run.exited) << run.Describe();
    EXPECT_EQ(run.exit_code, expected_exit) << run.out << run.err;
    Json doc = Json::parse(run.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "stdout is not JSON: " << run.out;
    return doc.is_discarded() ? Json::object() : doc;
  }

  static bool HasDetailAt(const Json& doc, const std::string& path) {
    for (const auto& d : doc.value("details", Json::array())) {
      if (d.value("path", "") == path) return true;
    }
    return false;
  }
};

TEST_F(ValidateTest, GoodTemplatePrintsValidWithFrameCount) {
  Json t = BaseTemplate(320, 180, 29.97, 2);
  t["tracks"].push_back({{"type", "shape"}, {"clips", {RectClip(40, 40, "#00ff00")}}});
  std::string path = WriteTemplate(t);
  Json doc = Validate({path}, 0);
  EXPECT_EQ(doc.value("valid", false), true) << doc.dump();
  EXPECT_EQ(doc.value("frames", Json()), 60) << "round(2 × 29.97) = 60: " << doc.dump();
  EXPECT_EQ(doc.value("width", 0), 320);
  EXPECT_EQ(doc.value("height", 0), 180);
  EXPECT_NEAR(doc.value("fps", 0.0), 30000.0 / 1001.0, 1e-6);
  EXPECT_NEAR(doc.value("durationSec", 0.0), 2.0, 1e-9);
  // Validation draws nothing and writes nothing.
  EXPECT_EQ(ListDir(Dir()), std::vector<std::string>{"template.json"});

  ProcessResult human = RunVidgen({"validate", path});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(human.out.rfind("valid", 0), 0u) << human.out;
}

TEST_F(ValidateTest, ClipEndsDetermineTheLengthWhenThereIsNoDuration) {
  Json t = BaseTemplate(160, 90, 25, 1);
  t.erase("duration");
  Json a = RectClip(40, 40, "#00ff00"), b = RectClip(40, 40, "#0000ff");
  a["start"] = 0.2;
  a["duration"] = 1.0;
  b["start"] = 0.5;
  b["end"] = 1.7;
  t["tracks"].push_back({{"type", "shape"}, {"clips", {a, b}}});
  Json doc = Validate({WriteTemplate(t)}, 0);
  EXPECT_EQ(doc.value("frames", Json()), 43) << "round(1.7 × 25) = 42.5 → 43: " << doc.dump();
}

TEST_F(ValidateTest, TemplateFromStandardInput) {
  Json t = BaseTemplate(160, 90, 30, 1.5);
  t["tracks"].push_back({{"type", "shape"}, {"clips", {RectClip(40, 40, "#00ff00")}}});
  ProcessOptions options;
  options.stdin_path = WriteTemplate(t);
  Json doc = Validate({"-"}, 0, options);
  EXPECT_EQ(doc.value("valid", false), true) << doc.dump();
  EXPECT_EQ(doc.value("frames", Json()), 45);
}

TEST_F(ValidateTest, RenderFromStandardInputResolvesSourcesInTheCurrentFolder) {
  Ffmpeg({"-f", "lavfi", "-i", "color=c=white:size=16x16", "-frames:v", "1",
          Path("white.png").string()});
  Json t = BaseTemplate(160, 90, 30, 1);
  t["tracks"].push_back(
      {{"type", "image"}, {"clips", {{{"src", "white.png"}, {"width", 160}, {"height", 90}}}}});
  ProcessOptions options;
  options.stdin_path = WriteTemplate(t, "stdin.json");
  options.working_dir = Dir().string();
  ProcessResult run = RunVidgen({"render", "-", "-o", "frame.png", "--still", "10"}, options);
  ASSERT_EQ(run.exit_code, 0) << run.Describe() << "\n" << run.err;
  std::vector<double> means = FrameMeans(Path("frame.png"), 160, 90);
  ASSERT_EQ(means.size(), 1u);
  EXPECT_GT(means[0], 250) << "the white image from the current folder fills the frame";
}

TEST_F(ValidateTest, SetParsesJsonNumbers) {
  std::string path = WriteTemplate(DurationFromInput("{{len}}"));
  Json doc = Validate({path, "--set", "len=2"}, 0);
  EXPECT_EQ(doc.value("frames", Json()), 60) << doc.dump();
  doc = Validate({path, "--set", "len=2.5"}, 0);
  EXPECT_EQ(doc.value("frames", Json()), 75) << doc.dump();
}

TEST_F(ValidateTest, SetTakesNonJsonAsText) {
  std::string path = WriteTemplate(DurationFromInput("{{len}}"));
  Json doc = Validate({path, "--set", "len=soon"}, 2);
  EXPECT_EQ(doc.value("error", ""), "invalid_template");
  EXPECT_TRUE(HasDetailAt(doc, "duration")) << "a string landed in duration: " << doc.dump();
}

TEST_F(ValidateTest, DeclaredStringKeepsTheRawText) {
  // Declared `type: string`: "49" stays a string, so it cannot be the duration.
  std::string path = WriteTemplate(DurationFromInput("{{len}}", {{"len", {{"type", "string"}}}}));
  Json doc = Validate({path, "--set", "len=49"}, 2);
  EXPECT_TRUE(HasDetailAt(doc, "duration")) << "declared string became a number: " << doc.dump();

  // "01234" keeps its leading zero: 5 characters fit maxLength 5, 6 do not.
  Json t = BaseTemplate(160, 90, 30, 1);
  t["inputs"] = {{"zip", {{"type", "string"}, {"maxLength", 5}}}};
  t["tracks"].push_back({{"type", "text"}, {"clips", {{{"text", "ZIP {{zip}}"}}}}});
  std::string zip_path = WriteTemplate(t, "zip.json");
  doc = Validate({zip_path, "--set", "zip=01234"}, 0);
  EXPECT_EQ(doc.value("valid", false), true) << doc.dump();
  doc = Validate({zip_path, "--set", "zip=012345"}, 2);
  EXPECT_TRUE(HasDetailAt(doc, "input.zip")) << doc.dump();
}

TEST_F(ValidateTest, DottedSetNamesReachIntoObjects) {
  std::string path = WriteTemplate(DurationFromInput("{{clip.len}}"));
  Json doc = Validate({path, "--set", "clip.len=1.5"}, 0);
  EXPECT_EQ(doc.value("frames", Json()), 45) << doc.dump();
  // The same through an input file.
  WriteFile(Path("input.json"), R"({"clip": {"len": 0.5}})");
  doc = Validate({path, "-i", Path("input.json").string()}, 0);
  EXPECT_EQ(doc.value("frames", Json()), 15) << doc.dump();
}

TEST_F(ValidateTest, DeclaredDefaultFillsAMissingInput) {
  std::string path =
      WriteTemplate(DurationFromInput("{{len}}", {{"len", {{"type", "number"}, {"default", 1}}}}));
  Json doc = Validate({path}, 0);
  EXPECT_EQ(doc.value("frames", Json()), 30) << doc.dump();
}

TEST_F(ValidateTest, SetWithoutEqualsIsBadUsage) {
  std::string path = WriteTemplate(DurationFromInput("{{len}}"));
  Json doc = Validate({path, "--set", "len"}, 2);
  EXPECT_EQ(doc.value("error", ""), "invalid_argument") << doc.dump();
}

}  // namespace
}  // namespace vg::cli_test

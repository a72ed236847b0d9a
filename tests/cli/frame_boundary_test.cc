// The frame rule of TEMPLATE-FORMAT.md measured on real output: a clip from s lasting d is
// visible exactly on frames round(s×fps) ≤ f < round((s+d)×fps), halves rounded up, at 24, 25,
// 29.97 (30000/1001) and 30 fps. A white full-frame rectangle on black; every decoded frame's
// mean grey tells whether the clip was drawn on it.
#include <ostream>
#include <string>
#include <vector>

#include "cli_env.h"

namespace vg::cli_test {
namespace {

struct BoundaryCase {
  std::string name;
  double fps;
  double start, duration;  // seconds
  int first_frame;         // round(start × fps)
  int end_frame;           // round((start + duration) × fps), exclusive
  int total_frames;        // round(3 s × fps)
};

void PrintTo(const BoundaryCase& c, std::ostream* os) {
  *os << c.fps << " fps, start " << c.start << " s, duration " << c.duration << " s";
}

// Chosen so that s×fps and (s+d)×fps land on or near .5, where a wrong rule (truncation,
// rounding half down or to even, start + round(d×fps), 30 fps instead of 30000/1001) shows.
const BoundaryCase kCases[] = {
    // 0.0625 × 24 = 1.5 → 2 (halves up); 2.5625 × 24 = 61.5 → 62.
    {"fps24_halves_round_up", 24, 0.0625, 2.5, 2, 62, 72},
    // 1.02 × 25 = 25.5 → 26; end 2.0 × 25 = 50, although 26 + round(0.98 × 25) would be 51.
    {"fps25_end_from_start_plus_duration", 25, 1.02, 0.98, 26, 50, 75},
    // 0.4838 × 29.97… = 14.4995 → 14 (at 30 fps it would be 15); 2.4855 × 29.97… = 74.49 → 74.
    {"fps29_97_just_below_half", 29.97, 0.4838, 2.0017, 14, 74, 90},
    // 0.484 × 29.97… = 14.5055 → 15; 2.486 × 29.97… = 74.5055 → 75.
    {"fps29_97_just_above_half", 29.97, 0.484, 2.002, 15, 75, 90},
    // 1.0 × 30 = 30 exactly; 2.05 × 30 = 61.5 → 62.
    {"fps30_whole_and_half", 30, 1.0, 1.05, 30, 62, 90},
};

class FrameBoundaryTest : public CliTest, public ::testing::WithParamInterface<BoundaryCase> {
 protected:
  Json WhiteClipTemplate(const BoundaryCase& c) {
    Json t = BaseTemplate(160, 90, c.fps, 3);
    t["output"]["quality"] = "high";
    Json rect = RectClip(160, 90, "#ffffff");
    rect["start"] = c.start;
    rect["duration"] = c.duration;
    t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
    return t;
  }
};

TEST_P(FrameBoundaryTest, ClipIsVisibleOnExactlyTheRoundedFrames) {
  const BoundaryCase& c = GetParam();
  std::string path = WriteTemplate(WhiteClipTemplate(c));
  fs::path out = Path("out.mp4");
  ProcessResult run = RunVidgen({"render", path, "-o", out.string()});
  ASSERT_TRUE(run.exited && run.exit_code == 0) << run.Describe() << "\n" << run.err;
  std::vector<double> means = FrameMeans(out, 160, 90);
  ASSERT_EQ(static_cast<int>(means.size()), c.total_frames) << "frame count of 3 s";
  std::string wrong;
  for (int f = 0; f < static_cast<int>(means.size()); ++f) {
    const bool expected_white = f >= c.first_frame && f < c.end_frame;
    const bool white = means[f] > 128;
    // Anything between clearly black and clearly white means a blended or smeared frame.
    EXPECT_TRUE(means[f] < 40 || means[f] > 215) << "frame " << f << " mean " << means[f];
    if (white != expected_white) {
      wrong.append(" ").append(std::to_string(f)).append(white ? "(white)" : "(black)");
    }
  }
  EXPECT_TRUE(wrong.empty()) << "expected white frames [" << c.first_frame << ", " << c.end_frame
                             << "); wrong frames:" << wrong;
}

INSTANTIATE_TEST_SUITE_P(Fps, FrameBoundaryTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BoundaryCase>& info) {
                           return info.param.name;
                         });

// --still draws a frame exactly as the video does: a clip starting at 1.0 s at 30 fps is absent
// on frame 29 and present on frame 30.
TEST_F(CliTest, StillFramesAtAClipStartEdge) {
  Json t = BaseTemplate(160, 90, 30, 2);
  Json rect = RectClip(160, 90, "#ffffff");
  rect["start"] = 1.0;
  t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
  std::string path = WriteTemplate(t);
  for (int frame : {29, 30}) {
    fs::path png = Path("frame" + std::to_string(frame) + ".png");
    ProcessResult run =
        RunVidgen({"render", path, "-o", png.string(), "--still", std::to_string(frame)});
    ASSERT_TRUE(run.exited && run.exit_code == 0) << run.Describe() << "\n" << run.err;
    std::vector<double> means = FrameMeans(png, 160, 90);
    ASSERT_EQ(means.size(), 1u);
    if (frame == 29) {
      EXPECT_LT(means[0], 2) << "frame 29 must not show a clip starting at 1.0 s";
    } else {
      EXPECT_GT(means[0], 253) << "frame 30 must show a clip starting at 1.0 s";
    }
  }
}

// Animation time is frame-exact: for frame f it is (f − round(s×fps)) / fps. An opacity ramp of
// a white rectangle on black, read back from --still PNGs, gives each value to within 1/255.
TEST_F(CliTest, TransitionsAndEasingsAtKnownFrames) {
  struct Probe {
    std::string name;
    Json clip_fields;  // merged into the white rectangle clip
    int frame;
    double opacity;  // expected
  };
  const Json ramp = {{{"time", 0}, {"value", 0}}, {{"time", 1}, {"value", 1}}};
  const Probe probes[] = {
      // fade in over 1 s from a clip start at 0.5 s (frame 15): frame 30 is 0.5 s in.
      {"fade-in",
       {{"start", 0.5}, {"transition", {{"in", {{"type", "fade"}, {"duration", 1}}}}}},
       30,
       0.5},
      // fade out over the last 1 s of a clip ending at 3 s: frame 84 is 0.2 s before the end.
      {"fade-out", {{"transition", {{"out", {{"type", "fade"}, {"duration", 1}}}}}}, 84, 0.2},
      // steps(4) at 8/30 s: floor(0.2667 × 4) / 4 = 0.25.
      {"steps",
       {{"animations", {{{"property", "opacity"}, {"keyframes", ramp}, {"easing", "steps(4)"}}}}},
       8,
       0.25},
      // CSS ease-in-out, cubic-bezier(.42,0,.58,1), at x = 8/30: 0.1474.
      {"ease-in-out",
       {{"animations", {{{"property", "opacity"}, {"keyframes", ramp}, {"easing", "easeInOut"}}}}},
       8,
       0.1474},
      // easings.net easeInCubic at 15/30: 0.125.
      {"ease-in-cubic",
       {{"animations",
         {{{"property", "opacity"}, {"keyframes", ramp}, {"easing", "easeInCubic"}}}}},
       15,
       0.125},
  };
  for (const Probe& probe : probes) {
    Json t = BaseTemplate(160, 90, 30, 3);
    Json rect = RectClip(160, 90, "#ffffff");
    rect.update(probe.clip_fields);
    t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
    fs::path png = Path(probe.name + ".png");
    ProcessResult run = RunVidgen({"render", WriteTemplate(t, probe.name + ".json"), "-o",
                                   png.string(), "--still", std::to_string(probe.frame)});
    ASSERT_TRUE(run.exited && run.exit_code == 0) << probe.name << ": " << run.err;
    std::vector<double> means = FrameMeans(png, 160, 90);
    ASSERT_EQ(means.size(), 1u);
    EXPECT_NEAR(means[0], probe.opacity * 255, 1.5) << probe.name << " at frame " << probe.frame;
  }
}

}  // namespace
}  // namespace vg::cli_test

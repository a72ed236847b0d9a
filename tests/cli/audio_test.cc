// Audio measured from the decoded output (ffmpeg → f32le stereo 48 kHz): a clip is placed at
// sample round(start × 48000), fades are roughly linear ramps, volume is a linear gain, and a
// mix of loud sources is limited (never above full scale, never wrapped).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "cli_env.h"

namespace vg::cli_test {
namespace {

constexpr double kRate = 48000;

class AudioTest : public CliTest {
 protected:
  // Renders a 160x90 black video of `duration` with the given audio clips and returns the
  // decoded samples.
  std::vector<float> RenderAudio(double duration, const Json& clips) {
    Json t = BaseTemplate(160, 90, 30, duration);
    t["output"]["quality"] = "draft";
    t["tracks"].push_back({{"type", "audio"}, {"clips", clips}});
    std::string path = WriteTemplate(t);
    fs::path out = Path("out.mp4");
    ProcessResult run = RunVidgen({"render", path, "-o", out.string()});
    EXPECT_TRUE(run.exited && run.exit_code == 0) << run.Describe() << "\n" << run.err;
    if (!fs::exists(out)) return {};
    return DecodeAudioStereo(out);
  }

  static double MaxAbs(const std::vector<float>& s, size_t first_frame, size_t end_frame) {
    double peak = 0;
    for (size_t i = 2 * first_frame; i < std::min(s.size(), 2 * end_frame); ++i) {
      peak = std::max(peak, static_cast<double>(std::fabs(s[i])));
    }
    return peak;
  }
};

TEST_F(AudioTest, ClipStartingAtHalfASecondBeginsAtSample24000) {
  MakeTone("tone.wav", 440, 0.5, 1.0);
  std::vector<float> s = RenderAudio(2, {{{"src", "tone.wav"}, {"start", 0.5}}});
  ASSERT_GE(s.size(), static_cast<size_t>(2 * kRate * 1.9)) << "the audio lasts the video";
  size_t onset = 0;
  while (onset < s.size() / 2 && std::fabs(s[2 * onset]) < 0.05f) ++onset;
  EXPECT_NEAR(static_cast<double>(onset), 24000.0, 100.0) << "onset sample";
  EXPECT_LT(MaxAbs(s, 0, 23800), 0.01) << "silence before the clip";
  // Both channels carry the tone, at its level (0.5 peak: RMS 0.354).
  EXPECT_NEAR(RmsLeft(s, 30000, 24000), 0.5 / std::sqrt(2.0), 0.03);
  double right = 0;
  for (size_t i = 30000; i < 54000; ++i) right += static_cast<double>(s[2 * i + 1]) * s[2 * i + 1];
  EXPECT_NEAR(std::sqrt(right / 24000), 0.5 / std::sqrt(2.0), 0.03) << "right channel";
  // The 1 s tone ends at 1.5 s.
  EXPECT_LT(MaxAbs(s, 72300, 96000), 0.01) << "silence after the tone's end";
}

TEST_F(AudioTest, FadeInAndFadeOutAreLinearRamps) {
  // A 0.5-peak tone from 0 to 1.5 s with 0.5 s fades at both ends.
  MakeTone("tone.wav", 1000, 0.5, 2.0);
  std::vector<float> s =
      RenderAudio(2, {{{"src", "tone.wav"}, {"duration", 1.5}, {"fadeIn", 0.5}, {"fadeOut", 0.5}}});
  ASSERT_GE(s.size(), static_cast<size_t>(2 * kRate * 1.9));
  const double full = 0.5 / std::sqrt(2.0);
  const size_t window = 960;  // 20 ms, 20 periods of 1 kHz
  std::string envelope;
  for (double t = 0.05; t < 0.46; t += 0.05) {
    // Mean gain over the window centred on t: a linear fade gives t / 0.5.
    size_t first = static_cast<size_t>(t * kRate) - window / 2;
    double gain = RmsLeft(s, first, window) / full;
    envelope += std::to_string(gain) + " ";
    EXPECT_NEAR(gain, t / 0.5, 0.07) << "fade-in gain at " << t << " s";
  }
  EXPECT_NEAR(RmsLeft(s, static_cast<size_t>(0.75 * kRate), 9600) / full, 1.0, 0.05)
      << "full level between the fades";
  for (double t = 1.05; t < 1.46; t += 0.05) {
    size_t first = static_cast<size_t>(t * kRate) - window / 2;
    double gain = RmsLeft(s, first, window) / full;
    envelope += std::to_string(gain) + " ";
    EXPECT_NEAR(gain, (1.5 - t) / 0.5, 0.07) << "fade-out gain at " << t << " s";
  }
  EXPECT_LT(MaxAbs(s, static_cast<size_t>(1.51 * kRate), static_cast<size_t>(2 * kRate)), 0.01)
      << "silence after the clip";
  RecordProperty("envelope", envelope);
}

TEST_F(AudioTest, VolumeHalfIsMinus6dB) {
  MakeTone("tone.wav", 440, 0.5, 2.0);
  std::vector<float> s =
      RenderAudio(2, {{{"src", "tone.wav"}, {"start", 0}, {"duration", 0.5}},
                      {{"src", "tone.wav"}, {"start", 1.0}, {"duration", 0.5}, {"volume", 0.5}}});
  ASSERT_GE(s.size(), static_cast<size_t>(2 * kRate * 1.9));
  const double loud = RmsLeft(s, 4800, 14400);
  const double quiet = RmsLeft(s, 52800, 14400);
  ASSERT_GT(loud, 0.1);
  const double db = 20 * std::log10(quiet / loud);
  EXPECT_NEAR(db, 20 * std::log10(0.5), 0.3) << "volume 0.5 vs volume 1";
}

// Where the decoded output is loud: [start, end) in seconds, from 1 ms blocks.
std::vector<std::pair<double, double>> LoudSpans(const std::vector<float>& s) {
  std::vector<std::pair<double, double>> spans;
  const size_t frames = s.size() / 2, block = 48;
  bool in_span = false;
  for (size_t i = 0; i < frames; i += block) {
    float peak = 0;
    for (size_t j = i; j < std::min(frames, i + block); ++j)
      peak = std::max(peak, std::fabs(s[2 * j]));
    if (peak > 0.05f && !in_span) spans.push_back({i / kRate, 0});
    if (peak <= 0.05f && in_span) spans.back().second = i / kRate;
    in_span = peak > 0.05f;
  }
  if (in_span) spans.back().second = frames / kRate;
  return spans;
}

TEST_F(AudioTest, TrimSkipsTheSourceStartAndLoopRepeatsIt) {
  // burst.wav: 0.2 s of tone, then 0.2 s of silence.
  Ffmpeg(
      {"-f", "lavfi", "-i",
       "aevalsrc=0.5*sin(2*PI*1000*t)*lt(t\\,0.2)|0.5*sin(2*PI*1000*t)*lt(t\\,0.2):s=48000:d=0.4",
       "-c:a", "pcm_s16le", Path("burst.wav").string()});
  // Looped from 0.1 s for 1.2 s: bursts at 0.1, 0.5, 0.9. Trimmed by 0.1 s from 1.5 s: the
  // last 0.1 s of the burst, at 1.5 .. 1.6.
  std::vector<float> s =
      RenderAudio(2, {{{"src", "burst.wav"}, {"start", 0.1}, {"duration", 1.2}, {"loop", true}},
                      {{"src", "burst.wav"}, {"start", 1.5}, {"trim", 0.1}}});
  auto spans = LoudSpans(s);
  const std::vector<std::pair<double, double>> expected = {
      {0.1, 0.3}, {0.5, 0.7}, {0.9, 1.1}, {1.5, 1.6}};
  ASSERT_EQ(spans.size(), expected.size()) << "loud spans: " << ::testing::PrintToString(spans);
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_NEAR(spans[i].first, expected[i].first, 0.003) << "span " << i << " start";
    EXPECT_NEAR(spans[i].second, expected[i].second, 0.003) << "span " << i << " end";
  }
}

TEST_F(AudioTest, AudioSourceSetsTheLengthWhenNothingElseDoes) {
  // No duration anywhere: the 1.01 s tone from 0.5 s ends at 1.51 s → round(45.3) = 45 frames.
  MakeTone("tone.wav", 440, 0.5, 1.01);
  Json t = BaseTemplate(160, 90, 30, 1);
  t.erase("duration");
  t["tracks"].push_back({{"type", "audio"}, {"clips", {{{"src", "tone.wav"}, {"start", 0.5}}}}});
  std::string path = WriteTemplate(t);
  ProcessResult check = RunVidgen({"validate", path, "--json"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  fs::path out = Path("out.mp4");
  ProcessResult run = RunVidgen({"render", path, "-o", out.string()});
  ASSERT_EQ(run.exit_code, 0) << run.Describe() << "\n" << run.err;
  Json probe = Probe(out);
  ASSERT_NE(StreamOfType(probe, "video"), nullptr);
  EXPECT_EQ(ProbeNumber(*StreamOfType(probe, "video"), "nb_read_frames"), 45);
}

TEST_F(AudioTest, LoudSourcesAreLimitedNeverWrapped) {
  // Two 0.9-peak tones in phase sum to 1.8: the mix must stay within ±1.0, keep its shape (no
  // sample-to-sample jump of a wrap from +1 to -1) and stay loud.
  MakeTone("tone.wav", 440, 0.9, 2.0);
  std::vector<float> s =
      RenderAudio(2, {{{"src", "tone.wav"}, {"volume", 1}}, {{"src", "tone.wav"}, {"volume", 1}}});
  ASSERT_GE(s.size(), static_cast<size_t>(2 * kRate * 1.9));
  const size_t frames = s.size() / 2;
  EXPECT_LE(MaxAbs(s, 0, frames), 1.0) << "the mix exceeds full scale";
  double worst_jump = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    worst_jump = std::max(worst_jump, static_cast<double>(std::fabs(s[i] - s[i - 2])));
  }
  // A 440 Hz sine at full scale moves at most 2π·440/48000 ≈ 0.058 per sample.
  EXPECT_LT(worst_jump, 0.3) << "a discontinuity: the mix wrapped or clicked";
  EXPECT_GT(RmsLeft(s, 24000, 48000), 0.45) << "the limited mix is still loud";
}

}  // namespace
}  // namespace vg::cli_test

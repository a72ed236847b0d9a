// What `vidgen render` writes, checked with ffprobe and ffmpeg: exact frame counts, H.264 High
// yuv420p tagged BT.709 limited range, AAC 48 kHz stereo only with an audio clip, moov before
// mdat, quality presets and crf, --frames A:B, --still, --poster, and byte-identical repeats.
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli_env.h"

namespace vg::cli_test {
namespace {

// Fails unless the render exited 0; returns whether it did.
::testing::AssertionResult Rendered(const ProcessResult& run) {
  if (run.exited && run.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "vidgen render: " << run.Describe()
                                       << "\nstdout: " << run.out << "\nstderr: " << run.err;
}

class OutputTest : public CliTest {
 protected:
  // A test pattern under noise: fine detail everywhere, so the quantiser (CRF) and
  // not the preset's tools decides the file size.
  std::string MakePattern(int width, int height) {
    if (fs::exists(Path("pattern.png"))) return "pattern.png";  // one size per test
    Ffmpeg({"-f", "lavfi", "-i",
            "testsrc2=size=" + std::to_string(width) + "x" + std::to_string(height) +
                ":rate=1,noise=alls=60:allf=u",
            "-frames:v", "1", Path("pattern.png").string()});
    return "pattern.png";
  }

  // The template's moving, detailed content: a pattern that zooms and turns, and a rectangle
  // that crosses the frame.
  Json DetailedTemplate(double duration, int width = 320, int height = 180) {
    Json t = BaseTemplate(width, height, 30, duration);
    t["tracks"].push_back(
        {{"type", "image"},
         {"clips",
          {{{"src", MakePattern(width, height)},
            {"width", width},
            {"height", height},
            {"animations",
             {{{"property", "scale"},
               {"keyframes", {{{"time", 0}, {"value", 1}}, {{"time", duration}, {"value", 1.6}}}}},
              {{"property", "rotation"},
               {"keyframes",
                {{{"time", 0}, {"value", 0}}, {{"time", duration}, {"value", 40}}}}}}}}}}});
    Json rect = RectClip(60, 60, "#ff3366");
    rect["animations"] = {
        {{"property", "x"},
         {"keyframes", {{{"time", 0}, {"value", 0}}, {{"time", duration}, {"value", width}}}}}};
    t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
    return t;
  }

  // Checks the H.264 stream of a probe.
  void ExpectVideoStream(const Json& probe, int width, int height, int64_t frames, double fps) {
    ASSERT_EQ(CountStreams(probe, "video"), 1) << probe.dump(1);
    const Json& video = *StreamOfType(probe, "video");
    EXPECT_EQ(video.value("codec_name", ""), "h264");
    EXPECT_EQ(video.value("profile", ""), "High");
    EXPECT_EQ(video.value("pix_fmt", ""), "yuv420p");
    EXPECT_EQ(video.value("color_primaries", ""), "bt709");
    EXPECT_EQ(video.value("color_transfer", ""), "bt709");
    EXPECT_EQ(video.value("color_space", ""), "bt709");
    EXPECT_EQ(video.value("color_range", ""), "tv");
    EXPECT_EQ(video.value("width", 0), width);
    EXPECT_EQ(video.value("height", 0), height);
    EXPECT_EQ(ProbeNumber(video, "nb_read_frames"), static_cast<double>(frames))
        << "decoded frame count";
    EXPECT_NEAR(ProbeNumber(video, "duration"), static_cast<double>(frames) / fps, 0.002)
        << "video stream duration";
    EXPECT_NEAR(ProbeNumber(probe["format"], "duration"), static_cast<double>(frames) / fps, 0.03)
        << "container duration";
  }

  // moov must be a top-level box before mdat (faststart).
  void ExpectFaststart(const fs::path& file) {
    std::vector<Mp4Box> boxes = TopLevelBoxes(file);
    std::string order;
    int moov = -1, mdat = -1;
    for (size_t i = 0; i < boxes.size(); ++i) {
      order += boxes[i].type + " ";
      if (boxes[i].type == "moov" && moov < 0) moov = static_cast<int>(i);
      if (boxes[i].type == "mdat" && mdat < 0) mdat = static_cast<int>(i);
    }
    ASSERT_GE(moov, 0) << "no top-level moov: " << order;
    ASSERT_GE(mdat, 0) << "no top-level mdat: " << order;
    EXPECT_LT(moov, mdat) << "moov after mdat (not faststart): " << order;
    EXPECT_EQ(boxes.front().type, "ftyp") << order;
  }
};

TEST_F(OutputTest, VideoOnlyRenderHasExactFramesH264HighBt709AndNoAudio) {
  Json t = DetailedTemplate(2.5);
  std::string path = WriteTemplate(t);
  fs::path out = Path("out.mp4");
  ProcessResult run = RunVidgen({"render", path, "-o", out.string(), "--threads", "2"});
  ASSERT_TRUE(Rendered(run));
  Json probe = Probe(out);
  ExpectVideoStream(probe, 320, 180, 75, 30.0);
  EXPECT_EQ(CountStreams(probe, "audio"), 0) << "no audio clip, so no audio stream";
  ExpectFaststart(out);
  // Only the output is left in the folder (no temporary files).
  EXPECT_EQ(ListDir(Dir()), (std::vector<std::string>{"out.mp4", "pattern.png", "template.json"}));
}

TEST_F(OutputTest, JsonResultDescribesTheVideo) {
  Json t = BaseTemplate(160, 90, 25, 1.5);
  t["tracks"].push_back({{"type", "shape"}, {"clips", {RectClip(40, 40, "#ff0000")}}});
  fs::path out = Path("out.mp4");
  ProcessResult run = RunVidgen({"render", WriteTemplate(t), "-o", out.string(), "--json"});
  ASSERT_TRUE(Rendered(run));
  Json doc = Json::parse(run.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "stdout is not JSON: " << run.out;
  EXPECT_EQ(doc.value("frames", 0), 38) << "round(1.5 × 25) = 37.5 → 38: " << doc.dump();
  EXPECT_EQ(doc.value("width", 0), 160);
  EXPECT_EQ(doc.value("height", 0), 90);
  EXPECT_EQ(doc.value("audio", true), false);
  EXPECT_NEAR(doc.value("durationSec", 0.0), 38 / 25.0, 1e-6);
  EXPECT_EQ(doc.value("sizeBytes", int64_t{0}), static_cast<int64_t>(fs::file_size(out)));
  EXPECT_EQ(ProbeNumber(*StreamOfType(Probe(out), "video"), "nb_read_frames"), 38);
}

// CLI.md: progress goes to stderr as a bar on a terminal, "nothing otherwise". A script that
// runs vidgen without a terminal gets a quiet stderr on success.
TEST_F(OutputTest, SuccessfulRenderIsSilentOnStderrWithoutATerminal) {
  Json t = BaseTemplate(160, 90, 30, 0.5);
  t["tracks"].push_back({{"type", "shape"}, {"clips", {RectClip(40, 40, "#ff0000")}}});
  ProcessResult run = RunVidgen({"render", WriteTemplate(t), "-o", Path("out.mp4").string()});
  ASSERT_TRUE(Rendered(run));
  EXPECT_EQ(run.err, "") << "stderr of a successful render without a terminal";
  EXPECT_EQ(run.out, "");
}

// --progress json: one JSON object a line on stderr, frames counting up to the total.
TEST_F(OutputTest, ProgressJsonLinesCountUpToTheTotal) {
  Json t = BaseTemplate(160, 90, 30, 2);
  t["tracks"].push_back({{"type", "shape"}, {"clips", {RectClip(40, 40, "#ff0000")}}});
  ProcessResult run =
      RunVidgen({"render", WriteTemplate(t), "-o", Path("out.mp4").string(), "--progress", "json"});
  ASSERT_TRUE(Rendered(run));
  std::istringstream lines(run.err);
  std::string line;
  int64_t previous = -1, count = 0;
  Json last;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    Json progress = Json::parse(line, nullptr, false);
    ASSERT_FALSE(progress.is_discarded()) << "not a JSON line: " << line;
    ASSERT_TRUE(progress.contains("frame") && progress.contains("total") &&
                progress.contains("fps") && progress.contains("etaSec"))
        << line;
    EXPECT_EQ(progress["total"], 60) << line;
    EXPECT_GE(progress["frame"].get<int64_t>(), previous) << "progress went backwards: " << line;
    previous = progress["frame"].get<int64_t>();
    last = progress;
    ++count;
  }
  ASSERT_GT(count, 0) << "no progress lines";
  EXPECT_EQ(last["frame"], 60) << "the last line reports every frame";
}

TEST_F(OutputTest, AudioClipGivesAacLc48kStereoAtNtscRate) {
  Json t = BaseTemplate(160, 90, 29.97, 2);
  MakeTone("tone.wav", 440, 0.5, 1.0);
  Json rect = RectClip(80, 40, "#3366ff");
  t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
  t["tracks"].push_back({{"type", "audio"}, {"clips", {{{"src", "tone.wav"}, {"start", 0.25}}}}});
  std::string path = WriteTemplate(t);
  fs::path out = Path("out.mp4");
  ASSERT_TRUE(Rendered(RunVidgen({"render", path, "-o", out.string()})));
  Json probe = Probe(out);
  // round(2 × 30000/1001) = round(59.94) = 60 frames.
  ExpectVideoStream(probe, 160, 90, 60, 30000.0 / 1001.0);
  ASSERT_EQ(CountStreams(probe, "audio"), 1) << probe.dump(1);
  const Json& audio = *StreamOfType(probe, "audio");
  EXPECT_EQ(audio.value("codec_name", ""), "aac");
  EXPECT_EQ(audio.value("profile", ""), "LC");
  EXPECT_EQ(ProbeNumber(audio, "sample_rate"), 48000);
  EXPECT_EQ(audio.value("channels", 0), 2);
  EXPECT_NEAR(ProbeNumber(audio, "duration"), 60 / (30000.0 / 1001.0), 1024.0 / 48000 + 0.005)
      << "the audio lasts as long as the video";
  ExpectFaststart(out);
}

// x264 writes its settings into the stream ("options: cabac=0 ref=1 … crf=28.0 …"); returns
// them as name → value, empty when absent.
std::map<std::string, std::string> X264Options(const fs::path& file) {
  std::map<std::string, std::string> options;
  const std::string bytes = ReadFile(file);
  const size_t start = bytes.find("options: ");
  if (start == std::string::npos) return options;
  size_t end = bytes.find('\0', start);
  std::istringstream words(
      bytes.substr(start + 9, end == std::string::npos ? 4096 : end - start - 9));
  std::string word;
  while (words >> word) {
    const size_t eq = word.find('=');
    if (eq != std::string::npos) options[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return options;
}

TEST_F(OutputTest, QualityPresetsSetX264PresetAndCrf) {
  struct Expected {
    std::string quality;
    int crf;  // output.crf, or -1
    std::string x264_crf;
    std::string subme;  // ultrafast 0, veryfast 2, medium 7
  };
  const Expected cases[] = {{"draft", -1, "28.0", "0"},
                            {"standard", -1, "23.0", "2"},
                            {"high", -1, "18.0", "7"},
                            {"standard", 40, "40.0", "2"}};
  for (const auto& c : cases) {
    Json t = BaseTemplate(160, 90, 30, 0.5);
    t["output"]["quality"] = c.quality;
    if (c.crf >= 0) t["output"]["crf"] = c.crf;
    t["tracks"].push_back({{"type", "shape"}, {"clips", {RectClip(40, 40, "#ff0000")}}});
    const std::string name = c.quality + std::to_string(c.crf);
    fs::path out = Path(name + ".mp4");
    ASSERT_TRUE(Rendered(RunVidgen(
        {"render", WriteTemplate(t, name + ".json"), "-o", out.string(), "--threads", "2"})));
    auto options = X264Options(out);
    ASSERT_FALSE(options.empty()) << "no x264 settings in " << name;
    EXPECT_EQ(options["crf"], c.x264_crf) << name;
    EXPECT_EQ(options["subme"], c.subme) << name << ": not the preset's subpixel setting";
    // x264's frame threads follow --threads (twice as many; render/encoder.cc), never the cores.
    EXPECT_EQ(options["threads"], "4") << name << ": x264 threads must follow --threads";
  }
}

TEST_F(OutputTest, QualityPresetsAndCrfChangeTheFileSizeSensibly) {
  auto render = [&](const std::string& quality, int crf) -> uintmax_t {
    Json t = DetailedTemplate(0.5);
    t["output"]["quality"] = quality;
    if (crf >= 0) t["output"]["crf"] = crf;
    std::string name = quality + "-" + std::to_string(crf);
    std::string path = WriteTemplate(t, name + ".json");
    fs::path out = Path(name + ".mp4");
    ProcessResult run = RunVidgen({"render", path, "-o", out.string(), "--threads", "2"});
    EXPECT_TRUE(Rendered(run)) << name;
    if (!fs::exists(out)) return 0;
    EXPECT_EQ(ProbeNumber(*StreamOfType(Probe(out), "video"), "nb_read_frames"), 15) << name;
    return fs::file_size(out);
  };
  // ultrafast (draft) compresses far worse than veryfast, so draft may be larger than
  // standard; at the same preset a lower CRF is larger, and high beats draft.
  const uintmax_t draft = render("draft", -1);
  const uintmax_t standard = render("standard", -1);
  const uintmax_t high = render("high", -1);
  const uintmax_t standard_crf40 = render("standard", 40);
  EXPECT_GT(high, draft) << "high (CRF 18) must be larger than draft (CRF 28)";
  EXPECT_LT(standard_crf40, standard) << "output.crf 40 must shrink the standard file";
  RecordProperty("bytes_draft", std::to_string(draft));
  RecordProperty("bytes_standard", std::to_string(standard));
  RecordProperty("bytes_high", std::to_string(high));
}

TEST_F(OutputTest, FramesRangeRendersExactlyThoseFramesWithMatchingAudio) {
  // A white rectangle visible on frames 30..74 brightening as it goes, and a tone that starts
  // at 1.25 s. The chunk 30:75 must be those 45 frames, all white, with the tone at 0.25 s.
  Json t = BaseTemplate(160, 90, 30, 3);
  t["output"]["quality"] = "high";
  Json rect = RectClip(160, 90, "#ffffff");
  rect["start"] = 1.0;
  rect["end"] = 2.5;
  rect["animations"] = {
      {{"property", "opacity"},
       {"keyframes", {{{"time", 0}, {"value", 0.3}}, {{"time", 1.5}, {"value", 1}}}}}};
  t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
  MakeTone("tone.wav", 440, 0.5, 3.0);
  t["tracks"].push_back({{"type", "audio"}, {"clips", {{{"src", "tone.wav"}, {"start", 1.25}}}}});
  std::string path = WriteTemplate(t);

  fs::path full = Path("full.mp4"), chunk = Path("chunk.mp4");
  ASSERT_TRUE(Rendered(RunVidgen({"render", path, "-o", full.string()})));
  ASSERT_TRUE(Rendered(RunVidgen({"render", path, "-o", chunk.string(), "--frames", "30:75"})));

  Json probe = Probe(chunk);
  ASSERT_EQ(CountStreams(probe, "video"), 1);
  const Json& video = *StreamOfType(probe, "video");
  EXPECT_EQ(ProbeNumber(video, "nb_read_frames"), 45);
  EXPECT_NEAR(ProbeNumber(video, "duration"), 1.5, 0.002);
  ASSERT_EQ(CountStreams(probe, "audio"), 1);
  EXPECT_NEAR(ProbeNumber(*StreamOfType(probe, "audio"), "duration"), 1.5, 1024.0 / 48000 + 0.002)
      << "the audio is cut to the chunk";

  std::vector<double> full_means = FrameMeans(full, 160, 90);
  std::vector<double> chunk_means = FrameMeans(chunk, 160, 90);
  ASSERT_EQ(full_means.size(), 90u);
  ASSERT_EQ(chunk_means.size(), 45u);
  for (size_t i = 0; i < chunk_means.size(); ++i) {
    EXPECT_NEAR(chunk_means[i], full_means[30 + i], 2.0) << "chunk frame " << i;
  }
  EXPECT_LT(full_means[29], 30) << "frame 29 is before the rectangle";
  EXPECT_GT(chunk_means[0], 60) << "the chunk starts with frame 30, where the rectangle is";

  std::vector<float> samples = DecodeAudioStereo(chunk);
  ASSERT_GT(samples.size(), 2u * 24000);
  size_t onset = 0;
  while (onset < samples.size() / 2 && std::fabs(samples[2 * onset]) < 0.05f) ++onset;
  EXPECT_NEAR(static_cast<double>(onset), 12000.0, 100.0)
      << "the tone starts 0.25 s into the chunk (1.25 s into the video)";
}

TEST_F(OutputTest, StillWritesPngOfTheFrameDrawnAtThatIndex) {
  // Opacity of a white full-frame rectangle goes 0 → 1 over 3 s: frame 45 is half grey.
  Json t = BaseTemplate(320, 180, 30, 3);
  Json rect = RectClip(320, 180, "#ffffff");
  rect["animations"] = {
      {{"property", "opacity"},
       {"keyframes", {{{"time", 0}, {"value", 0}}, {{"time", 3}, {"value", 1}}}}}};
  t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
  std::string path = WriteTemplate(t);
  fs::path still = Path("frame45.png");
  ASSERT_TRUE(Rendered(RunVidgen({"render", path, "-o", still.string(), "--still", "45"})));
  Json probe = Probe(still);
  ASSERT_EQ(CountStreams(probe, "video"), 1) << probe.dump(1);
  const Json& image = *StreamOfType(probe, "video");
  EXPECT_EQ(image.value("codec_name", ""), "png");
  EXPECT_EQ(image.value("width", 0), 320);
  EXPECT_EQ(image.value("height", 0), 180);
  EXPECT_EQ(ReadFile(still).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::vector<double> means = FrameMeans(still, 320, 180);
  ASSERT_EQ(means.size(), 1u);
  EXPECT_NEAR(means[0], 127.5, 2.0) << "frame 45 of 90 has opacity 0.5";
}

TEST_F(OutputTest, PosterIsA640WideJpegOfTheFrameAtOneSecond) {
  Json t = BaseTemplate(320, 180, 30, 3);
  Json rect = RectClip(320, 180, "#ffffff");
  rect["animations"] = {
      {{"property", "opacity"},
       {"keyframes", {{{"time", 0}, {"value", 0}}, {{"time", 3}, {"value", 1}}}}}};
  t["tracks"].push_back({{"type", "shape"}, {"clips", {rect}}});
  std::string path = WriteTemplate(t);
  fs::path out = Path("out.mp4"), poster = Path("poster.jpg");
  ASSERT_TRUE(
      Rendered(RunVidgen({"render", path, "-o", out.string(), "--poster", poster.string()})));
  ASSERT_TRUE(fs::exists(poster));
  Json probe = Probe(poster);
  ASSERT_EQ(CountStreams(probe, "video"), 1) << probe.dump(1);
  const Json& image = *StreamOfType(probe, "video");
  EXPECT_EQ(image.value("codec_name", ""), "mjpeg");
  EXPECT_EQ(image.value("width", 0), 640);
  EXPECT_EQ(image.value("height", 0), 360);
  EXPECT_EQ(ReadFile(poster).substr(0, 3), std::string("\xff\xd8\xff", 3));
  std::vector<double> means = FrameMeans(poster, 640, 360);
  ASSERT_EQ(means.size(), 1u);
  // min(1 s, half of 3 s) = 1 s = frame 30: opacity 1/3.
  EXPECT_NEAR(means[0], 255.0 / 3, 5.0) << "the poster shows the frame at 1 s";

  // A 1 s video: min(1 s, 0.5 s) = frame 15, opacity 0.5 (the ramp now lasts 1 s).
  t["duration"] = 1;
  t["tracks"][0]["clips"][0]["animations"][0]["keyframes"][1]["time"] = 1;
  path = WriteTemplate(t, "short.json");
  fs::path short_poster = Path("short.jpg");
  ASSERT_TRUE(Rendered(RunVidgen(
      {"render", path, "-o", Path("short.mp4").string(), "--poster", short_poster.string()})));
  means = FrameMeans(short_poster, 640, 360);
  ASSERT_EQ(means.size(), 1u);
  EXPECT_NEAR(means[0], 127.5, 5.0) << "the poster of a 1 s video shows the frame at 0.5 s";
}

TEST_F(OutputTest, TwoRendersWithTheSameThreadsAreByteIdentical) {
  Json t = DetailedTemplate(2);
  MakeTone("tone.wav", 330, 0.4, 2.0);
  t["tracks"].push_back(
      {{"type", "text"},
       {"clips", {{{"text", "Same bytes"}, {"style", {{"fontSize", 28}, {"color", "#ffee00"}}}}}}});
  t["tracks"].push_back(
      {{"type", "audio"}, {"clips", {{{"src", "tone.wav"}, {"fadeIn", 0.3}, {"volume", 0.8}}}}});
  std::string path = WriteTemplate(t);
  fs::path a = Path("a.mp4"), b = Path("b.mp4");
  ASSERT_TRUE(Rendered(RunVidgen({"render", path, "-o", a.string(), "--threads", "2"})));
  ASSERT_TRUE(Rendered(RunVidgen({"render", path, "-o", b.string(), "--threads", "2"})));
  const std::string bytes_a = ReadFile(a), bytes_b = ReadFile(b);
  ASSERT_GT(bytes_a.size(), 1000u);
  EXPECT_EQ(bytes_a.size(), bytes_b.size());
  EXPECT_TRUE(bytes_a == bytes_b) << "two renders of the same template differ";
}

}  // namespace
}  // namespace vg::cli_test

// Every source format of TEMPLATE-FORMAT.md through the real executable. Audio (WAV at
// 22.05 kHz, MP3, AAC/M4A, OGG/Vorbis, Opus, FLAC): a 1 kHz tone placed at 0.25 s must start
// and end at the right samples (codec delay and padding removed), keep its pitch (resampled
// to 48 kHz) and its level. Images (PNG, PNG with alpha, JPEG, WebP, GIF, SVG): an orange
// picture (an SVG of the frame's aspect ratio, drawn 5× its size) drawn full-frame keeps its colour
// (no channel swap, alpha blended straight).
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "cli_env.h"

namespace vg::cli_test {
namespace {

struct AudioFormat {
  std::string name;
  std::string file;                // name of the generated source
  int rate;                        // its sample rate
  std::vector<std::string> codec;  // ffmpeg output options
};

void PrintTo(const AudioFormat& f, std::ostream* os) { *os << f.file; }

const AudioFormat kAudioFormats[] = {
    {"wav_22050", "tone.wav", 22050, {"-c:a", "pcm_s16le"}},
    {"mp3", "tone.mp3", 44100, {"-c:a", "libmp3lame", "-b:a", "192k"}},
    {"m4a", "tone.m4a", 44100, {"-c:a", "aac", "-b:a", "192k"}},
    {"ogg_vorbis", "tone.ogg", 44100, {"-c:a", "libvorbis", "-q:a", "6"}},
    {"opus", "tone.opus", 48000, {"-c:a", "libopus", "-b:a", "128k"}},
    {"flac", "tone.flac", 44100, {"-c:a", "flac"}},
};

class AudioFormatTest : public CliTest, public ::testing::WithParamInterface<AudioFormat> {};

TEST_P(AudioFormatTest, ToneIsPlacedAtItsSampleWithItsPitchAndLevel) {
  const AudioFormat& format = GetParam();
  // 0.6 s of 1 kHz at 0.5 peak, stereo.
  std::vector<std::string> args = {"-f", "lavfi", "-i",
                                   "aevalsrc=0.5*sin(2*PI*1000*t)|0.5*sin(2*PI*1000*t):s=" +
                                       std::to_string(format.rate) + ":d=0.6"};
  args.insert(args.end(), format.codec.begin(), format.codec.end());
  args.push_back(Path(format.file).string());
  Ffmpeg(args);

  Json t = BaseTemplate(160, 90, 30, 1.5);
  t["output"]["quality"] = "draft";
  t["tracks"].push_back({{"type", "audio"}, {"clips", {{{"src", format.file}, {"start", 0.25}}}}});
  fs::path out = Path("out.mp4");
  ProcessResult run = RunVidgen({"render", WriteTemplate(t), "-o", out.string()});
  ASSERT_TRUE(run.exited && run.exit_code == 0) << run.Describe() << "\n" << run.err;
  std::vector<float> s = DecodeAudioStereo(out);
  const size_t frames = s.size() / 2;
  ASSERT_GE(frames, 70000u);

  size_t onset = 0;
  while (onset < frames && std::fabs(s[2 * onset]) < 0.05f) ++onset;
  size_t last = frames - 1;
  while (last > 0 && std::fabs(s[2 * last]) < 0.05f) --last;
  EXPECT_NEAR(static_cast<double>(onset), 12000.0, 150.0) << "the tone starts at 0.25 s";
  EXPECT_NEAR(static_cast<double>(last), 40800.0, 150.0) << "the 0.6 s tone ends at 0.85 s";

  // Level and pitch over 0.35..0.75 s, well inside the tone.
  const size_t first = 16800, count = 19200;
  EXPECT_NEAR(RmsLeft(s, first, count), 0.5 / std::sqrt(2.0), 0.04) << "level";
  int crossings = 0;
  for (size_t i = first + 1; i < first + count; ++i) {
    if ((s[2 * (i - 1)] < 0) != (s[2 * i] < 0)) ++crossings;
  }
  const double hz = crossings / 2.0 / (static_cast<double>(count) / 48000.0);
  EXPECT_NEAR(hz, 1000.0, 5.0) << "pitch after resampling to 48 kHz";
}

INSTANTIATE_TEST_SUITE_P(Source, AudioFormatTest, ::testing::ValuesIn(kAudioFormats),
                         [](const ::testing::TestParamInfo<AudioFormat>& info) {
                           return info.param.name;
                         });

struct ImageFormat {
  std::string name;
  std::string file;
  std::vector<std::string> ffmpeg;  // how to make it (empty: written by hand, SVG)
  double r, g, b;                   // expected colour over the blue background
  double tolerance;
};

void PrintTo(const ImageFormat& f, std::ostream* os) { *os << f.file; }

const ImageFormat kImageFormats[] = {
    {"png",
     "orange.png",
     {"-f", "lavfi", "-i", "color=c=0xff8000:s=64x64,format=rgb24", "-frames:v", "1"},
     255,
     128,
     0,
     2},
    // Red at 50 % alpha over the blue background: straight alpha gives (128, 0, 127).
    {"png_alpha",
     "half-red.png",
     {"-f", "lavfi", "-i", "color=c=0xff000080:s=64x64,format=rgba", "-frames:v", "1"},
     127.5,
     0,
     127.5,
     4},
    {"jpeg",
     "orange.jpg",
     {"-f", "lavfi", "-i", "color=c=0xff8000:s=64x64,format=rgb24", "-frames:v", "1", "-q:v", "2"},
     255,
     128,
     0,
     10},
    {"webp",
     "orange.webp",
     {"-f", "lavfi", "-i", "color=c=0xff8000:s=64x64,format=rgb24", "-frames:v", "1", "-lossless",
      "1"},
     255,
     128,
     0,
     3},
    {"gif",
     "orange.gif",
     {"-f", "lavfi", "-i", "color=c=0xff8000:s=64x64,format=rgb24", "-frames:v", "1"},
     255,
     128,
     0,
     6},
    {"svg", "orange.svg", {}, 255, 128, 0, 2},
};

class ImageFormatTest : public CliTest, public ::testing::WithParamInterface<ImageFormat> {};

TEST_P(ImageFormatTest, ImageKeepsItsColour) {
  const ImageFormat& format = GetParam();
  if (format.ffmpeg.empty()) {
    WriteFile(Path(format.file),
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"32\" height=\"18\" "
              "viewBox=\"0 0 32 18\"><rect width=\"32\" height=\"18\" fill=\"#ff8000\"/></svg>\n");
  } else {
    std::vector<std::string> args = format.ffmpeg;
    args.push_back(Path(format.file).string());
    Ffmpeg(args);
  }
  Json t = BaseTemplate(160, 90, 30, 1);
  t["background"] = "#0000ff";
  t["tracks"].push_back(
      {{"type", "image"},
       {"clips", {{{"src", format.file}, {"width", 160}, {"height", 90}, {"fit", "fill"}}}}});
  fs::path png = Path("frame.png");
  ProcessResult run = RunVidgen({"render", WriteTemplate(t), "-o", png.string(), "--still", "0"});
  ASSERT_TRUE(run.exited && run.exit_code == 0) << run.Describe() << "\n" << run.err;
  std::vector<double> rgb = RgbMeans(png, 160, 90);
  EXPECT_NEAR(rgb[0], format.r, format.tolerance) << "red";
  EXPECT_NEAR(rgb[1], format.g, format.tolerance) << "green";
  EXPECT_NEAR(rgb[2], format.b, format.tolerance) << "blue";
}

INSTANTIATE_TEST_SUITE_P(Source, ImageFormatTest, ::testing::ValuesIn(kImageFormats),
                         [](const ::testing::TestParamInfo<ImageFormat>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace vg::cli_test

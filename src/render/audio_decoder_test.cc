// Tests for AudioDecoder and ProbeAudioFile against files the ffmpeg command line makes: every
// supported format decodes at the right place (codec priming removed) and probes the right
// length, seeks are sample-exact, channels are mapped to stereo, and broken files are refused.
#include "render/audio_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "render/audio_test_util.h"

namespace vg::render {
namespace {

using testing::DecodeWithFfmpeg;
using testing::MakeAudio;
using testing::TempDir;

struct Format {
  const char* extension;
  const char* args;
  bool lossless;
  int decoded_rate;  // Opus always decodes at 48 kHz
};

const Format kFormats[] = {
    {"wav", "-c:a pcm_s16le", true, 44100},
    {"mp3", "-c:a libmp3lame -b:a 128k", false, 44100},
    {"m4a", "-c:a aac -b:a 128k", false, 44100},
    {"ogg", "-c:a libvorbis -q:a 5", false, 44100},
    {"opus", "-c:a libopus -b:a 96k", false, 48000},
    {"flac", "-c:a flac", true, 44100},
};

std::vector<float> ReadAll(AudioDecoder& decoder) {
  std::vector<float> all;
  std::vector<float> block(2 * 1000);
  while (true) {
    auto got = decoder.Read(block.data(), 1000);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (!got.ok() || *got == 0) break;
    all.insert(all.end(), block.begin(), block.begin() + 2 * *got);
  }
  return all;
}

class AudioDecoderFormatTest : public ::testing::TestWithParam<Format> {};

// A 1 s, 1 kHz sine at 44.1 kHz in each format decodes to a sine that starts where the original
// starts (an encoder delay left in would shift its phase), and probes 1 s.
TEST_P(AudioDecoderFormatTest, DecodesInPlaceAndProbesItsDuration) {
  const Format& format = GetParam();
  TempDir dir;
  const std::string name = std::string("sine.") + format.extension;
  auto bytes =
      MakeAudio(dir, name, "sine=frequency=1000:sample_rate=44100:duration=1", format.args);
  ASSERT_GT(bytes->size(), 100u);

  auto info = ProbeAudioFile(*bytes);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sample_rate, format.decoded_rate);
  EXPECT_EQ(info->channels, 1);
  EXPECT_NEAR(static_cast<double>(info->length_samples) / info->sample_rate, 1.0, 0.005);

  auto decoder = AudioDecoder::Open(bytes);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  std::vector<float> all = ReadAll(**decoder);
  const auto frames = static_cast<int64_t>(all.size() / 2);
  EXPECT_NEAR(static_cast<double>(frames) / format.decoded_rate, 1.0, 0.005);
  // ffmpeg's sine source: amplitude 1/8, phase 0 at sample 0.
  const double rate = format.decoded_rate;
  const double error = testing::SineError(all, 2000, 40000, 1000, rate, 0.125, 0);
  EXPECT_LT(error, format.lossless ? 1e-3 : 0.05) << format.extension;
  // Mono plays on both channels, equally.
  for (int64_t i = 0; i < frames; ++i) ASSERT_EQ(all[2 * i], all[2 * i + 1]);
}

// After any seek, Read returns exactly the samples a sequential read returns at that position.
TEST_P(AudioDecoderFormatTest, SeeksAreSampleExact) {
  const Format& format = GetParam();
  TempDir dir;
  const std::string name = std::string("noise.") + format.extension;
  auto bytes =
      MakeAudio(dir, name, "anoisesrc=color=pink:sample_rate=44100:duration=4:seed=7:amplitude=0.3",
                format.args);
  auto decoder = AudioDecoder::Open(bytes);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  const std::vector<float> all = ReadAll(**decoder);
  const auto frames = static_cast<int64_t>(all.size() / 2);
  ASSERT_GT(frames, 150000);
  const int64_t positions[] = {150000, 3,     44100 * 2 + 17, 90000, 91000,
                               0,      20000, frames - 500,   1234,  130001};
  std::vector<float> block(2 * 2000);
  for (int64_t position : positions) {
    ASSERT_TRUE((*decoder)->Seek(position).ok());
    EXPECT_EQ((*decoder)->position(), position);
    auto got = (*decoder)->Read(block.data(), 2000);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, std::min<int64_t>(2000, frames - position)) << position;
    double max_difference = 0;
    for (int i = 0; i < 2 * *got; ++i) {
      max_difference =
          std::max(max_difference, static_cast<double>(std::abs(block[i] - all[2 * position + i])));
    }
    // Lossless and MDCT codecs with enough pre-roll are bit-exact; Opus converges after its
    // 80 ms pre-roll to within its own coding noise.
    const double tolerance = std::string_view(format.extension) == "opus" ? 2e-3 : 0;
    EXPECT_LE(max_difference, tolerance) << format.extension << " at " << position;
  }
  // Past the end: nothing, not an error.
  ASSERT_TRUE((*decoder)->Seek(frames + 10).ok());
  auto got = (*decoder)->Read(block.data(), 2000);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 0);
}

INSTANTIATE_TEST_SUITE_P(Formats, AudioDecoderFormatTest, ::testing::ValuesIn(kFormats),
                         [](const auto& info) { return std::string(info.param.extension); });

// The decoded samples are the file's samples: a 48 kHz stereo WAV equals ffmpeg's own decode.
TEST(AudioDecoderTest, StereoWavMatchesFfmpegExactly) {
  TempDir dir;
  auto bytes = MakeAudio(dir, "stereo.wav",
                         "aevalsrc=0.5*sin(2*PI*440*t)|0.25*sin(2*PI*660*t):s=48000:d=0.5",
                         "-c:a pcm_s24le");
  auto decoder = AudioDecoder::Open(bytes);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  EXPECT_EQ((*decoder)->channels(), 2);
  EXPECT_EQ((*decoder)->container_length(), 24000);
  std::vector<float> ours = ReadAll(**decoder);
  std::vector<float> reference = DecodeWithFfmpeg(dir, "stereo.wav", 2);
  ASSERT_EQ(ours.size(), reference.size());
  EXPECT_EQ(ours, reference);
}

// Surround is downmixed: a 5.1 file with sound on the front-left channel only plays on the left.
TEST(AudioDecoderTest, SurroundIsDownmixedToStereo) {
  TempDir dir;
  auto bytes = MakeAudio(dir, "surround.flac",
                         "aevalsrc=0.5*sin(2*PI*440*t)|0|0|0|0|0:s=48000:d=0.5:c=5.1", "-c:a flac");
  auto decoder = AudioDecoder::Open(bytes);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  EXPECT_EQ((*decoder)->channels(), 6);
  std::vector<float> all = ReadAll(**decoder);
  ASSERT_EQ(all.size(), 2u * 24000);
  double left = 0, right = 0;
  for (size_t i = 0; i < all.size(); i += 2) {
    left = std::max(left, static_cast<double>(std::abs(all[i])));
    right = std::max(right, static_cast<double>(std::abs(all[i + 1])));
  }
  EXPECT_NEAR(left, 0.5, 0.01);
  EXPECT_LT(right, 1e-6);
}

TEST(AudioDecoderTest, GarbageIsAssetUnavailable) {
  std::mt19937 random(42);
  std::string noise(50000, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  for (const std::string& bytes :
       {noise, std::string("this is not audio, just some text\n", 34), std::string()}) {
    auto info = ProbeAudioFile(bytes);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), ErrorCode::kAssetUnavailable) << info.status().ToString();
    auto decoder = AudioDecoder::Open(std::make_shared<const std::string>(bytes));
    ASSERT_FALSE(decoder.ok());
    EXPECT_EQ(decoder.status().code(), ErrorCode::kAssetUnavailable);
  }
}

TEST(AudioDecoderTest, ImageHasNoAudioStream) {
  TempDir dir;
  auto png = MakeAudio(dir, "red.png", "color=red:size=16x16", "-frames:v 1");
  ASSERT_GT(png->size(), 10u);
  auto info = ProbeAudioFile(*png);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), ErrorCode::kAssetUnavailable);
  EXPECT_NE(info.status().message().find("no audio stream"), std::string::npos)
      << info.status().message();
}

// Files cut to 40 % of their size declare more than they hold: refused with a clear reason.
TEST(AudioDecoderTest, TruncatedFilesAreAssetUnavailable) {
  TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {"cut.wav", "-c:a pcm_s16le"},
      {"cut.flac", "-c:a flac"},
      {"cut.mp3", "-c:a libmp3lame -b:a 128k"},
      {"cut.m4a", "-c:a aac -movflags +faststart"},
  };
  for (const auto& [name, args] : cases) {
    auto bytes = MakeAudio(dir, name, "sine=frequency=440:sample_rate=44100:duration=5", args);
    ASSERT_TRUE(ProbeAudioFile(*bytes).ok()) << name;
    const std::string cut = bytes->substr(0, bytes->size() * 2 / 5);
    auto info = ProbeAudioFile(cut);
    ASSERT_FALSE(info.ok()) << name << " probed " << info->length_samples;
    EXPECT_EQ(info.status().code(), ErrorCode::kAssetUnavailable);
    EXPECT_NE(info.status().message().find("truncated"), std::string::npos)
        << name << ": " << info.status().message();
  }
}

}  // namespace
}  // namespace vg::render

namespace vg::render {
namespace {

std::vector<float> ReadStream(AudioClipStream& stream, int64_t count) {
  std::vector<float> out(2 * static_cast<size_t>(count));
  for (int64_t done = 0; done < count; done += 1000) {
    const int n = static_cast<int>(std::min<int64_t>(1000, count - done));
    EXPECT_TRUE(stream.Read(out.data() + 2 * done, n).ok());
  }
  return out;
}

// A clip stream sought anywhere returns what a sequential read returns there, bit for bit:
// resampled (44.1 and 22.05 kHz), looped with a trim (crossfaded seams), lossy and lossless.
TEST(AudioClipStreamTest, SeeksEqualSequentialReads) {
  TempDir dir;
  struct Case {
    const char* name;
    const char* source;
    const char* args;
    double trim_s;
    bool loop;
  };
  const Case cases[] = {
      {"a.mp3", "anoisesrc=color=pink:sample_rate=44100:duration=1.7:seed=1:amplitude=0.4",
       "-c:a libmp3lame", 0.3, true},
      {"b.wav", "anoisesrc=sample_rate=22050:duration=3:seed=2:amplitude=0.4", "-c:a pcm_s16le",
       0.1, false},
      {"c.flac", "anoisesrc=sample_rate=48000:duration=1.1:seed=3:amplitude=0.4", "", 0.2, true},
  };
  for (const Case& c : cases) {
    auto bytes = MakeAudio(dir, c.name, c.source, c.args);
    auto sequential_stream = AudioClipStream::Create(bytes, c.trim_s, c.loop);
    ASSERT_TRUE(sequential_stream.ok()) << sequential_stream.status().ToString();
    const int64_t total = 5 * 48000;
    const std::vector<float> sequential = ReadStream(**sequential_stream, total);
    auto stream = AudioClipStream::Create(bytes, c.trim_s, c.loop);
    ASSERT_TRUE(stream.ok());
    for (int64_t index : {int64_t{200000}, int64_t{1}, int64_t{77777}, int64_t{150001},
                          int64_t{3000}, int64_t{120000}}) {
      ASSERT_TRUE((*stream)->Seek(index).ok());
      const int64_t count = std::min<int64_t>(20000, total - index);
      const std::vector<float> part = ReadStream(**stream, count);
      for (int64_t i = 0; i < 2 * count; ++i) {
        ASSERT_EQ(part[i], sequential[2 * index + i]) << c.name << " from " << index << " at " << i;
      }
    }
    if (!c.loop) {
      // A single pass: its natural length, then silence.
      const int64_t pass = (*stream)->pass_length();
      EXPECT_NEAR(static_cast<double>(pass), (3 - 0.1) * 48000, 2);
      EXPECT_EQ(testing::Peak(sequential, pass + 10, total), 0.0);
      EXPECT_GT(testing::Peak(sequential, pass - 2000, pass - 100), 0.05);
    }
  }
}

// The resampler is flat to 20 kHz and leaves no alias: a 30 kHz tone in a 96 kHz file (which
// would fold to 18 kHz) vanishes below -100 dB; a 20 kHz tone at 44.1 kHz keeps its level.
TEST(AudioClipStreamTest, ResamplesWithoutAliasingOrLoss) {
  TempDir dir;
  auto high =
      MakeAudio(dir, "high.wav", "aevalsrc=0.5*sin(2*PI*30000*t):s=96000:d=1", "-c:a pcm_f32le");
  auto stream = AudioClipStream::Create(high, 0, false);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  auto out = ReadStream(**stream, 48000);
  EXPECT_LT(testing::Peak(out, 1000, 47000), 0.5 * 1e-5);

  auto treble =
      MakeAudio(dir, "treble.wav", "aevalsrc=0.5*sin(2*PI*20000*t):s=44100:d=1", "-c:a pcm_f32le");
  stream = AudioClipStream::Create(treble, 0, false);
  ASSERT_TRUE(stream.ok());
  out = ReadStream(**stream, 48000);
  EXPECT_NEAR(testing::Rms(out, 1000, 47000), 0.5 / std::sqrt(2.0), 0.5 / std::sqrt(2.0) * 0.01);
}

}  // namespace
}  // namespace vg::render

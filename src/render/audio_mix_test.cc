// Tests for AudioMixer and ProbeAudioDurationSeconds with audio the ffmpeg command line makes at
// run time: exact placement (also after resampling and in every format), trim, loop, fades,
// volume and animated volume, the limiter on loud and quiet mixes, a mid-timeline start equal
// to a sequential run, flat memory over a 10-minute source, and errors naming the clip.
#include "render/audio_mix.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "render/audio_test_util.h"

namespace vg::render {
namespace {

using testing::FirstAbove;
using testing::MakeAudio;
using testing::Peak;
using testing::Rms;
using testing::TempDir;

constexpr int kRate = kAudioSampleRate;

std::vector<float> MixRange(AudioMixer& mixer, int64_t first, int64_t count, int chunk = 1600) {
  std::vector<float> out(2 * static_cast<size_t>(count));
  for (int64_t done = 0; done < count; done += chunk) {
    const int n = static_cast<int>(std::min<int64_t>(chunk, count - done));
    Status status = mixer.Mix(first + done, n, out.data() + 2 * done);
    EXPECT_TRUE(status.ok()) << status.ToString();
  }
  return out;
}

std::vector<float> MixAll(std::vector<AudioSource> sources, int64_t total, int chunk = 1600) {
  auto mixer = AudioMixer::Create(std::move(sources), total);
  EXPECT_TRUE(mixer.ok()) << mixer.status().ToString();
  if (!mixer.ok()) return {};
  return MixRange(**mixer, 0, total, chunk);
}

AudioSource Source(std::shared_ptr<const std::string> bytes, int64_t start = 0) {
  AudioSource source;
  source.bytes = std::move(bytes);
  source.path = "tracks[1].clips[0]";
  source.start_sample = start;
  return source;
}

// ---- limiter -----------------------------------------------------------------------------

std::vector<float> Limit(PeakLimiter& limiter, const std::vector<float>& in) {
  std::vector<float> out(in.size());
  limiter.Process(in.data(), out.data(), static_cast<int>(in.size() / 2));
  return out;
}

// Below the ceiling the limiter is a pure delay of kLookahead frames.
TEST(PeakLimiterTest, QuietInputIsDelayedUnchanged) {
  std::mt19937 random(1);
  std::uniform_real_distribution<float> sample(-0.89f, 0.89f);
  std::vector<float> in(2 * 20000);
  for (float& x : in) x = sample(random);
  PeakLimiter limiter;
  auto out = Limit(limiter, in);
  for (int i = 0; i < PeakLimiter::kLookahead; ++i) ASSERT_EQ(out[2 * i], 0.0f);
  for (size_t i = 2 * PeakLimiter::kLookahead; i < out.size(); ++i) {
    ASSERT_EQ(out[i], in[i - 2 * PeakLimiter::kLookahead]) << i;
  }
}

// One overshoot in a steady signal: the gain ramps down before it (never earlier than the
// lookahead), brings it to the ceiling, and ramps back up to exactly 1 within kHistory.
TEST(PeakLimiterTest, SpikeIsBroughtToTheCeilingWithSmoothRamps) {
  const int frames = 60000, spike = 10000;
  std::vector<float> in(2 * frames, 0.5f);
  in[2 * spike] = 2.0f;
  in[2 * spike + 1] = -1.5f;
  PeakLimiter limiter;
  auto out = Limit(limiter, in);
  const auto gain = [&](int frame) {
    return out[2 * (frame + PeakLimiter::kLookahead) + 1] / 0.5;  // right channel, 0.5 there
  };
  EXPECT_NEAR(out[2 * (spike + PeakLimiter::kLookahead)], PeakLimiter::kCeiling, 1e-6);
  EXPECT_LE(out[2 * (spike + PeakLimiter::kLookahead)], PeakLimiter::kCeiling);
  EXPECT_EQ(gain(spike - PeakLimiter::kLookahead - 1), 1.0);
  for (int f = spike - PeakLimiter::kLookahead; f < spike - 1; ++f) {
    ASSERT_LE(gain(f + 1), gain(f) + 1e-12) << f;  // down before the spike
  }
  for (int f = spike + 1; f < spike + PeakLimiter::kHistory; ++f) {
    ASSERT_GE(gain(f + 1), gain(f) - 1e-12) << f;  // up after it
  }
  EXPECT_LT(gain(spike + 1000), 1.0);  // release is slow
  EXPECT_EQ(gain(spike + PeakLimiter::kHistory), 1.0);
}

// Restarted kHistory frames before a point, the limiter gives exactly the output of a run from
// the start, on a loud random signal.
TEST(PeakLimiterTest, RestartBeforeHistoryReproducesASequentialRun) {
  std::mt19937 random(2);
  std::normal_distribution<float> sample(0, 0.7f);
  std::vector<float> in(2 * 200000);
  for (float& x : in) x = sample(random);
  PeakLimiter full;
  auto reference = Limit(full, in);
  const int at = 150000, from = at - PeakLimiter::kHistory;
  PeakLimiter restarted;
  std::vector<float> tail(in.begin() + 2 * from, in.end());
  auto out = Limit(restarted, tail);
  double peak = 0;
  for (int i = at; i < 200000 - PeakLimiter::kLookahead; ++i) {
    ASSERT_EQ(out[2 * (i - from + PeakLimiter::kLookahead)],
              reference[2 * (i + PeakLimiter::kLookahead)])
        << i;
    peak = std::max(peak, static_cast<double>(std::abs(reference[2 * i])));
  }
  EXPECT_LE(peak, PeakLimiter::kCeiling);
}

// ---- placement -------------------------------------------------------------------------

// A 48 kHz cosine (first sample 0.5) at start 0.5 s: exact silence before sample 24000, and the
// source's own samples from there.
TEST(AudioMixTest, ClipLandsOnItsExactStartSample) {
  TempDir dir;
  auto bytes =
      MakeAudio(dir, "cos48.wav", "aevalsrc=0.5*cos(2*PI*1000*t):s=48000:d=0.5", "-c:a pcm_f32le");
  auto out = MixAll({Source(bytes, 24000)}, kRate);
  ASSERT_EQ(out.size(), 2u * kRate);
  EXPECT_EQ(Peak(out, 0, 24000), 0.0);
  EXPECT_EQ(out[2 * 24000], 0.5f);
  EXPECT_EQ(out[2 * 24000 + 1], 0.5f);
  EXPECT_EQ(FirstAbove(out, 0.0), 24000);
  // 1 kHz at 48 kHz: sample 24000 + 48 is a full period later.
  EXPECT_NEAR(out[2 * (24000 + 48)], 0.5f, 1e-6);
}

// The same from a 44.1 kHz source: the resampler's delay is compensated (onset within ±2) and
// nothing leaks earlier than the filter's own reach.
TEST(AudioMixTest, ResampledClipLandsOnItsStartSample) {
  TempDir dir;
  auto bytes =
      MakeAudio(dir, "cos44.wav", "aevalsrc=0.5*cos(2*PI*1000*t):s=44100:d=0.5", "-c:a pcm_f32le");
  auto out = MixAll({Source(bytes, 24000)}, kRate);
  EXPECT_LT(Peak(out, 0, 24000 - 300), 1e-3);
  EXPECT_NEAR(static_cast<double>(FirstAbove(out, 0.25)), 24000, 2);
  // Past the onset it is the same cosine at 48 kHz.
  double error = 0;
  for (int i = 24000 + 500; i < 24000 + 20000; ++i) {
    error = std::max(error, std::abs(out[2 * i] - 0.5 * std::cos(2 * M_PI * 1000 * (i - 24000) /
                                                                 static_cast<double>(kRate))));
  }
  EXPECT_LT(error, 1e-3);
}

// Every format lands at the same place (encoder delay of MP3 and AAC compensated: left in, it
// would show up as a 1105- or 1024-sample late onset).
TEST(AudioMixTest, EveryFormatLandsOnItsStartSample) {
  TempDir dir;
  const std::pair<const char*, const char*> formats[] = {
      {"p.mp3", "-c:a libmp3lame -b:a 192k"},
      {"p.m4a", "-c:a aac -b:a 192k"},
      {"p.ogg", "-c:a libvorbis -q:a 6"},
      {"p.opus", "-c:a libopus -b:a 128k"},
      {"p.flac", "-c:a flac"},
  };
  for (const auto& [name, args] : formats) {
    auto bytes = MakeAudio(dir, name, "aevalsrc=0.5*cos(2*PI*500*t):s=44100:d=1", args);
    auto out = MixAll({Source(bytes, 24000)}, kRate);
    const int64_t onset = FirstAbove(out, 0.25);
    EXPECT_NEAR(static_cast<double>(onset), 24000, 4) << name;
  }
}

// ---- trim and loop -----------------------------------------------------------------------

// Clicks every 0.1 s at source sample 1470 + 4410 m (44.1 kHz). trim 0.25 s skips exactly
// 11025 samples, so the first click left is 3675 source samples = 4000 output samples in.
TEST(AudioMixTest, TrimSkipsExactlyRoundTrimTimesRate) {
  TempDir dir;
  for (const char* name : {"clicks.wav", "clicks.flac"}) {
    auto bytes = MakeAudio(dir, name, "aevalsrc=if(eq(mod(n\\,4410)\\,1470)\\,0.8\\,0):s=44100:d=2",
                           std::string_view(name).ends_with("wav") ? "-c:a pcm_s16le" : "");
    AudioSource source = Source(bytes, 1000);
    source.trim_s = 0.25;
    auto out = MixAll({source}, kRate);
    for (int m = 0; m < 8; ++m) {
      const int64_t want = 1000 + 4000 + 4800 * m;
      int64_t best = want - 20;
      for (int64_t i = want - 20; i <= want + 20; ++i) {
        if (std::abs(out[2 * i]) > std::abs(out[2 * best])) best = i;
      }
      EXPECT_NEAR(static_cast<double>(best), static_cast<double>(want), 1)
          << name << " click " << m;
    }
  }
  // At 48 kHz the trimmed source is copied sample for sample (after a 2 ms de-click ramp).
  auto bytes =
      MakeAudio(dir, "noise48.wav", "anoisesrc=sample_rate=48000:duration=1:seed=3:amplitude=0.3",
                "-c:a pcm_f32le");
  auto reference = MixAll({Source(bytes, 0)}, kRate);
  AudioSource trimmed = Source(bytes, 0);
  trimmed.trim_s = 0.25;
  auto out = MixAll({trimmed}, kRate / 2);
  for (int i = 96; i < kRate / 2 - 200; ++i) {
    ASSERT_EQ(out[2 * i], reference[2 * (i + 12000)]) << i;
  }
  EXPECT_LT(std::abs(out[0]), std::abs(reference[2 * 12000]) / 90 + 1e-9);
}

// A 1 s source holding 1000 whole cycles loops into one continuous sine: the seams cannot be
// found; a click at the start of a 0.7 s source repeats exactly every 33600 samples.
TEST(AudioMixTest, LoopRepeatsSeamlesslyAtTheExactPeriod) {
  TempDir dir;
  auto sine =
      MakeAudio(dir, "sine.flac", "sine=frequency=1000:sample_rate=44100:duration=1", "-c:a flac");
  AudioSource looped = Source(sine, 4800);
  looped.loop = true;
  looped.length_samples = 3 * kRate + kRate / 2;
  auto out = MixAll({looped}, 4 * kRate);
  double worst = 0;
  for (int64_t i = 4800 + 500; i < 4800 + 3 * kRate + kRate / 2 - 200; ++i) {
    const double want = 0.125 * std::sin(2 * M_PI * 1000 * static_cast<double>(i - 4800) / kRate);
    worst = std::max(worst, std::abs(out[2 * i] - want));
  }
  EXPECT_LT(worst, 1e-3);  // across the seams at 1 s, 2 s and 3 s into the clip
  EXPECT_EQ(Peak(out, 4800 + 3 * kRate + kRate / 2, 4 * kRate), 0.0);  // the clip ended

  auto clicks = MakeAudio(dir, "click.wav", "aevalsrc=if(eq(n\\,0)\\,0.8\\,0):s=44100:d=0.7",
                          "-c:a pcm_s16le");
  AudioSource repeated = Source(clicks, 0);
  repeated.loop = true;
  auto clicked = MixAll({repeated}, 3 * kRate);
  for (int m = 0; m < 4; ++m) {
    const int64_t want = 33600 * m;
    int64_t best = std::max<int64_t>(0, want - 30);
    for (int64_t i = best; i <= want + 30; ++i) {
      if (std::abs(clicked[2 * i]) > std::abs(clicked[2 * best])) best = i;
    }
    EXPECT_EQ(best, want) << "repeat " << m;
    EXPECT_GT(std::abs(clicked[2 * best]), 0.5) << "repeat " << m;
  }
}

// A loop with a trim point ends its pass mid-cycle here: the seam crossfades into the audio just
// before the trim point, so no sample jumps more than the sine's own steepest step (a hard seam
// would jump by about 0.5). A clip that cuts its source short ends on a 2 ms ramp, not a step.
TEST(AudioMixTest, LoopSeamsAndCutsDoNotClick) {
  TempDir dir;
  auto bytes = MakeAudio(dir, "seam.wav", "aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=0.5123",
                         "-c:a pcm_f32le");
  AudioSource looped = Source(bytes, 0);
  looped.loop = true;
  looped.trim_s = 0.05;
  auto out = MixAll({looped}, 2 * kRate);
  const double steepest = 0.5 * 2 * M_PI * 1000 / kRate;
  double largest_step = 0;
  for (int i = 1; i < 2 * kRate - 96; ++i) {
    largest_step =
        std::max(largest_step, static_cast<double>(std::abs(out[2 * i] - out[2 * i - 2])));
  }
  EXPECT_LT(largest_step, steepest * 1.05);
  EXPECT_GT(Rms(out, 30000, 40000), 0.3);  // still playing in the second pass

  AudioSource cut = Source(bytes, 0);
  cut.length_samples = kRate / 4 + 11;
  auto ended = MixAll({cut}, kRate / 2);
  const int64_t end = kRate / 4 + 11;
  EXPECT_LE(std::abs(ended[2 * (end - 1)]), 0.5 / 97 + 1e-6);
  EXPECT_GT(Peak(ended, end - 200, end - 100), 0.4);
  EXPECT_EQ(Peak(ended, end, kRate / 2), 0.0);
}

// ---- gains -------------------------------------------------------------------------------

// Fades are linear gain ramps: RMS over 10 ms windows follows t / fadeIn and (end − t) / fadeOut,
// where the end is the clip's end clipped to the video's end.
TEST(AudioMixTest, FadesAreLinearRamps) {
  TempDir dir;
  auto bytes =
      MakeAudio(dir, "tone.wav", "aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=4", "-c:a pcm_f32le");
  AudioSource source = Source(bytes, 0);
  source.fade_in_s = 1;
  source.fade_out_s = 0.5;
  source.length_samples = 3 * kRate;  // the video is only 2 s long: the fade ends there
  auto out = MixAll({source}, 2 * kRate);
  const double full = 0.5 / std::sqrt(2.0);
  for (double t : {0.1, 0.25, 0.5, 0.75, 0.9}) {
    const auto at = static_cast<int64_t>(t * kRate);
    EXPECT_NEAR(Rms(out, at - 240, at + 240), full * t, full * 0.02) << "fade in at " << t;
  }
  EXPECT_NEAR(Rms(out, static_cast<int64_t>(1.2 * kRate), static_cast<int64_t>(1.4 * kRate)), full,
              full * 0.01);
  for (double t : {1.6, 1.75, 1.9}) {
    const auto at = static_cast<int64_t>(t * kRate);
    EXPECT_NEAR(Rms(out, at - 240, at + 240), full * (2 - t) / 0.5, full * 0.02)
        << "fade out at " << t;
  }
  EXPECT_LT(Peak(out, 2 * kRate - 48, 2 * kRate), 0.5 * 48.0 / (0.5 * kRate) + 1e-6);
}

TEST(AudioMixTest, VolumeHalfHalvesEverySample) {
  TempDir dir;
  auto bytes = MakeAudio(dir, "n.mp3", "anoisesrc=sample_rate=44100:duration=1:amplitude=0.4",
                         "-c:a libmp3lame");
  auto full = MixAll({Source(bytes, 100)}, kRate);
  AudioSource half = Source(bytes, 100);
  half.volume = 0.5;
  auto halved = MixAll({half}, kRate);
  ASSERT_EQ(full.size(), halved.size());
  EXPECT_GT(Peak(full, 0, kRate), 0.2);
  for (size_t i = 0; i < full.size(); ++i) ASSERT_EQ(halved[i], full[i] * 0.5f) << i;
}

// An animated volume replaces `volume`: here 1 for the first half second, then a ramp to 0.
TEST(AudioMixTest, VolumeCurveReplacesVolume) {
  TempDir dir;
  auto bytes = MakeAudio(dir, "tone.flac", "aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=2", "");
  AudioSource source = Source(bytes, 0);
  source.volume = 4;  // ignored
  source.volume_curve = [](double t) { return t < 0.5 ? 1.0 : std::max(0.0, 1.5 - 2 * t); };
  auto out = MixAll({source}, kRate);
  const double full = 0.5 / std::sqrt(2.0);
  EXPECT_NEAR(Rms(out, 4800, 19200), full, full * 0.01);
  EXPECT_NEAR(Rms(out, 30000 - 240, 30000 + 240), full * (1.5 - 2 * 0.625), full * 0.03);
  EXPECT_NEAR(Rms(out, 36000 - 240, 36000 + 240), full * (1.5 - 2 * 0.75), full * 0.03);
  EXPECT_EQ(Peak(out, 36000 + 480, kRate), 0.0);
}

// ---- limiter -----------------------------------------------------------------------------

// Two full-scale sources add up to peaks of 2: the output stays within the -1 dBFS ceiling,
// with no plateau of repeated extreme values (not hard-clipped) and the waveform's sign and
// shape kept (not wrapped).
TEST(AudioMixTest, LoudMixIsLimitedNotClipped) {
  TempDir dir;
  auto a = MakeAudio(dir, "a.wav", "aevalsrc=0.999*sin(2*PI*220*t):s=48000:d=2", "-c:a pcm_f32le");
  auto b = MakeAudio(dir, "b.wav", "aevalsrc=0.999*sin(2*PI*330*t):s=48000:d=2", "-c:a pcm_f32le");
  auto out = MixAll({Source(a, 0), Source(b, 0)}, 2 * kRate);
  const double peak = Peak(out, 0, 2 * kRate);
  EXPECT_LE(peak, PeakLimiter::kCeiling + 1e-6);
  EXPECT_GT(peak, 0.85);
  int longest_run = 0, run = 0;
  for (int i = 1; i < 2 * kRate; ++i) {
    run = std::abs(out[2 * i]) >= peak - 1e-6 && out[2 * i] == out[2 * (i - 1)] ? run + 1 : 0;
    longest_run = std::max(longest_run, run);
  }
  EXPECT_EQ(longest_run, 0);
  // out = g × (a + b) with a smooth gain g in (0, 1]: it moves by less than 1/200 a sample.
  double previous_gain = -1;
  int previous = 0;
  for (int i = 0; i < 2 * kRate; ++i) {
    const double t = static_cast<double>(i) / kRate;
    const double sum = 0.999 * (std::sin(2 * M_PI * 220 * t) + std::sin(2 * M_PI * 330 * t));
    if (std::abs(sum) < 0.2) continue;
    const double gain = out[2 * i] / sum;
    ASSERT_GT(gain, 0.3) << i;
    ASSERT_LE(gain, 1 + 1e-5) << i;
    if (previous_gain >= 0) {
      EXPECT_LT(std::abs(gain - previous_gain) / (i - previous), 0.005) << i;
    }
    previous_gain = gain;
    previous = i;
  }
}

// A mix that never reaches the ceiling passes bit-exact: what ffmpeg itself decodes.
TEST(AudioMixTest, QuietSourceIsBitExact) {
  TempDir dir;
  auto bytes =
      MakeAudio(dir, "quiet.wav", "anoisesrc=sample_rate=48000:duration=1.5:seed=11:amplitude=0.6",
                "-c:a pcm_s16le -ac 2");
  const std::vector<float> reference = testing::DecodeWithFfmpeg(dir, "quiet.wav", 2);
  ASSERT_EQ(reference.size(), 2u * 72000);
  ASSERT_LT(Peak(reference, 0, 72000), PeakLimiter::kCeiling);
  auto out = MixAll({Source(bytes, 0)}, 72000);
  ASSERT_EQ(out, reference);
}

// ---- seeking, memory, errors -------------------------------------------------------------

// `render --frames A:B` starts the mix mid-timeline: the samples equal those of a run from the
// start, with resampling, loop + trim, fades, a lossy codec and the limiter engaged.
TEST(AudioMixTest, MidTimelineStartEqualsSequentialRun) {
  TempDir dir;
  auto music =
      MakeAudio(dir, "m.mp3", "anoisesrc=color=pink:sample_rate=44100:duration=1.3:amplitude=0.5",
                "-c:a libmp3lame -b:a 160k");
  auto tone = MakeAudio(dir, "t.ogg", "aevalsrc=0.9*sin(2*PI*300*t):s=32000:d=5", "-c:a libvorbis");
  auto loud = MakeAudio(dir, "l.flac", "aevalsrc=0.95*sin(2*PI*150*t):s=48000:d=6", "");
  std::vector<AudioSource> sources;
  AudioSource a = Source(music, 1000);
  a.loop = true;
  a.trim_s = 0.2;
  sources.push_back(a);
  AudioSource b = Source(tone, kRate);
  b.fade_in_s = 0.5;
  b.fade_out_s = 1;
  sources.push_back(b);
  AudioSource c = Source(loud, 2 * kRate + 7);
  c.volume = 1.5;
  sources.push_back(c);
  const int64_t total = 6 * kRate;
  auto sequential = MixAll(sources, total, 1601);
  ASSERT_GT(Peak(sequential, 3 * kRate, 4 * kRate), 0.8);  // the limiter is working there

  for (int64_t first : {int64_t{3} * kRate, int64_t{3} * kRate + 17, int64_t{5} * kRate + 123}) {
    auto mixer = AudioMixer::Create(sources, total);
    ASSERT_TRUE(mixer.ok());
    const int64_t count = std::min<int64_t>(kRate, total - first);
    auto part = MixRange(**mixer, first, count, 1024);
    for (int64_t i = 0; i < 2 * count; ++i) {
      ASSERT_EQ(part[i], sequential[2 * first + i]) << "from " << first << " at " << i / 2;
    }
  }
}

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// A 10-minute source is decoded as the mix advances, never ahead: decode counters follow the
// mix position and resident memory stays flat (the decoded track would be 230 MB).
TEST(AudioMixTest, LongSourceKeepsMemoryFlat) {
  TempDir dir;
  auto bytes =
      MakeAudio(dir, "long.wav", "anoisesrc=sample_rate=16000:duration=600:seed=5:amplitude=0.001",
                "-c:a pcm_s16le");
  auto seconds = ProbeAudioDurationSeconds(*bytes);
  ASSERT_TRUE(seconds.ok()) << seconds.status().ToString();
  EXPECT_DOUBLE_EQ(*seconds, 600.0);
  const int64_t total = int64_t{600} * kRate;
  auto mixer = AudioMixer::Create({Source(bytes, 0)}, total);
  ASSERT_TRUE(mixer.ok());
  std::vector<float> block(2 * 1600);
  const int64_t decoded_before = (*mixer)->stats().decoded_source_samples;  // probing the length
  int64_t rss_after_first_minute = 0;
  int64_t max_buffered = 0;
  for (int64_t at = 0; at < total; at += 1600) {
    ASSERT_TRUE((*mixer)->Mix(at, 1600, block.data()).ok());
    const AudioMixerStats stats = (*mixer)->stats();
    max_buffered = std::max(max_buffered, stats.buffered_frames);
    // Never more than half a second of source decoded ahead of the mix.
    ASSERT_LE(stats.decoded_source_samples - decoded_before, (at + 1600) / 3 + 8000) << at;
    if (at == 60 * kRate) rss_after_first_minute = ResidentBytes();
  }
  EXPECT_LT(max_buffered, 64 * 1024);
  EXPECT_LT(ResidentBytes() - rss_after_first_minute, 16 << 20);
}

TEST(AudioMixTest, UndecodableSourceNamesTheClip) {
  AudioSource source;
  source.bytes = std::make_shared<const std::string>(4096, 'x');
  source.path = "tracks[5].clips[0]";
  auto mixer = AudioMixer::Create({source}, kRate);
  ASSERT_FALSE(mixer.ok());
  EXPECT_EQ(mixer.status().code(), ErrorCode::kAssetUnavailable);
  EXPECT_NE(mixer.status().message().find("tracks[5].clips[0]"), std::string::npos)
      << mixer.status().message();
  ASSERT_EQ(mixer.status().details().size(), 1u);
  EXPECT_EQ(mixer.status().details()[0].path, "tracks[5].clips[0]");

  auto probe = ProbeAudioDurationSeconds("definitely not audio");
  ASSERT_FALSE(probe.ok());
  EXPECT_EQ(probe.status().code(), ErrorCode::kAssetUnavailable);
}

}  // namespace
}  // namespace vg::render

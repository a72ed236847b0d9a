// The audio of a render: every audio clip decoded, trimmed, looped, resampled to 48 kHz stereo,
// shaped (volume or animated volume, fades), summed in float and passed through a lookahead
// peak limiter, block by block as the video advances (never a whole track in memory).
// Timing follows TEMPLATE-FORMAT.md: a clip's first sample lands at round(start × 48000).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace vg::render {

inline constexpr int kAudioSampleRate = 48000;
inline constexpr int kAudioChannels = 2;

// One audio clip, resolved by the timeline.
struct AudioSource {
  std::shared_ptr<const std::string> bytes;  // the encoded file (WAV, MP3, AAC/M4A, OGG/Vorbis,
                                             // OGG/Opus, FLAC)
  std::string path;                       // the clip's JSON path, for errors ("tracks[5].clips[0]")
  int64_t start_sample = 0;               // round(start × 48000) on the video timeline
  std::optional<int64_t> length_samples;  // from duration/end; nullopt: source once from trim,
                                          // or with loop to the end of the video
  double trim_s = 0, volume = 1, fade_in_s = 0, fade_out_s = 0;
  bool loop = false;
  std::function<double(double clip_time_s)> volume_curve;  // when set, gain at a clip time
                                                           // (animated volume), replaces volume
};

// Length of the audio in seconds, read without decoding all of it when the container
// knows it (decode-count otherwise). kAssetUnavailable with a clear reason for non-audio
// bytes, truncated files, no audio stream. Thread-safe (no shared state).
Result<double> ProbeAudioDurationSeconds(const std::string& bytes);

// PeakLimiter: the lookahead peak limiter on the sum of the mix (48 kHz stereo float). Every
// output sample stays within the ceiling (-1 dBFS) by turning the gain down smoothly before a
// peak arrives (attack over kAttackFrames, after kLookahead frames of lookahead) and back up
// slowly after it (release); the gain is exactly 1 wherever no sample within reach exceeds the
// ceiling, so quiet mixes pass bit-exact. Loud mixes are limited, never wrapped or clipped.
// The gain at frame n depends only on input frames [n − kHistory, n + kLookahead], never on
// older state, so a limiter started kHistory frames before n gives the same output at n as one
// that ran from the start (what makes `render --frames A:B` match a full render).
// Not thread-safe: one owner (the mixer).
class PeakLimiter {
 public:
  static constexpr double kCeiling = 0.89125093813374556;  // -1 dBFS
  static constexpr int kHoldFrames = 48;        // 1 ms either side of a peak at full reduction
  static constexpr int kAttackFrames = 240;     // 5 ms: a full-scale ramp down before a peak
  static constexpr int kReleaseFrames = 38400;  // 0.8 s: a full-scale ramp back up after it
  // Output frame n leaves Process once input frame n + kLookahead has gone in.
  static constexpr int kLookahead = 2 * kHoldFrames + kAttackFrames;
  static constexpr int kHistory = 2 * kHoldFrames + kReleaseFrames;

  PeakLimiter();

  // Forgets everything: the input before the next Process call counts as silence.
  void Reset();

  // Takes `count` interleaved stereo frames and writes `count` limited frames, delayed by
  // kLookahead: the first kLookahead frames after Reset are the silence before the input.
  // `in` and `out` may be the same buffer. Input must be finite.
  void Process(const float* in, float* out, int count);

 private:
  struct Candidate {
    int64_t index;
    double gain;
  };
  double SmoothedGain();

  int64_t pushed_ = 0;            // input frames processed since Reset
  std::vector<float> delay_;      // input frames awaiting output (ring)
  std::deque<Candidate> hold_;    // sliding minimum of the required gain, 2 × hold + 1
  std::vector<double> held_;      // the held gain per frame (ring)
  std::deque<Candidate> attack_;  // candidates ramping down ahead of their frame
  bool has_release_ = false;
  Candidate release_{0, 1.0};  // the candidate ramping up behind its frame
  std::vector<double> gain_;   // per-frame gain before smoothing (ring)
  int reduced_in_window_ = 0;  // frames < 1 in the smoothing window
};

// Counters for tests and metrics.
struct AudioMixerStats {
  int64_t decoded_source_samples = 0;  // by all decoders since Create (including skipped ones)
  int64_t buffered_frames = 0;         // capacity of the per-source buffers now
};

// Mixes every source into one 48 kHz stereo float signal for the video timeline
// [0, total_samples). Not thread-safe: one render's encoder thread owns it.
class AudioMixer {
 public:
  // Opens every source (kAssetUnavailable naming the clip path when one is not decodable audio;
  // kInvalidArgument for values out of range). A looping source is decoded once here to count
  // its exact length. Sources are kept; `bytes` are shared, not copied.
  static Result<std::unique_ptr<AudioMixer>> Create(std::vector<AudioSource> sources,
                                                    int64_t total_samples);
  ~AudioMixer();
  AudioMixer(const AudioMixer&) = delete;
  AudioMixer& operator=(const AudioMixer&) = delete;

  // Writes samples [first_sample, first_sample + count) interleaved L,R into out
  // (2 × count floats), limited to [-1, 1]. Calls normally advance sequentially; the first
  // call may start anywhere (for `render --frames A:B`), so sources seek to the exact sample,
  // and the output equals that of a run from the start. Samples at or after total_samples are
  // silence. kAssetUnavailable naming the clip path if a source fails while decoding.
  Status Mix(int64_t first_sample, int count, float* out);

  AudioMixerStats stats() const;

 private:
  struct Voice;
  AudioMixer() = default;
  void Reposition(int64_t first_sample);
  Status MixBlock(int64_t first_sample, int count, float* sum);

  int64_t total_samples_ = 0;
  std::vector<Voice> voices_;
  PeakLimiter limiter_;
  int64_t next_output_ = -1;  // the sample the next sequential Mix call starts at
  int64_t mixed_until_ = 0;   // the next timeline sample to mix into the limiter
  std::vector<float> block_;  // summed input of the limiter
  std::vector<float> fifo_;   // the last limited block; frames from fifo_offset_ on are due
  size_t fifo_offset_ = 0;
  std::vector<float> voice_buffer_;
};

}  // namespace vg::render

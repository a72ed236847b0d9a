// The source side of the audio mix. AudioDecoder: one encoded audio file held in memory (WAV,
// MP3, AAC/M4A, Ogg Vorbis, Ogg Opus, FLAC, anything libavformat reads) decoded to interleaved
// stereo float at the file's own sample rate, with sample-exact positions and seeks. Position 0 is
// the first sample the listener hears: codec priming (MP3 and AAC encoder delay, Opus pre-skip) is
// already removed, and so is the end padding the container declares. Mono plays on both channels at
// full level; more than two channels are downmixed to stereo. AudioClipStream: one clip's source
// from its trim point, once or looped, resampled to 48 kHz. FFmpeg stays inside audio_decoder.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vg::render {

// What the container says about an audio file, read without decoding it all when it can be.
struct AudioFileInfo {
  int sample_rate = 0;
  int channels = 0;            // in the file (the decoder always gives stereo)
  std::string codec;           // "mp3", "aac", "vorbis", ...
  int64_t length_samples = 0;  // playable samples at sample_rate
};

// Not thread-safe: one owner at a time. Open keeps `bytes` alive while the decoder exists.
class AudioDecoder {
 public:
  // Opens and checks the file (an audio stream exists and its first frame decodes).
  // kAssetUnavailable with the reason otherwise (not audio, no audio stream, undecodable).
  static Result<std::unique_ptr<AudioDecoder>> Open(std::shared_ptr<const std::string> bytes);
  // The same over bytes the caller keeps alive, unchanged, for the decoder's whole life.
  static Result<std::unique_ptr<AudioDecoder>> OpenUnowned(std::string_view bytes);
  ~AudioDecoder();
  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;

  int sample_rate() const;
  int channels() const;  // the file's channel count
  const std::string& codec() const;

  // The length as the container declares it (in samples), when the container states it
  // exactly (WAV, FLAC, MP4/M4A edit lists, Ogg granules); nullopt for estimates (MP3, ADTS).
  std::optional<int64_t> container_length() const;

  // The playable length in samples: the container's length when it states it exactly (checked
  // by decoding only its last second: kAssetUnavailable when the data stops well short of it),
  // else counted: an MP3 from its packets and LAME header without decoding (and checked against
  // the frame count its Xing header declares), other formats by CountSamples(). Leaves the
  // decoder anywhere: Seek before reading.
  Result<int64_t> ProbeLength();

  // Reads the whole file from the start, counting what the decoder delivers (memory stays flat:
  // frames are dropped as they come). Leaves the decoder at the end.
  Result<int64_t> CountSamples();

  // The next Read returns sample `position` first (position >= 0; past the end, Read returns
  // 0). Exact to the sample for every format: a seek lands before the target (with the codec's
  // pre-roll), then decodes and discards up to it; near the start it decodes from the start.
  Status Seek(int64_t position);

  // Writes up to `max_frames` stereo frames (2 × max_frames floats, L,R) into `out` and
  // returns how many were written; 0 only at the end of the file.
  Result<int> Read(float* out, int max_frames);

  // The position of the next sample Read returns.
  int64_t position() const;
  // Source samples decoded since Open (including discarded ones), for tests and metrics.
  int64_t decoded_samples() const;

 private:
  struct State;
  explicit AudioDecoder(std::unique_ptr<State> state);
  static Result<std::unique_ptr<AudioDecoder>> OpenView(std::string_view bytes,
                                                        std::shared_ptr<const std::string> owner);
  std::unique_ptr<State> state_;
};

// Probes `bytes` (borrowed for the call): rate, channels and ProbeLength(). kAssetUnavailable
// for non-audio bytes, no audio stream, undecodable or truncated files.
Result<AudioFileInfo> ProbeAudioFile(std::string_view bytes);

// AudioClipStream: the source of one audio clip as 48 kHz stereo float, indexed from the clip's
// first sample. It plays the source from its trim point once (then silence), or repeats it
// without a gap (loop), resampled with soxr at very high quality when the source rate differs.
// Any sample can be sought and the result is the same as reading there sequentially: the
// resampler restarts on its own phase grid a little before the target and its output up to the
// target is dropped. Memory is a few blocks, whatever the source's length.
// Not thread-safe: one owner (the mixer) at a time.
class AudioClipStream {
 public:
  // `trim_s` >= 0 seconds skipped at the source's start (exactly round(trim × rate) samples).
  // A loop needs the source's exact length, so its source is decoded once here to count it.
  // kAssetUnavailable with the reason when the bytes are not decodable audio.
  static Result<std::unique_ptr<AudioClipStream>> Create(std::shared_ptr<const std::string> bytes,
                                                         double trim_s, bool loop);
  ~AudioClipStream();
  AudioClipStream(const AudioClipStream&) = delete;
  AudioClipStream& operator=(const AudioClipStream&) = delete;

  // Samples of one pass of the source from the trim point at 48 kHz (rounded up): the clip's
  // natural length without loop; with loop, one repeat.
  int64_t pass_length() const;
  int source_rate() const;
  // Source samples skipped by the trim.
  int64_t trim_samples() const;

  // The next Read starts at clip sample `index` (>= 0).
  Status Seek(int64_t index);
  // Writes `count` stereo frames (2 × count floats) into `out`; silence after the end of a
  // source that does not loop.
  Status Read(float* out, int count);
  int64_t position() const { return position_; }

  // Source samples decoded so far and frames held in buffers, for tests and metrics.
  int64_t decoded_samples() const { return decoder_->decoded_samples(); }
  int64_t buffered_frames() const;

 private:
  AudioClipStream() = default;
  Status Restart(int64_t input_index, int64_t output_index);
  Status Feed();
  Status ResetResampler();

  std::unique_ptr<AudioDecoder> decoder_;
  struct Resampler;
  std::unique_ptr<Resampler> resampler_;  // null when the source is at 48 kHz
  int rate_ = 0;
  int64_t trim_ = 0;           // source samples
  int64_t source_length_ = 0;  // playable source samples after the trim (one loop period)
  int64_t seam_ = 0;           // loop crossfade length in source samples (0: none)
  bool loop_ = false;
  int64_t input_step_ = 1;     // the resampler's phase grid: input_step_ source samples
  int64_t output_step_ = 1;    //   make exactly output_step_ output samples
  int64_t input_index_ = 0;    // next sample of the (looped) source fed to the resampler
  bool input_ended_ = false;   // the source ended (no loop) and the resampler is drained
  std::vector<float> output_;  // resampled frames; the one at output_offset_ is at position_
  size_t output_offset_ = 0;   // frames of output_ already consumed
  int64_t position_ = 0;       // clip index of the next frame Read returns
  std::vector<float> input_block_;
  std::vector<float> seam_block_;
};

}  // namespace vg::render

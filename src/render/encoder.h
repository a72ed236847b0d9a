// Encoder: H.264 (libx264 via libavcodec, yuv420p, BT.709 tagged, limited range) and AAC-LC
// 48 kHz stereo into MP4 with the moov atom first. Bit-exact flags keep the output
// deterministic for a given build and thread count.
// Two sides, each used by one thread at a time: the video side (EncodeVideo, WriteAudio,
// Finish: the pipeline's encoder thread, which alone writes the file) and the audio side
// (EncodeAudio, FlushAudio: the audio thread, which only encodes). The two may run
// concurrently; AcquireFrame/ReleaseFrame are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "base/rational.h"
#include "base/result.h"
#include "render/color_convert.h"
#include "tmpl/template.h"

namespace vg::render {

struct EncoderSettings {
  std::string path;  // the file written (the caller renames it into place)
  int width = 0, height = 0;
  Rational fps{30, 1};
  tmpl::Quality quality = tmpl::Quality::kStandard;
  std::optional<int> crf;  // overrides the preset's CRF
  int threads = 1;         // x264's threads, never the core count (determinism)
  bool audio = false;
};

// The x264 preset and CRF of a quality preset (TEMPLATE-FORMAT.md).
const char* X264Preset(tmpl::Quality quality);
int DefaultCrf(tmpl::Quality quality);

// A video frame's planes, owned by the encoder's pool.
struct VideoFrame;

// AAC packets encoded but not written yet, in the order the encoder produced them. Movable;
// frees what it still holds.
class AudioPackets {
 public:
  AudioPackets();
  ~AudioPackets();
  AudioPackets(AudioPackets&&) noexcept;
  AudioPackets& operator=(AudioPackets&&) noexcept;

 private:
  friend class Encoder;
  struct List;
  std::unique_ptr<List> list_;
};

class Encoder {
 public:
  static Result<std::unique_ptr<Encoder>> Open(const EncoderSettings& settings);
  ~Encoder();

  // A frame to fill (from a small pool); hand it back with EncodeVideo or ReleaseFrame.
  // Thread-safe: render threads take frames while the encoder thread encodes.
  VideoFrame* AcquireFrame();
  void ReleaseFrame(VideoFrame* frame);
  static YuvPlanes Planes(VideoFrame* frame);

  // Video side. Encodes the next frame (presentation index = number of frames sent before
  // it), writes its packets, and returns the frame to the pool.
  Status EncodeVideo(VideoFrame* frame);
  // Video side: writes audio packets from the audio side, in their order.
  Status WriteAudio(AudioPackets& packets);
  // Video side: flushes the video encoder and writes the trailer (moves the moov atom to the
  // front). With audio, FlushAudio's packets must have been written before.
  Status Finish();

  // Audio side. Encodes `count` interleaved stereo samples at 48 kHz that follow the previous
  // ones; the packets this completes are appended to `out`.
  Status EncodeAudio(const float* interleaved, int count, AudioPackets& out);
  // Audio side, after the last samples: encodes what is pending and drains the encoder.
  Status FlushAudio(AudioPackets& out);

 private:
  struct State;
  explicit Encoder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace vg::render

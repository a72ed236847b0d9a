// Encoder: H.264 (libx264 via libavcodec, yuv420p, BT.709 tagged, limited range) and AAC-LC
// 48 kHz stereo into MP4 with the moov atom first. Frames arrive in order from one thread (the
// pipeline's encoder thread); not thread-safe. Bit-exact flags keep the output deterministic
// for a given build and thread count.
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

class Encoder {
 public:
  static Result<std::unique_ptr<Encoder>> Open(const EncoderSettings& settings);
  ~Encoder();

  // A frame to fill (from a small pool); hand it back with EncodeVideo or ReleaseFrame.
  // Thread-safe: render threads take frames while the encoder thread encodes.
  VideoFrame* AcquireFrame();
  void ReleaseFrame(VideoFrame* frame);
  static YuvPlanes Planes(VideoFrame* frame);

  // Encodes the next frame (presentation index = number of frames sent before it) and
  // returns it to the pool.
  Status EncodeVideo(VideoFrame* frame);
  // Appends `count` interleaved stereo samples at 48 kHz.
  Status EncodeAudio(const float* interleaved, int count);
  // Flushes both encoders and writes the trailer (moves the moov atom to the front).
  Status Finish();

 private:
  struct State;
  explicit Encoder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace vg::render

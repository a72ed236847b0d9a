// The render engine's public face: a validated template → an MP4 (RenderVideo), a PNG of one
// frame (RenderStill), and the poster thumbnail. Used by `vidgen render` and the worker.
// No Cairo or FFmpeg types here. Each call is independent; calls may run concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "assets/asset_cache.h"
#include "base/rational.h"
#include "base/result.h"
#include "tmpl/template.h"

namespace vg::render {

struct Progress {
  FrameIndex frames_done = 0;
  FrameIndex frames_total = 0;
  double fps = 0;       // frames per second so far
  double eta_seconds = 0;
};

struct RenderOptions {
  // The MP4 to write. It is written to a temporary name beside it and renamed when complete;
  // on failure or cancel no file is left and an existing file is untouched.
  std::string output_path;
  // Only frames first <= f < end (`render --frames A:B`); audio is cut to match.
  std::optional<std::pair<FrameIndex, FrameIndex>> frames;
  // Also write the poster JPEG (640 px wide, frame min(1 s, half the video)) here.
  std::string poster_path;
  // Render threads and x264 threads; 0 = the number of cores. Output bytes depend on it.
  int threads = 0;
  // Called on the calling thread after each frame is encoded (callers throttle display).
  std::function<void(const Progress&)> on_progress;
  // Polled between frames; when it turns true the render stops with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct RenderResult {
  FrameIndex frames = 0;
  double duration_seconds = 0;
  int width = 0, height = 0;
  Rational fps;
  bool has_audio = false;
  int64_t size_bytes = 0;
  double elapsed_seconds = 0;
};

// Renders the video. Errors: kAssetUnavailable / kLimitExceeded (with the clip's path in
// details), kInvalidTemplate (length undetermined), kInvalidArgument (frame range outside the
// video), kRenderFailed (encoder, disk), kCancelled.
Result<RenderResult> RenderVideo(const tmpl::Template& tmpl, assets::AssetCache& assets,
                                 const tmpl::Limits& limits, const RenderOptions& options);

// Writes frame `frame` as a PNG, exactly as the video draws it (before colour conversion).
Status RenderStill(const tmpl::Template& tmpl, assets::AssetCache& assets,
                   const tmpl::Limits& limits, FrameIndex frame, const std::string& png_path);

// The poster frame of a video of `frame_count` frames: min(1 s, half the video).
FrameIndex PosterFrame(FrameIndex frame_count, Rational fps);

}  // namespace vg::render

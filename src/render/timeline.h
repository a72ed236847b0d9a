// Timeline: a validated template turned into what the frame renderer needs: exact frame spans
// per clip (integer frames from the rounding rule of TEMPLATE-FORMAT.md, never an accumulated
// float time), compiled animation curves, prepared layers (assets loaded and decoded once,
// text laid out once), and the audio sources with their sample positions.
// Built once per render on one thread; afterwards immutable and shared read-only by all
// render threads.
#pragma once

#include <memory>
#include <vector>

#include "assets/asset_cache.h"
#include "base/rational.h"
#include "base/result.h"
#include "render/animation.h"
#include "render/audio_mix.h"
#include "render/layer.h"
#include "tmpl/template.h"

namespace vg::render {

class FontRegistry;

struct TimelineClip {
  const tmpl::Clip* clip = nullptr;  // owned by the Timeline's template
  FrameIndex first_frame = 0;        // visible on first_frame <= f < end_frame
  FrameIndex end_frame = 0;
  std::vector<AnimationCurve> curves;
  std::unique_ptr<Layer> layer;
};

class Timeline {
 public:
  // Loads every asset (errors name the clip: asset_unavailable, limit_exceeded) and prepares
  // layers. `limits.duration_s` also bounds lengths that come from audio sources. Layers are
  // prepared by up to `threads` threads at once (they are independent: decoding, fitting,
  // text layout); the result, and the error when several clips fail (the first in paint
  // order), do not depend on it.
  static Result<std::unique_ptr<Timeline>> Build(tmpl::Template tmpl, assets::AssetCache& assets,
                                                 const tmpl::Limits& limits, int threads = 1);
  ~Timeline();

  const tmpl::Template& tmpl() const { return tmpl_; }
  int width() const { return tmpl_.output.width; }
  int height() const { return tmpl_.output.height; }
  Rational fps() const { return tmpl_.output.fps; }
  FrameIndex frame_count() const { return frame_count_; }
  double duration_seconds() const { return IndexToSeconds(frame_count_, fps()); }
  // Visual clips in paint order (track order, then clip order).
  const std::vector<TimelineClip>& clips() const { return clips_; }
  // Audio clips, positioned in samples at kAudioSampleRate.
  const std::vector<AudioSource>& audio() const { return audio_; }
  // The sample of the audio timeline where frame f starts: round(f / fps × 48000).
  int64_t FrameToSample(FrameIndex f) const;

 private:
  Timeline() = default;
  tmpl::Template tmpl_;
  FrameIndex frame_count_ = 0;
  std::unique_ptr<FontRegistry> fonts_;
  std::vector<TimelineClip> clips_;
  std::vector<AudioSource> audio_;
};

// The state of a visual clip on frame f (f inside its span): animations, then transitions.
ClipState EvaluateClip(const Timeline& timeline, const TimelineClip& clip, FrameIndex f);

}  // namespace vg::render

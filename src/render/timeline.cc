// Timeline construction: lengths (top-level duration, else the latest known clip end, with
// audio sources measured), frame spans, animation curves and layers.
#include "render/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "render/text_raster.h"

namespace vg::render {
namespace {

using tmpl::Property;

bool HasAnimation(const tmpl::Clip& clip, std::initializer_list<Property> properties) {
  for (const auto& a : clip.animations) {
    for (Property p : properties) {
      if (a.property == p) return true;
    }
  }
  return false;
}

// The largest scale factor a clip reaches (static scale, scale/scaleX/scaleY animations).
double MaxScale(const tmpl::Clip& clip, const std::vector<AnimationCurve>& curves) {
  double scale = clip.visual.scale, axis = 1;
  for (const auto& c : curves) {
    if (c.property() == Property::kScale) scale = std::max(scale, c.MaxValue());
    if (c.property() == Property::kScaleX || c.property() == Property::kScaleY) {
      axis = std::max(axis, c.MaxValue());
    }
  }
  return std::max(0.0, scale * axis);
}

Status ClipError(const tmpl::Clip& clip, const Status& status) {
  // Keep the code (asset_unavailable, limit_exceeded) and point at the clip.
  return Status(status.code(), status.message(), {{clip.path, status.message()}});
}

}  // namespace

Timeline::~Timeline() = default;

int64_t Timeline::FrameToSample(FrameIndex f) const {
  // f / fps × rate, rounded half up, in exact integer arithmetic (no overflow: f ≤ 72 000 and
  // den ≤ 1001 for the longest, slowest-rate video the limits allow).
  const Rational r = fps();
  const int64_t numerator = f * r.den * kAudioSampleRate * 2 + r.num;
  return numerator / (r.num * 2);
}

Result<std::unique_ptr<Timeline>> Timeline::Build(tmpl::Template t, assets::AssetCache& assets,
                                                  const tmpl::Limits& limits, int threads) {
  std::unique_ptr<Timeline> timeline(new Timeline());
  timeline->tmpl_ = std::move(t);
  const tmpl::Template& tp = timeline->tmpl_;
  const Rational fps = tp.output.fps;

  // Fonts first: text layout needs them.
  std::vector<FontRegistry::TemplateFont> fonts;
  for (const auto& font : tp.fonts) {
    auto file = assets.LocalFile(font.src);
    if (!file.ok()) {
      return Status(file.error().code(), file.error().message(),
                    {{font.path + ".src", file.error().message()}});
    }
    fonts.push_back({font.family, *file, font.path});
  }
  VG_ASSIGN_OR_RETURN(timeline->fonts_, FontRegistry::Create(fonts));

  // Audio sources: their bytes and natural lengths, needed for the video's length.
  struct PendingAudio {
    const tmpl::Clip* clip;
    std::shared_ptr<const std::string> bytes;
    std::optional<double> end;  // seconds, when known without the video's length
  };
  std::vector<PendingAudio> pending_audio;
  std::optional<double> latest_end = tp.duration;
  bool has_open_visual = false;
  for (const auto& track : tp.tracks) {
    for (const auto& clip : track.clips) {
      std::optional<double> end = clip.timing.KnownEnd();
      if (clip.type == tmpl::ClipType::kAudio) {
        const auto& body = std::get<tmpl::AudioClip>(clip.body);
        auto bytes = assets.Fetch(body.src);
        if (!bytes.ok()) return ClipError(clip, bytes.error());
        if (!end && !body.loop) {
          auto length = ProbeAudioDurationSeconds(**bytes);
          if (!length.ok()) return ClipError(clip, length.error());
          end = clip.timing.start + std::max(0.0, *length - body.trim);
        }
        pending_audio.push_back({&clip, *bytes, end});
      } else if (!end) {
        has_open_visual = true;
      }
      if (!tp.duration && end) latest_end = std::max(latest_end.value_or(0), *end);
    }
  }
  (void)has_open_visual;
  if (!latest_end || *latest_end <= 0) {
    return Status(ErrorCode::kInvalidTemplate, "The template has 1 problem.",
                  {{"duration", "required: nothing determines the video's length"}});
  }
  if (*latest_end > limits.duration_s) {
    std::string message =
        fmt::format("the video would be {:.3f} s long; the limit is {:g} s (LIMIT_DURATION_S)",
                    *latest_end, limits.duration_s);
    return Status(ErrorCode::kLimitExceeded, message, {{"duration", message}});
  }
  timeline->frame_count_ = RoundTimeToIndex(*latest_end, fps);
  if (timeline->frame_count_ < 1) {
    return Status(ErrorCode::kInvalidTemplate, "The template has 1 problem.",
                  {{"duration", "the video is shorter than one frame"}});
  }
  const FrameIndex frame_count = timeline->frame_count_;

  // Visual clips in paint order.
  std::vector<LayerContext> contexts;
  for (const auto& track : tp.tracks) {
    for (const auto& clip : track.clips) {
      if (clip.type == tmpl::ClipType::kAudio) continue;
      TimelineClip tc;
      tc.clip = &clip;
      tc.first_frame = RoundTimeToIndex(clip.timing.start, fps);
      auto end = clip.timing.KnownEnd();
      tc.end_frame = end ? RoundTimeToIndex(*end, fps) : frame_count;
      tc.end_frame = std::min(tc.end_frame, frame_count);
      for (const auto& a : clip.animations) {
        double base = a.property == Property::kY ? tp.output.height : tp.output.width;
        tc.curves.emplace_back(a, base);
      }
      if (tc.first_frame >= tc.end_frame) continue;  // never visible
      LayerContext context;
      context.tmpl = &tp;
      context.assets = &assets;
      context.fonts = timeline->fonts_.get();
      context.frame_width = tp.output.width;
      context.frame_height = tp.output.height;
      context.max_scale = MaxScale(clip, tc.curves);
      context.color_animated = HasAnimation(clip, {Property::kColor});
      context.size_animated = HasAnimation(clip, {Property::kWidth, Property::kHeight});
      contexts.push_back(context);
      timeline->clips_.push_back(std::move(tc));
    }
  }
  // The layers, each clip taken by whichever thread is free (the asset cache and the font
  // registry are thread-safe); errors are looked at afterwards, in paint order.
  std::vector<Result<std::unique_ptr<Layer>>> layers;
  layers.reserve(contexts.size());
  for (size_t i = 0; i < contexts.size(); ++i) {
    layers.emplace_back(Status(ErrorCode::kInternal, "not prepared"));
  }
  std::atomic<size_t> next{0};
  auto prepare = [&] {
    for (size_t i; (i = next.fetch_add(1)) < contexts.size();) {
      layers[i] = CreateLayer(*timeline->clips_[i].clip, contexts[i]);
    }
  };
  std::vector<std::thread> helpers;
  const size_t helper_count = std::min<size_t>(std::max(1, threads), contexts.size());
  for (size_t h = 1; h < helper_count; ++h) helpers.emplace_back(prepare);
  prepare();
  for (auto& helper : helpers) helper.join();
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].ok()) return ClipError(*timeline->clips_[i].clip, layers[i].error());
    timeline->clips_[i].layer = std::move(*layers[i]);
  }

  // Audio clips at exact samples.
  const int64_t total_samples = timeline->FrameToSample(frame_count);
  for (auto& pending : pending_audio) {
    const tmpl::Clip& clip = *pending.clip;
    const auto& body = std::get<tmpl::AudioClip>(clip.body);
    AudioSource source;
    source.bytes = pending.bytes;
    source.path = clip.path;
    source.start_sample = RoundTimeToIndex(clip.timing.start, Rational(kAudioSampleRate, 1));
    if (source.start_sample >= total_samples) continue;
    if (auto end = clip.timing.KnownEnd()) {
      source.length_samples =
          RoundTimeToIndex(*end, Rational(kAudioSampleRate, 1)) - source.start_sample;
    }
    source.trim_s = body.trim;
    source.volume = body.volume;
    source.fade_in_s = body.fade_in;
    source.fade_out_s = body.fade_out;
    source.loop = body.loop;
    for (const auto& a : clip.animations) {
      if (a.property != Property::kVolume) continue;
      auto curve = std::make_shared<AnimationCurve>(a, 0);
      source.volume_curve = [curve](double clip_time_s) { return curve->Value(clip_time_s); };
    }
    timeline->audio_.push_back(std::move(source));
  }
  return timeline;
}

ClipState EvaluateClip(const Timeline& timeline, const TimelineClip& tc, FrameIndex f) {
  const tmpl::Clip& clip = *tc.clip;
  const tmpl::VisualCommon& v = clip.visual;
  const double fw = timeline.width(), fh = timeline.height();
  const Rational fps = timeline.fps();
  ClipState s;
  s.t = IndexToSeconds(f - tc.first_frame, fps);
  s.x = v.x ? v.x->Resolve(fw) : fw / 2;
  s.y = v.y ? v.y->Resolve(fh) : fh / 2;
  s.opacity = v.opacity;
  double scale = v.scale, scale_x = 1, scale_y = 1;
  s.rotation_deg = v.rotation_deg;
  for (const auto& c : tc.curves) {
    switch (c.property()) {
      case Property::kOpacity:
        s.opacity = c.Value(s.t);
        break;
      case Property::kX:
        s.x = c.Value(s.t);
        break;
      case Property::kY:
        s.y = c.Value(s.t);
        break;
      case Property::kScale:
        scale = c.Value(s.t);
        break;
      case Property::kScaleX:
        scale_x = c.Value(s.t);
        break;
      case Property::kScaleY:
        scale_y = c.Value(s.t);
        break;
      case Property::kRotation:
        s.rotation_deg = c.Value(s.t);
        break;
      case Property::kWidth:
        s.width = std::max(0.0, c.Value(s.t));
        break;
      case Property::kHeight:
        s.height = std::max(0.0, c.Value(s.t));
        break;
      case Property::kBlur:
        s.blur = std::max(0.0, c.Value(s.t));
        break;
      case Property::kColor:
        s.color = c.ColorValue(s.t);
        break;
      case Property::kVolume:
        break;
    }
  }
  s.opacity = std::clamp(s.opacity, 0.0, 1.0);
  s.scale_x = scale * scale_x;
  s.scale_y = scale * scale_y;

  // Transitions: linear in time over their duration from the clip's start (in) or up to its
  // end (out); they compose with the animated values.
  const double clip_length = IndexToSeconds(tc.end_frame - tc.first_frame, fps);
  auto apply = [&](const tmpl::Transition& tr, double p, bool incoming) {
    p = std::clamp(p, 0.0, 1.0);
    const double away = 1 - p;  // 1: fully off its place
    using T = tmpl::TransitionType;
    switch (tr.type) {
      case T::kFade:
        s.opacity *= p;
        break;
      case T::kZoom:
        s.scale_x *= p;
        s.scale_y *= p;
        break;
      // slide-left moves leftwards: it comes in from the right and leaves to the left.
      case T::kSlideLeft:
        s.x += (incoming ? fw : -fw) * away;
        break;
      case T::kSlideRight:
        s.x += (incoming ? -fw : fw) * away;
        break;
      case T::kSlideUp:
        s.y += (incoming ? fh : -fh) * away;
        break;
      case T::kSlideDown:
        s.y += (incoming ? -fh : fh) * away;
        break;
      // wipe-left: the edge moves leftwards from the right side (in: reveals right to left;
      // out: hides from the right). wipe-right mirrors it.
      case T::kWipeLeft:
        if (incoming)
          s.visible_left = std::max(s.visible_left, away);
        else
          s.visible_right = std::min(s.visible_right, p);
        break;
      case T::kWipeRight:
        if (incoming)
          s.visible_right = std::min(s.visible_right, p);
        else
          s.visible_left = std::max(s.visible_left, away);
        break;
    }
  };
  if (v.transition_in) apply(*v.transition_in, s.t / v.transition_in->duration, true);
  if (v.transition_out)
    apply(*v.transition_out, (clip_length - s.t) / v.transition_out->duration, false);
  return s;
}

}  // namespace vg::render

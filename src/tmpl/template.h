// The template model: what a validated, placeholder-resolved template means (TEMPLATE-FORMAT.md).
// tmpl::Load (load.h) builds it from JSON; render/ consumes it. Plain values, no I/O, no
// library handles; safe to share read-only between threads once built.
// Every clip keeps its JSON path ("tracks[1].clips[0]") so later stages (asset loading,
// rendering) can report problems where the user wrote them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/limits.h"
#include "base/rational.h"

namespace vg::tmpl {

// Straight (not premultiplied) RGBA, each 0..1.
struct Color {
  double r = 0, g = 0, b = 0, a = 1;
  bool operator==(const Color&) const = default;
};

struct GradientStop {
  double offset = 0;  // 0..1
  Color color;
};

enum class GradientType { kLinear, kRadial };

struct Gradient {
  GradientType type = GradientType::kLinear;
  double angle_deg = 180;  // CSS linear-gradient angle: 0 up, 90 right; CSS's default is 180
  std::vector<GradientStop> stops;  // ≥ 2, offsets ascending
};

// A fill: a flat colour or a gradient.
using Paint = std::variant<Color, Gradient>;

struct Stroke {
  Color color;
  double width = 0;  // px
};

// A position: pixels, or a percentage of the frame's width (x) or height (y).
struct Length {
  double value = 0;
  bool percent = false;
  double Resolve(double frame_extent) const { return percent ? value * frame_extent / 100.0 : value; }
};

enum class Anchor { kCenter, kTopLeft, kTop, kTopRight, kLeft, kRight, kBottomLeft, kBottom, kBottomRight };

enum class Fit { kCover, kContain, kFill };

// Easing functions. The named ones follow CSS (kEaseIn/kEaseOut/kEaseInOut) and easings.net.
enum class EasingKind {
  kLinear,
  kEaseIn, kEaseOut, kEaseInOut,  // CSS ease-in/out: cubic-bezier
  kQuadIn, kQuadOut, kQuadInOut,
  kCubicIn, kCubicOut, kCubicInOut,
  kQuartIn, kQuartOut, kQuartInOut,
  kExpoIn, kExpoOut, kExpoInOut,
  kBackIn, kBackOut, kBackInOut,
  kElasticIn, kElasticOut, kElasticInOut,
  kBounceIn, kBounceOut, kBounceInOut,
  kCubicBezier,  // bezier[0..3] = x1, y1, x2, y2
  kSteps,        // steps = n (jump-end, as CSS steps(n))
  kSpring,       // spring parameters; runs for its natural duration
};

struct Spring {
  double stiffness = 100;
  double damping = 10;
  double mass = 1;
};

struct Easing {
  EasingKind kind = EasingKind::kLinear;
  double bezier[4] = {0, 0, 1, 1};
  int steps = 1;
  Spring spring;
};

enum class Property {
  kOpacity, kX, kY, kScale, kScaleX, kScaleY, kRotation, kWidth, kHeight, kVolume, kBlur, kColor,
};

struct Keyframe {
  double time = 0;            // seconds from the clip's start, ascending within an animation
  double value = 0;           // for every property but kColor (x/y: pixels or percent, see below)
  bool percent = false;       // x/y given as "50%"
  Color color;                // for kColor
  std::optional<Easing> easing;  // easing of the segment that starts at this keyframe
};

struct Animation {
  Property property = Property::kOpacity;
  std::vector<Keyframe> keyframes;  // ≥ 1
  Easing easing;                    // default for segments without their own
};

enum class TransitionType {
  kFade, kSlideLeft, kSlideRight, kSlideUp, kSlideDown, kZoom, kWipeLeft, kWipeRight,
};

struct Transition {
  TransitionType type = TransitionType::kFade;
  double duration = 0.5;  // seconds, > 0
};

// Timing of any clip. `end` and `duration` are exclusive (the parser refuses both).
struct ClipTiming {
  double start = 0;
  std::optional<double> duration;
  std::optional<double> end;
  // The clip's end time when the template fixes it (start + duration, or end).
  std::optional<double> KnownEnd() const {
    if (duration) return start + *duration;
    if (end) return *end;
    return std::nullopt;
  }
};

// Fields every visual clip has.
struct VisualCommon {
  std::optional<Length> x, y;  // anchor point; absent = centre of the frame
  Anchor anchor = Anchor::kCenter;
  double opacity = 1;
  double scale = 1;
  double rotation_deg = 0;  // clockwise, about the anchor
  std::optional<Transition> transition_in, transition_out;
};

struct BackgroundClip {
  // Exactly one of these three.
  std::optional<Color> color;
  std::optional<Gradient> gradient;
  std::optional<std::string> src;
  Fit fit = Fit::kCover;
};

struct ImageClip {
  std::string src;
  std::optional<double> width, height;  // px; one alone keeps the aspect ratio
  Fit fit = Fit::kCover;
  double radius = 0;
};

struct TextShadow {
  Color color{0, 0, 0, 0.5};
  double blur = 0;  // CSS blur radius; Gaussian sigma = blur / 2
  double x = 0, y = 0;
};

struct TextBackground {
  Color color{0, 0, 0, 0.5};
  double padding = 0;
  double radius = 0;
};

enum class TextAlign { kLeft, kCenter, kRight };

struct TextStyle {
  std::string font_family = "Noto Sans";
  double font_size = 48;  // px
  int font_weight = 400;  // 100..900
  bool italic = false;
  Color color{1, 1, 1, 1};
  TextAlign align = TextAlign::kCenter;
  std::optional<double> line_height;  // multiple of the font's natural line box
  double letter_spacing = 0;          // px
  std::optional<double> max_width;    // px; wraps words
  std::optional<double> max_height;   // px; used with auto_fit
  std::optional<int> max_lines;       // ellipsis after
  bool auto_fit = false;
  std::optional<Stroke> stroke;
  std::optional<TextShadow> shadow;
  std::optional<TextBackground> background;
};

struct TextClip {
  std::string text;
  TextStyle style;
};

enum class ShapeKind { kRect, kEllipse, kLine };

struct ShapeClip {
  ShapeKind shape = ShapeKind::kRect;
  double width = 100, height = 100;  // px; a line goes from the box's left-middle to right-middle
  std::optional<Paint> fill;         // absent: no fill (a line is drawn with its stroke)
  std::optional<Stroke> stroke;
  double radius = 0;
};

struct AudioClip {
  std::string src;
  double volume = 1;  // 0..4, linear gain
  double trim = 0;    // seconds skipped at the start of the source
  double fade_in = 0, fade_out = 0;  // seconds
  bool loop = false;
};

enum class ClipType { kBackground, kImage, kText, kShape, kAudio };

struct Clip {
  ClipType type = ClipType::kShape;
  std::string path;  // JSON path of the clip, e.g. "tracks[2].clips[0]"
  ClipTiming timing;
  VisualCommon visual;                // ignored for audio
  std::vector<Animation> animations;  // properties valid for the clip type (volume: audio)
  std::variant<BackgroundClip, ImageClip, TextClip, ShapeClip, AudioClip> body;
};

struct Track {
  ClipType type = ClipType::kShape;
  std::vector<Clip> clips;
};

enum class Quality { kDraft, kStandard, kHigh };

struct Output {
  int width = 1920, height = 1080;
  Rational fps{30, 1};
  std::string format = "mp4";
  Quality quality = Quality::kStandard;
  std::optional<int> crf;  // 0..51, overrides the preset's CRF
};

struct FontSource {
  std::string family;
  std::string src;
  std::string path;  // JSON path, "fonts[0]"
};

struct Template {
  int version = 1;
  std::string name;
  Output output;
  std::optional<double> duration;  // seconds; absent: from the clips (render::Timeline decides)
  Color background{0, 0, 0, 1};
  std::vector<FontSource> fonts;
  std::vector<Track> tracks;
};

// Operator limits (LIMIT_* in API.md). Defaults are TEMPLATE-FORMAT.md's.
using Limits = ::vg::TemplateLimits;

}  // namespace vg::tmpl

// Validation of tracks, clips (per track type), text styles, gradients, strokes, transitions,
// animations and easings (validator.h; TEMPLATE-FORMAT.md "Tracks and clips", "Animations").
#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "tmpl/validator.h"

namespace vg::tmpl::internal {
namespace {

// ---- Field names -------------------------------------------------------------------------

constexpr std::string_view kTrackFields[] = {"type", "clips"};

// Every clip: timing and animations. Visual clips add kVisualFields.
#define VG_TIMING_FIELDS "start", "duration", "end", "animations"
#define VG_VISUAL_FIELDS "x", "y", "anchor", "opacity", "scale", "rotation", "transition"
constexpr std::string_view kBackgroundClipFields[] = {
    VG_TIMING_FIELDS, VG_VISUAL_FIELDS, "color", "gradient", "src", "fit"};
constexpr std::string_view kImageClipFields[] = {
    VG_TIMING_FIELDS, VG_VISUAL_FIELDS, "src", "width", "height", "fit", "radius"};
constexpr std::string_view kTextClipFields[] = {VG_TIMING_FIELDS, VG_VISUAL_FIELDS, "text",
                                                "style"};
constexpr std::string_view kShapeClipFields[] = {
    VG_TIMING_FIELDS, VG_VISUAL_FIELDS, "shape", "width", "height", "fill", "stroke", "radius"};
constexpr std::string_view kAudioClipFields[] = {VG_TIMING_FIELDS, "src",     "volume", "trim",
                                                 "fadeIn",         "fadeOut", "loop"};
#undef VG_TIMING_FIELDS
#undef VG_VISUAL_FIELDS

constexpr std::string_view kStyleFields[] = {
    "fontFamily", "fontSize",   "fontWeight",    "italic",   "color",
    "align",      "lineHeight", "letterSpacing", "maxWidth", "maxHeight",
    "maxLines",   "autoFit",    "stroke",        "shadow",   "background"};
constexpr std::string_view kStrokeFields[] = {"color", "width"};
constexpr std::string_view kShadowFields[] = {"color", "blur", "x", "y"};
constexpr std::string_view kTextBackgroundFields[] = {"color", "padding", "radius"};
constexpr std::string_view kGradientFields[] = {"type", "angle", "stops"};
constexpr std::string_view kStopFields[] = {"offset", "color"};
constexpr std::string_view kTransitionFields[] = {"in", "out"};
constexpr std::string_view kTransitionSideFields[] = {"type", "duration"};
constexpr std::string_view kAnimationFields[] = {"property", "keyframes", "easing"};
constexpr std::string_view kKeyframeFields[] = {"time", "value", "easing"};
constexpr std::string_view kEasingObjectFields[] = {"spring"};
constexpr std::string_view kSpringFields[] = {"stiffness", "damping", "mass"};

// ---- Enum spellings ----------------------------------------------------------------------

constexpr EnumName<ClipType> kTrackTypes[] = {{"background", ClipType::kBackground},
                                              {"image", ClipType::kImage},
                                              {"text", ClipType::kText},
                                              {"shape", ClipType::kShape},
                                              {"audio", ClipType::kAudio}};
constexpr EnumName<Anchor> kAnchors[] = {{"center", Anchor::kCenter},
                                         {"top-left", Anchor::kTopLeft},
                                         {"top", Anchor::kTop},
                                         {"top-right", Anchor::kTopRight},
                                         {"left", Anchor::kLeft},
                                         {"right", Anchor::kRight},
                                         {"bottom-left", Anchor::kBottomLeft},
                                         {"bottom", Anchor::kBottom},
                                         {"bottom-right", Anchor::kBottomRight}};
constexpr EnumName<Fit> kFits[] = {
    {"cover", Fit::kCover}, {"contain", Fit::kContain}, {"fill", Fit::kFill}};
constexpr EnumName<TransitionType> kTransitionTypes[] = {
    {"fade", TransitionType::kFade},
    {"slide-left", TransitionType::kSlideLeft},
    {"slide-right", TransitionType::kSlideRight},
    {"slide-up", TransitionType::kSlideUp},
    {"slide-down", TransitionType::kSlideDown},
    {"zoom", TransitionType::kZoom},
    {"wipe-left", TransitionType::kWipeLeft},
    {"wipe-right", TransitionType::kWipeRight}};
constexpr EnumName<GradientType> kGradientTypes[] = {{"linear", GradientType::kLinear},
                                                     {"radial", GradientType::kRadial}};
constexpr EnumName<TextAlign> kAligns[] = {
    {"left", TextAlign::kLeft}, {"center", TextAlign::kCenter}, {"right", TextAlign::kRight}};
constexpr EnumName<ShapeKind> kShapes[] = {
    {"rect", ShapeKind::kRect}, {"ellipse", ShapeKind::kEllipse}, {"line", ShapeKind::kLine}};
constexpr EnumName<Property> kProperties[] = {
    {"opacity", Property::kOpacity},   {"x", Property::kX},           {"y", Property::kY},
    {"scale", Property::kScale},       {"scaleX", Property::kScaleX}, {"scaleY", Property::kScaleY},
    {"rotation", Property::kRotation}, {"width", Property::kWidth},   {"height", Property::kHeight},
    {"volume", Property::kVolume},     {"blur", Property::kBlur},     {"color", Property::kColor}};

struct NamedEasing {
  std::string_view name;
  EasingKind kind;
};
constexpr NamedEasing kEasings[] = {
    {"linear", EasingKind::kLinear},
    {"easeIn", EasingKind::kEaseIn},
    {"easeOut", EasingKind::kEaseOut},
    {"easeInOut", EasingKind::kEaseInOut},
    {"easeInQuad", EasingKind::kQuadIn},
    {"easeOutQuad", EasingKind::kQuadOut},
    {"easeInOutQuad", EasingKind::kQuadInOut},
    {"easeInCubic", EasingKind::kCubicIn},
    {"easeOutCubic", EasingKind::kCubicOut},
    {"easeInOutCubic", EasingKind::kCubicInOut},
    {"easeInQuart", EasingKind::kQuartIn},
    {"easeOutQuart", EasingKind::kQuartOut},
    {"easeInOutQuart", EasingKind::kQuartInOut},
    {"easeInExpo", EasingKind::kExpoIn},
    {"easeOutExpo", EasingKind::kExpoOut},
    {"easeInOutExpo", EasingKind::kExpoInOut},
    {"easeInBack", EasingKind::kBackIn},
    {"easeOutBack", EasingKind::kBackOut},
    {"easeInOutBack", EasingKind::kBackInOut},
    {"easeInElastic", EasingKind::kElasticIn},
    {"easeOutElastic", EasingKind::kElasticOut},
    {"easeInOutElastic", EasingKind::kElasticInOut},
    {"easeInBounce", EasingKind::kBounceIn},
    {"easeOutBounce", EasingKind::kBounceOut},
    {"easeInOutBounce", EasingKind::kBounceInOut},
    // CSS keywords, as CSS defines them.
    {"ease-in", EasingKind::kEaseIn},
    {"ease-out", EasingKind::kEaseOut},
    {"ease-in-out", EasingKind::kEaseInOut},
};

constexpr const char* kEasingHelp =
    "must be an easing: linear, easeIn, easeOut, easeInOut, an easings.net name such as "
    "easeInOutCubic (Quad, Cubic, Quart, Expo, Back, Elastic or Bounce with In, Out or InOut), "
    "\"cubic-bezier(x1,y1,x2,y2)\", \"steps(n)\" or {\"spring\": {…}}";

// ---- Helpers -----------------------------------------------------------------------------

std::span<const std::string_view> FieldsFor(ClipType type) {
  switch (type) {
    case ClipType::kBackground:
      return kBackgroundClipFields;
    case ClipType::kImage:
      return kImageClipFields;
    case ClipType::kText:
      return kTextClipFields;
    case ClipType::kShape:
      return kShapeClipFields;
    case ClipType::kAudio:
      return kAudioClipFields;
  }
  return kShapeClipFields;
}

std::string_view TypeName(ClipType type) {
  for (const auto& entry : kTrackTypes) {
    if (entry.value == type) return entry.name;
  }
  return "?";
}

// A better message than "unknown field" for keys that belong elsewhere.
std::string ExplainClipField(ClipType type, std::string_view key) {
  if (key == "type") return "\"type\" belongs to the track, not to its clips";
  if (type == ClipType::kText && Contains(kStyleFields, key)) {
    return fmt::format("\"{}\" belongs inside \"style\"", key);
  }
  for (const auto& entry : kTrackTypes) {
    if (entry.value != type && Contains(FieldsFor(entry.value), key)) {
      return fmt::format("\"{}\" does not apply to {} clips", key, TypeName(type));
    }
  }
  return "";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<double> ParseDecimal(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// The contents of "name(…)" when `text` has that shape.
std::optional<std::string_view> FunctionArguments(std::string_view text, std::string_view name) {
  if (text.size() < name.size() + 2 || text.substr(0, name.size()) != name) return std::nullopt;
  std::string_view rest = Trim(text.substr(name.size()));
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return std::nullopt;
  return rest.substr(1, rest.size() - 2);
}

bool IsVisual(ClipType type) { return type != ClipType::kAudio; }

// Why `property` cannot be animated on `type`, or "" when it can.
std::string PropertyProblem(Property property, ClipType type) {
  if (type == ClipType::kAudio) {
    return property == Property::kVolume ? "" : "audio clips can only animate \"volume\"";
  }
  switch (property) {
    case Property::kVolume:
      return "\"volume\" can only be animated on audio clips";
    case Property::kColor:
      if (type == ClipType::kText || type == ClipType::kShape) return "";
      return "\"color\" can only be animated on text and shape clips";
    case Property::kWidth:
    case Property::kHeight:
      if (type == ClipType::kImage || type == ClipType::kShape) return "";
      return fmt::format("\"{}\" can only be animated on image and shape clips",
                         property == Property::kWidth ? "width" : "height");
    default:
      return "";
  }
}

}  // namespace

namespace {
Easing MakeEasing(EasingKind kind) {
  Easing easing;
  easing.kind = kind;
  return easing;
}
}  // namespace

std::optional<Easing> ParseEasingName(std::string_view name, std::string* problem) {
  for (const auto& entry : kEasings) {
    if (entry.name == name) return MakeEasing(entry.kind);
  }
  if (name == "ease") {  // CSS's default curve
    Easing easing = MakeEasing(EasingKind::kCubicBezier);
    double points[4] = {0.25, 0.1, 0.25, 1};
    std::copy(std::begin(points), std::end(points), easing.bezier);
    return easing;
  }
  std::string got = ", got " + Quote(name);
  if (auto arguments = FunctionArguments(name, "cubic-bezier")) {
    Easing easing = MakeEasing(EasingKind::kCubicBezier);
    std::string_view rest = *arguments;
    int count = 0;
    bool ok = true;
    while (ok) {
      size_t comma = rest.find(',');
      auto value = ParseDecimal(rest.substr(0, comma));
      if (!value || count == 4) {
        ok = false;
        break;
      }
      easing.bezier[count++] = *value;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!ok || count != 4) {
      *problem = "cubic-bezier needs four numbers: \"cubic-bezier(x1,y1,x2,y2)\"" + got;
      return std::nullopt;
    }
    for (int i : {0, 2}) {
      if (!(easing.bezier[i] >= 0 && easing.bezier[i] <= 1)) {
        *problem = "cubic-bezier's x1 and x2 must be from 0 to 1" + got;
        return std::nullopt;
      }
    }
    return easing;
  }
  if (auto arguments = FunctionArguments(name, "steps")) {
    auto steps = ParseDecimal(*arguments);
    if (!steps || *steps < 1 || *steps != std::floor(*steps) || *steps > 1e6) {
      *problem = "steps(n) needs a whole number n >= 1" + got;
      return std::nullopt;
    }
    Easing easing = MakeEasing(EasingKind::kSteps);
    easing.steps = static_cast<int>(*steps);
    return easing;
  }
  std::vector<std::string_view> names;
  for (const auto& entry : kEasings) names.push_back(entry.name);
  *problem = kEasingHelp + got + DidYouMean(name, names);
  return std::nullopt;
}

void TemplateValidator::ValidateTracks(const Json& tracks, const Path& path,
                                       std::vector<Track>* out) {
  if (!checker_.ExpectArray(tracks, path)) return;
  int64_t clip_count = 0;
  for (const Json& track : tracks) {
    const Json* clips = Find(track, "clips");
    if (clips != nullptr && clips->is_array()) clip_count += static_cast<int64_t>(clips->size());
  }
  if (clip_count > limits_.clips) {
    checker_.Problem(path,
                     fmt::format("the template has {} clips; the limit is {} (LIMIT_CLIPS)",
                                 clip_count, limits_.clips),
                     ProblemKind::kLimit);
  }
  for (size_t i = 0; i < tracks.size() && !checker_.full(); ++i) {
    Track track;
    ValidateTrack(tracks[i], path.Index(i), &track);
    out->push_back(std::move(track));
  }
}

void TemplateValidator::ValidateTrack(const Json& track, const Path& path, Track* out) {
  if (!checker_.ExpectObject(track, path)) return;
  checker_.CheckFields(track, path, kTrackFields);
  bool type_known = false;
  if (checker_.Require(track, path, "type")) {
    const Json& type = track["type"];
    if (type.is_string() && type.get_ref<const std::string&>() == "video") {
      checker_.Problem(path.Field("type"), "video tracks are not supported yet");
    } else if (auto parsed = checker_.Enum(type, path.Field("type"), kTrackTypes)) {
      out->type = *parsed;
      type_known = true;
    }
  }
  if (!checker_.Require(track, path, "clips")) return;
  const Json& clips = track["clips"];
  Path clips_path = path.Field("clips");
  if (!checker_.ExpectArray(clips, clips_path) || !type_known) return;
  for (size_t j = 0; j < clips.size() && !checker_.full(); ++j) {
    if (auto clip = ValidateClip(clips[j], clips_path.Index(j), out->type)) {
      out->clips.push_back(std::move(*clip));
    }
  }
}

std::optional<Clip> TemplateValidator::ValidateClip(const Json& value, const Path& path,
                                                    ClipType type) {
  if (!checker_.ExpectObject(value, path)) return std::nullopt;
  Clip clip;
  clip.type = type;
  clip.path = path.ToString();
  checker_.CheckFields(value, path, FieldsFor(type),
                       [type](std::string_view key) { return ExplainClipField(type, key); });
  ValidateTiming(value, path, &clip.timing);
  if (IsVisual(type)) ValidateVisual(value, path, &clip.visual);
  switch (type) {
    case ClipType::kBackground:
      clip.body = ValidateBackground(value, path);
      break;
    case ClipType::kImage:
      clip.body = ValidateImage(value, path);
      break;
    case ClipType::kText:
      clip.body = ValidateText(value, path);
      break;
    case ClipType::kShape:
      clip.body = ValidateShape(value, path);
      break;
    case ClipType::kAudio: {
      AudioClip audio = ValidateAudio(value, path);
      // Without an end, an audio clip plays its source once, which sets the video's length;
      // a looping one plays to the end of the video instead.
      if (!clip.timing.KnownEnd() && !audio.loop) timing_.audio_gives_length = true;
      clip.body = std::move(audio);
      break;
    }
  }
  if (const Json* animations = Find(value, "animations")) {
    clip.animations = ValidateAnimations(*animations, path.Field("animations"), type);
  }
  return clip;
}

void TemplateValidator::ValidateTiming(const Json& clip, const Path& path, ClipTiming* out) {
  checker_.ReadNumber(clip, path, "start", kNonNegative, &out->start);
  bool has_duration = checker_.ReadNumber(clip, path, "duration", kPositive, &out->duration);
  bool has_end = checker_.ReadNumber(clip, path, "end", kPositive, &out->end);
  if (has_duration || has_end) timing_.clip_gives_end = true;
  if (has_duration && has_end) {
    checker_.Problem(path.Field("end"), "give \"duration\" or \"end\", not both");
    out->end.reset();
  } else if (out->end && *out->end <= out->start) {
    checker_.Problem(path.Field("end"),
                     fmt::format("must be greater than start ({}), got {}",
                                 FormatNumber(out->start), FormatNumber(*out->end)));
  }
  if (auto end = out->KnownEnd(); end && *end > limits_.duration_s) {
    checker_.Problem(path.Field(out->duration ? "duration" : "end"),
                     fmt::format("the clip ends at {} s; the limit is {} s (LIMIT_DURATION_S)",
                                 FormatNumber(*end), FormatNumber(limits_.duration_s)),
                     ProblemKind::kLimit);
  }
}

void TemplateValidator::ValidateVisual(const Json& clip, const Path& path, VisualCommon* out) {
  for (std::string_view axis : {std::string_view("x"), std::string_view("y")}) {
    if (const Json* value = Find(clip, axis)) {
      auto length = checker_.LengthValue(*value, path.Field(axis));
      (axis == "x" ? out->x : out->y) = length;
    }
  }
  checker_.ReadEnum(clip, path, "anchor", kAnchors, &out->anchor);
  checker_.ReadNumber(clip, path, "opacity", kUnitInterval, &out->opacity);
  checker_.ReadNumber(clip, path, "scale", kNonNegative, &out->scale);
  checker_.ReadNumber(clip, path, "rotation", kAnyNumber, &out->rotation_deg);
  if (const Json* transition = Find(clip, "transition")) {
    Path transition_path = path.Field("transition");
    if (checker_.ExpectObject(*transition, transition_path)) {
      checker_.CheckFields(*transition, transition_path, kTransitionFields);
      if (const Json* in = Find(*transition, "in")) {
        out->transition_in = ValidateTransition(*in, transition_path.Field("in"));
      }
      if (const Json* out_side = Find(*transition, "out")) {
        out->transition_out = ValidateTransition(*out_side, transition_path.Field("out"));
      }
    }
  }
}

std::optional<Transition> TemplateValidator::ValidateTransition(const Json& side,
                                                                const Path& path) {
  if (!checker_.ExpectObject(side, path)) return std::nullopt;
  checker_.CheckFields(side, path, kTransitionSideFields);
  Transition transition;
  if (checker_.Require(side, path, "type")) {
    checker_.ReadEnum(side, path, "type", kTransitionTypes, &transition.type);
  }
  checker_.ReadNumber(side, path, "duration", kPositive, &transition.duration);
  return transition;
}

BackgroundClip TemplateValidator::ValidateBackground(const Json& clip, const Path& path) {
  BackgroundClip background;
  int sources = 0;
  if (checker_.ReadColor(clip, path, "color", &background.color)) ++sources;
  if (const Json* gradient = Find(clip, "gradient")) {
    ++sources;
    background.gradient = ValidateGradient(*gradient, path.Field("gradient"));
  }
  std::string src;
  if (checker_.ReadString(clip, path, "src", /*allow_empty=*/false, &src)) {
    ++sources;
    if (!src.empty()) background.src = std::move(src);
  }
  if (sources == 0) {
    checker_.Problem(path, "a background clip needs one of \"color\", \"gradient\" or \"src\"");
  } else if (sources > 1) {
    checker_.Problem(path,
                     "a background clip takes exactly one of \"color\", \"gradient\" and \"src\"");
  }
  checker_.ReadEnum(clip, path, "fit", kFits, &background.fit);
  return background;
}

ImageClip TemplateValidator::ValidateImage(const Json& clip, const Path& path) {
  ImageClip image;
  if (checker_.Require(clip, path, "src")) {
    checker_.ReadString(clip, path, "src", /*allow_empty=*/false, &image.src);
  }
  checker_.ReadNumber(clip, path, "width", kPositive, &image.width);
  checker_.ReadNumber(clip, path, "height", kPositive, &image.height);
  checker_.ReadEnum(clip, path, "fit", kFits, &image.fit);
  checker_.ReadNumber(clip, path, "radius", kNonNegative, &image.radius);
  return image;
}

TextClip TemplateValidator::ValidateText(const Json& clip, const Path& path) {
  TextClip text;
  if (checker_.Require(clip, path, "text")) {
    const Json& value = clip["text"];
    // A number is text too: "{{count}}" filled with 3 shows "3".
    if (value.is_number()) {
      text.text = ValueAsText(value);
    } else if (auto string = checker_.String(value, path.Field("text"), /*allow_empty=*/true)) {
      text.text = std::move(*string);
    }
  }
  if (const Json* style = Find(clip, "style")) {
    text.style = ValidateStyle(*style, path.Field("style"));
  }
  return text;
}

TextStyle TemplateValidator::ValidateStyle(const Json& style, const Path& path) {
  TextStyle out;
  if (!checker_.ExpectObject(style, path)) return out;
  checker_.CheckFields(style, path, kStyleFields);
  checker_.ReadString(style, path, "fontFamily", /*allow_empty=*/false, &out.font_family);
  checker_.ReadNumber(style, path, "fontSize", kPositive, &out.font_size);
  if (const Json* weight = Find(style, "fontWeight")) {
    NumberRule rule{.min = 100, .max = 900, .integer = true};
    if (weight->is_string() && weight->get_ref<const std::string&>() == "bold") {
      out.font_weight = 700;
    } else if (weight->is_string() && weight->get_ref<const std::string&>() == "normal") {
      out.font_weight = 400;
    } else if (weight->is_number() && rule.Accepts(weight->get<double>())) {
      out.font_weight = weight->get<int>();
    } else {
      checker_.Problem(
          path.Field("fontWeight"),
          "must be an integer from 100 to 900, \"normal\" or \"bold\", got " + Describe(*weight));
    }
  }
  checker_.ReadBool(style, path, "italic", &out.italic);
  checker_.ReadColor(style, path, "color", &out.color);
  checker_.ReadEnum(style, path, "align", kAligns, &out.align);
  if (const Json* line_height = Find(style, "lineHeight")) {
    // "normal" is the font's own line box, the default.
    if (!(line_height->is_string() && line_height->get_ref<const std::string&>() == "normal")) {
      if (line_height->is_number()) {
        out.line_height = checker_.Number(*line_height, path.Field("lineHeight"), kPositive);
      } else {
        checker_.Problem(path.Field("lineHeight"),
                         "must be a number > 0 (a multiple of fontSize) or \"normal\", got " +
                             Describe(*line_height));
      }
    }
  }
  checker_.ReadNumber(style, path, "letterSpacing", kAnyNumber, &out.letter_spacing);
  checker_.ReadNumber(style, path, "maxWidth", kPositive, &out.max_width);
  checker_.ReadNumber(style, path, "maxHeight", kPositive, &out.max_height);
  checker_.ReadInt(style, path, "maxLines", {.min = 1}, &out.max_lines);
  checker_.ReadBool(style, path, "autoFit", &out.auto_fit);
  if (out.auto_fit && Find(style, "maxWidth") == nullptr) {
    checker_.Problem(path.Field("autoFit"), "needs \"maxWidth\" (and \"maxHeight\") to fit into");
  }
  if (const Json* stroke = Find(style, "stroke")) {
    out.stroke = ValidateStroke(*stroke, path.Field("stroke"));
  }
  if (const Json* shadow = Find(style, "shadow")) {
    Path shadow_path = path.Field("shadow");
    if (checker_.ExpectObject(*shadow, shadow_path)) {
      checker_.CheckFields(*shadow, shadow_path, kShadowFields);
      TextShadow text_shadow;
      checker_.ReadColor(*shadow, shadow_path, "color", &text_shadow.color);
      checker_.ReadNumber(*shadow, shadow_path, "blur", kNonNegative, &text_shadow.blur);
      checker_.ReadNumber(*shadow, shadow_path, "x", kAnyNumber, &text_shadow.x);
      checker_.ReadNumber(*shadow, shadow_path, "y", kAnyNumber, &text_shadow.y);
      out.shadow = text_shadow;
    }
  }
  if (const Json* background = Find(style, "background")) {
    Path background_path = path.Field("background");
    if (checker_.ExpectObject(*background, background_path)) {
      checker_.CheckFields(*background, background_path, kTextBackgroundFields);
      TextBackground box;
      checker_.ReadColor(*background, background_path, "color", &box.color);
      checker_.ReadNumber(*background, background_path, "padding", kNonNegative, &box.padding);
      checker_.ReadNumber(*background, background_path, "radius", kNonNegative, &box.radius);
      out.background = box;
    }
  }
  return out;
}

ShapeClip TemplateValidator::ValidateShape(const Json& clip, const Path& path) {
  ShapeClip shape;
  checker_.ReadEnum(clip, path, "shape", kShapes, &shape.shape);
  checker_.ReadNumber(clip, path, "width", kPositive, &shape.width);
  checker_.ReadNumber(clip, path, "height", kPositive, &shape.height);
  if (const Json* fill = Find(clip, "fill")) {
    Path fill_path = path.Field("fill");
    if (fill->is_object()) {
      if (auto gradient = ValidateGradient(*fill, fill_path)) shape.fill = std::move(*gradient);
    } else if (fill->is_string()) {
      if (auto color = checker_.ColorValue(*fill, fill_path)) shape.fill = *color;
    } else {
      checker_.Problem(fill_path, "must be a colour or a gradient object, got " + Describe(*fill));
    }
  }
  if (const Json* stroke = Find(clip, "stroke")) {
    shape.stroke = ValidateStroke(*stroke, path.Field("stroke"));
  }
  checker_.ReadNumber(clip, path, "radius", kNonNegative, &shape.radius);
  return shape;
}

AudioClip TemplateValidator::ValidateAudio(const Json& clip, const Path& path) {
  AudioClip audio;
  if (checker_.Require(clip, path, "src")) {
    checker_.ReadString(clip, path, "src", /*allow_empty=*/false, &audio.src);
  }
  checker_.ReadNumber(clip, path, "volume", {.min = 0, .max = 4}, &audio.volume);
  checker_.ReadNumber(clip, path, "trim", kNonNegative, &audio.trim);
  checker_.ReadNumber(clip, path, "fadeIn", kNonNegative, &audio.fade_in);
  checker_.ReadNumber(clip, path, "fadeOut", kNonNegative, &audio.fade_out);
  checker_.ReadBool(clip, path, "loop", &audio.loop);
  return audio;
}

std::optional<Gradient> TemplateValidator::ValidateGradient(const Json& value, const Path& path) {
  if (!checker_.ExpectObject(value, path)) return std::nullopt;
  checker_.CheckFields(value, path, kGradientFields);
  Gradient gradient;
  checker_.ReadEnum(value, path, "type", kGradientTypes, &gradient.type);
  checker_.ReadNumber(value, path, "angle", kAnyNumber, &gradient.angle_deg);
  if (!checker_.Require(value, path, "stops")) return std::nullopt;
  const Json& stops = value["stops"];
  Path stops_path = path.Field("stops");
  if (!checker_.ExpectArray(stops, stops_path)) return std::nullopt;
  if (stops.size() < 2) {
    checker_.Problem(stops_path,
                     fmt::format("a gradient needs at least 2 stops, got {}", stops.size()));
  }
  std::optional<double> previous;
  for (size_t i = 0; i < stops.size() && !checker_.full(); ++i) {
    Path stop_path = stops_path.Index(i);
    const Json& stop = stops[i];
    if (!checker_.ExpectObject(stop, stop_path)) continue;
    checker_.CheckFields(stop, stop_path, kStopFields);
    GradientStop gradient_stop;
    // Without offsets the stops are spread evenly, as in CSS.
    gradient_stop.offset =
        stops.size() > 1 ? static_cast<double>(i) / static_cast<double>(stops.size() - 1) : 0;
    std::optional<double> offset;
    checker_.ReadNumber(stop, stop_path, "offset", kUnitInterval, &offset);
    if (offset) {
      gradient_stop.offset = *offset;
      if (previous && *offset < *previous) {
        checker_.Problem(stop_path.Field("offset"),
                         fmt::format("must be >= the previous stop's offset ({}), got {}",
                                     FormatNumber(*previous), FormatNumber(*offset)));
      }
    }
    previous = gradient_stop.offset;
    if (checker_.Require(stop, stop_path, "color")) {
      checker_.ReadColor(stop, stop_path, "color", &gradient_stop.color);
    }
    gradient.stops.push_back(gradient_stop);
  }
  return gradient;
}

std::optional<Stroke> TemplateValidator::ValidateStroke(const Json& value, const Path& path) {
  if (!checker_.ExpectObject(value, path)) return std::nullopt;
  checker_.CheckFields(value, path, kStrokeFields);
  Stroke stroke;
  checker_.ReadColor(value, path, "color", &stroke.color);
  if (checker_.Require(value, path, "width")) {
    checker_.ReadNumber(value, path, "width", kPositive, &stroke.width);
  }
  return stroke;
}

std::vector<Animation> TemplateValidator::ValidateAnimations(const Json& animations,
                                                             const Path& path, ClipType type) {
  std::vector<Animation> out;
  if (!checker_.ExpectArray(animations, path)) return out;
  for (size_t i = 0; i < animations.size() && !checker_.full(); ++i) {
    if (auto animation = ValidateAnimation(animations[i], path.Index(i), type)) {
      out.push_back(std::move(*animation));
    }
  }
  return out;
}

std::optional<Animation> TemplateValidator::ValidateAnimation(const Json& value, const Path& path,
                                                              ClipType type) {
  if (!checker_.ExpectObject(value, path)) return std::nullopt;
  checker_.CheckFields(value, path, kAnimationFields);
  Animation animation;
  // Keyframe values are judged only against a known property valid for this clip type.
  bool property_known = false;
  if (checker_.Require(value, path, "property")) {
    if (auto property = checker_.Enum(value["property"], path.Field("property"), kProperties)) {
      if (std::string problem = PropertyProblem(*property, type); !problem.empty()) {
        checker_.Problem(path.Field("property"), std::move(problem));
      } else {
        animation.property = *property;
        property_known = true;
      }
    }
  }
  const Property property = animation.property;
  if (const Json* easing = Find(value, "easing")) {
    if (auto parsed = ValidateEasing(*easing, path.Field("easing"))) animation.easing = *parsed;
  }
  if (!checker_.Require(value, path, "keyframes")) return animation;
  const Json& keyframes = value["keyframes"];
  Path keyframes_path = path.Field("keyframes");
  if (!checker_.ExpectArray(keyframes, keyframes_path)) return animation;
  if (keyframes.empty()) {
    checker_.Problem(keyframes_path, "needs at least one keyframe");
  }
  std::optional<double> previous_time;
  for (size_t i = 0; i < keyframes.size() && !checker_.full(); ++i) {
    Path keyframe_path = keyframes_path.Index(i);
    const Json& keyframe = keyframes[i];
    if (!checker_.ExpectObject(keyframe, keyframe_path)) continue;
    checker_.CheckFields(keyframe, keyframe_path, kKeyframeFields);
    Keyframe out;
    if (checker_.Require(keyframe, keyframe_path, "time")) {
      Path time_path = keyframe_path.Field("time");
      if (auto time = checker_.Number(keyframe["time"], time_path, kNonNegative)) {
        if (previous_time && *time <= *previous_time) {
          checker_.Problem(time_path,
                           fmt::format("must be greater than the previous keyframe's time ({}), "
                                       "got {}",
                                       FormatNumber(*previous_time), FormatNumber(*time)));
        }
        out.time = *time;
        previous_time = *time;
      }
    }
    if (checker_.Require(keyframe, keyframe_path, "value") && property_known) {
      const Json& v = keyframe["value"];
      Path value_path = keyframe_path.Field("value");
      switch (property) {
        case Property::kColor:
          if (auto color = checker_.ColorValue(v, value_path)) out.color = *color;
          break;
        case Property::kX:
        case Property::kY:
          if (auto length = checker_.LengthValue(v, value_path)) {
            out.value = length->value;
            out.percent = length->percent;
          }
          break;
        default: {
          NumberRule rule = kAnyNumber;
          if (property == Property::kOpacity) rule = kUnitInterval;
          if (property == Property::kVolume) rule = {.min = 0, .max = 4};
          if (property == Property::kScale || property == Property::kScaleX ||
              property == Property::kScaleY || property == Property::kWidth ||
              property == Property::kHeight || property == Property::kBlur) {
            rule = kNonNegative;
          }
          if (auto number = checker_.Number(v, value_path, rule)) out.value = *number;
        }
      }
    }
    if (const Json* easing = Find(keyframe, "easing")) {
      out.easing = ValidateEasing(*easing, keyframe_path.Field("easing"));
    }
    animation.keyframes.push_back(std::move(out));
  }
  return animation;
}

std::optional<Easing> TemplateValidator::ValidateEasing(const Json& value, const Path& path) {
  if (value.is_string()) {
    std::string problem;
    auto easing = ParseEasingName(value.get_ref<const std::string&>(), &problem);
    if (!easing) checker_.Problem(path, std::move(problem));
    return easing;
  }
  if (!value.is_object()) {
    checker_.Problem(path, std::string(kEasingHelp) + ", got " + Describe(value));
    return std::nullopt;
  }
  checker_.CheckFields(value, path, kEasingObjectFields);
  if (!checker_.Require(value, path, "spring")) return std::nullopt;
  const Json& spring = value["spring"];
  Path spring_path = path.Field("spring");
  if (!checker_.ExpectObject(spring, spring_path)) return std::nullopt;
  checker_.CheckFields(spring, spring_path, kSpringFields);
  Easing easing = MakeEasing(EasingKind::kSpring);
  checker_.ReadNumber(spring, spring_path, "stiffness", kPositive, &easing.spring.stiffness);
  checker_.ReadNumber(spring, spring_path, "damping", kNonNegative, &easing.spring.damping);
  checker_.ReadNumber(spring, spring_path, "mass", kPositive, &easing.spring.mass);
  return easing;
}

}  // namespace vg::tmpl::internal

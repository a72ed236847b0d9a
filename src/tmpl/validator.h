// Internal: validation of a placeholder-resolved template document into a tmpl::Template,
// collecting every problem with its JSON path (TEMPLATE-FORMAT.md is the rule book). The top
// level, output, fonts and inputs are in validator.cc; tracks, clips and animations in
// clips.cc. One validator per Load call; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tmpl/checker.h"
#include "tmpl/template.h"

namespace vg::tmpl::internal {

class TemplateValidator {
 public:
  // `problems` and `limits` are borrowed for the validator's lifetime.
  TemplateValidator(ProblemList* problems, const Limits& limits)
      : checker_(problems), limits_(limits) {}

  // Fills a Template from `document`. The result is meaningful only when no problem was added.
  Template Validate(const Json& document);

 private:
  // What the clips tell about the video's length.
  struct TimingFacts {
    bool clip_gives_end = false;      // a clip has `duration` or `end` (even an invalid one)
    bool audio_gives_length = false;  // an audio clip plays its source once (no end, no loop)
  };

  void ValidateOutput(const Json& output, const Path& path, Output* out);
  void ValidateFonts(const Json& fonts, const Path& path, std::vector<FontSource>* out);
  void ValidateInputs(const Json& inputs, const Path& path);
  void ValidateTracks(const Json& tracks, const Path& path, std::vector<Track>* out);
  void ValidateTrack(const Json& track, const Path& path, Track* out);
  std::optional<Clip> ValidateClip(const Json& clip, const Path& path, ClipType type);
  void ValidateTiming(const Json& clip, const Path& path, ClipTiming* out);
  void ValidateVisual(const Json& clip, const Path& path, VisualCommon* out);
  std::optional<Transition> ValidateTransition(const Json& side, const Path& path);
  BackgroundClip ValidateBackground(const Json& clip, const Path& path);
  ImageClip ValidateImage(const Json& clip, const Path& path);
  TextClip ValidateText(const Json& clip, const Path& path);
  TextStyle ValidateStyle(const Json& style, const Path& path);
  ShapeClip ValidateShape(const Json& clip, const Path& path);
  AudioClip ValidateAudio(const Json& clip, const Path& path);
  std::optional<Gradient> ValidateGradient(const Json& gradient, const Path& path);
  std::optional<Stroke> ValidateStroke(const Json& stroke, const Path& path);
  std::vector<Animation> ValidateAnimations(const Json& animations, const Path& path,
                                            ClipType type);
  std::optional<Animation> ValidateAnimation(const Json& animation, const Path& path,
                                             ClipType type);
  std::optional<Easing> ValidateEasing(const Json& easing, const Path& path);
  // The limit on every known clip end and the "nothing determines the length" rule.
  void ValidateLength(const Template& t);

  Checker checker_;
  const Limits& limits_;
  TimingFacts timing_;
  bool duration_given_ = false;
};

// The easing named `name` (linear, easeInOutCubic, cubic-bezier(…), steps(n), the CSS
// keywords ease/ease-in/ease-out/ease-in-out), or nullopt with `*problem` set.
std::optional<Easing> ParseEasingName(std::string_view name, std::string* problem);

}  // namespace vg::tmpl::internal

// Load and KnownDuration (load.h): the placeholder step, then validation, with every problem
// gathered into one Status.
#include "tmpl/load.h"

#include <fmt/format.h>

#include <algorithm>

#include "tmpl/problems.h"
#include "tmpl/validator.h"

namespace vg::tmpl {

Result<Template> Load(const nlohmann::json& template_json, const nlohmann::json& input,
                      const Limits& limits) {
  internal::ProblemList problems;
  // ParseJson already refuses deep documents; this guards callers that built theirs otherwise,
  // since the steps below recurse along the document.
  if (internal::NestsDeeperThan(template_json, kMaxJsonDepth)) {
    problems.Add(
        "",
        fmt::format("the template nests arrays and objects deeper than {} levels", kMaxJsonDepth),
        internal::ProblemKind::kLimit);
  }
  if (internal::NestsDeeperThan(input, kMaxJsonDepth)) {
    problems.Add(
        "input",
        fmt::format("the input nests arrays and objects deeper than {} levels", kMaxJsonDepth),
        internal::ProblemKind::kLimit);
  }
  if (!problems.empty()) return problems.ToStatus();

  std::vector<ErrorDetail> placeholder_problems;
  nlohmann::json resolved = ResolvePlaceholders(template_json, input, &placeholder_problems);
  for (auto& detail : placeholder_problems) {
    problems.Add(std::move(detail.path), std::move(detail.message));
  }
  internal::TemplateValidator validator(&problems, limits);
  Template t = validator.Validate(resolved);
  if (!problems.empty()) return problems.ToStatus();
  return t;
}

std::optional<double> KnownDuration(const Template& t) {
  if (t.duration) return t.duration;
  std::optional<double> latest;
  for (const Track& track : t.tracks) {
    for (const Clip& clip : track.clips) {
      if (auto end = clip.timing.KnownEnd()) {
        latest = std::max(latest.value_or(0.0), *end);
      } else if (clip.type == ClipType::kAudio && !std::get<AudioClip>(clip.body).loop) {
        return std::nullopt;  // plays its source once: the length depends on the source
      }
    }
  }
  return latest;
}

}  // namespace vg::tmpl

// Validation of the template's top level: version, output, duration, background, fonts, the
// inputs block, the video's length, and the output/duration/font limits (validator.h).
#include "tmpl/validator.h"

#include "tmpl/load.h"

#include <fmt/format.h>

#include "tmpl/declared_inputs.h"

namespace vg::tmpl::internal {
namespace {

constexpr std::string_view kTopFields[] = {"version", "name",   "output", "duration", "background",
                                           "fonts",   "inputs", "tracks", "$schema"};
constexpr std::string_view kOutputFields[] = {"width", "height", "fps", "format", "quality", "crf"};
constexpr std::string_view kFontFields[] = {"family", "src"};
constexpr std::string_view kInputFields[] = {"type",      "default", "required",
                                             "maxLength", "min",     "max"};
// Formats the format names but we cannot write yet.
constexpr std::string_view kFutureFormats[] = {"webm", "gif", "png"};

constexpr EnumName<Quality> kQualities[] = {
    {"draft", Quality::kDraft}, {"standard", Quality::kStandard}, {"high", Quality::kHigh}};

}  // namespace

Template TemplateValidator::Validate(const Json& document) {
  Template t;
  Path root;
  if (!document.is_object()) {
    checker_.Problem(root, "the template must be a JSON object, got " + Describe(document));
    return t;
  }
  checker_.CheckFields(document, root, kTopFields);

  if (const Json* version = Find(document, "version")) {
    if (!(version->is_number() && version->get<double>() == 1)) {
      checker_.Problem(root.Field("version"),
                       "must be 1 (the only version of the format), got " + Describe(*version));
    }
  }
  checker_.ReadString(document, root, "name", /*allow_empty=*/true, &t.name);
  if (const Json* schema = Find(document, "$schema")) {
    checker_.String(*schema, root.Field("$schema"), /*allow_empty=*/true);
  }
  if (const Json* output = Find(document, "output")) {
    Path path = root.Field("output");
    if (checker_.ExpectObject(*output, path)) ValidateOutput(*output, path, &t.output);
  }
  duration_given_ = checker_.ReadNumber(document, root, "duration", kPositive, &t.duration);
  if (t.duration && *t.duration > limits_.duration_s) {
    checker_.Problem(root.Field("duration"),
                     fmt::format("the video is {} s long; the limit is {} s (LIMIT_DURATION_S)",
                                 FormatNumber(*t.duration), FormatNumber(limits_.duration_s)),
                     ProblemKind::kLimit);
  }
  checker_.ReadColor(document, root, "background", &t.background);
  if (const Json* fonts = Find(document, "fonts")) {
    ValidateFonts(*fonts, root.Field("fonts"), &t.fonts);
  }
  if (const Json* inputs = Find(document, "inputs")) {
    ValidateInputs(*inputs, root.Field("inputs"));
  }
  if (checker_.Require(document, root, "tracks")) {
    ValidateTracks(document["tracks"], root.Field("tracks"), &t.tracks);
  }
  ValidateLength(t);
  return t;
}

void TemplateValidator::ValidateOutput(const Json& output, const Path& path, Output* out) {
  checker_.CheckFields(output, path, kOutputFields);
  std::optional<int> width, height;
  checker_.ReadInt(output, path, "width", {.min = 16, .max = 7680, .even = true}, &width);
  checker_.ReadInt(output, path, "height", {.min = 16, .max = 4320, .even = true}, &height);
  if (width) out->width = *width;
  if (height) out->height = *height;
  std::optional<double> fps;
  checker_.ReadNumber(output, path, "fps", {.min = 1, .max = 120}, &fps);
  if (fps) out->fps = Rational::FromFps(*fps);
  if (const Json* format = Find(output, "format")) {
    std::string_view name;
    if (format->is_string()) name = format->get_ref<const std::string&>();
    if (name == "mp4") {
      out->format = "mp4";
    } else if (Contains(kFutureFormats, name)) {
      checker_.Problem(path.Field("format"),
                       fmt::format("\"{}\" is not supported yet; use \"mp4\"", name));
    } else {
      constexpr std::string_view kFormats[] = {"mp4"};
      checker_.ReportEnum(*format, path.Field("format"), kFormats);
    }
  }
  checker_.ReadEnum(output, path, "quality", kQualities, &out->quality);
  checker_.ReadInt(output, path, "crf", {.min = 0, .max = 51}, &out->crf);

  int64_t pixels = static_cast<int64_t>(out->width) * out->height;
  if (pixels > limits_.pixels) {
    checker_.Problem(path,
                     fmt::format("{} × {} is {} pixels; the limit is {} (LIMIT_PIXELS)", out->width,
                                 out->height, pixels, limits_.pixels),
                     ProblemKind::kLimit);
  }
}

void TemplateValidator::ValidateFonts(const Json& fonts, const Path& path,
                                      std::vector<FontSource>* out) {
  if (!checker_.ExpectArray(fonts, path)) return;
  if (static_cast<int64_t>(fonts.size()) > limits_.fonts) {
    checker_.Problem(path,
                     fmt::format("the template has {} fonts; the limit is {} (LIMIT_FONTS)",
                                 fonts.size(), limits_.fonts),
                     ProblemKind::kLimit);
  }
  for (size_t i = 0; i < fonts.size() && !checker_.full(); ++i) {
    Path font_path = path.Index(i);
    const Json& font = fonts[i];
    if (!checker_.ExpectObject(font, font_path)) continue;
    checker_.CheckFields(font, font_path, kFontFields);
    FontSource source;
    source.path = font_path.ToString();
    if (checker_.Require(font, font_path, "family")) {
      checker_.ReadString(font, font_path, "family", /*allow_empty=*/false, &source.family);
    }
    if (checker_.Require(font, font_path, "src")) {
      checker_.ReadString(font, font_path, "src", /*allow_empty=*/false, &source.src);
    }
    out->push_back(std::move(source));
  }
}

void TemplateValidator::ValidateInputs(const Json& inputs, const Path& path) {
  if (!checker_.ExpectObject(inputs, path)) return;
  for (auto it = inputs.begin(); it != inputs.end() && !checker_.full(); ++it) {
    const std::string& name = it.key();
    const Json& declaration = it.value();
    Path input_path = path.Field(name);
    if (!IsValidPlaceholderName(name)) {
      checker_.Problem(input_path,
                       "is not a valid input name: use letters, digits, '_' and '-', with dots "
                       "between parts");
    }
    if (!checker_.ExpectObject(declaration, input_path)) continue;
    checker_.CheckFields(declaration, input_path, kInputFields);
    if (const Json* type = Find(declaration, "type")) {
      if (!type->is_string() || !Contains(kInputTypes, type->get_ref<const std::string&>())) {
        checker_.ReportEnum(*type, input_path.Field("type"), kInputTypes);
      }
    }
    bool required = false;
    checker_.ReadBool(declaration, input_path, "required", &required);
    std::optional<int> max_length;
    checker_.ReadInt(declaration, input_path, "maxLength", kNonNegative, &max_length);
    std::optional<double> min, max;
    checker_.ReadNumber(declaration, input_path, "min", kAnyNumber, &min);
    checker_.ReadNumber(declaration, input_path, "max", kAnyNumber, &max);
    if (min && max && *min > *max) {
      checker_.Problem(
          input_path.Field("max"),
          fmt::format("must be >= min ({}), got {}", FormatNumber(*min), FormatNumber(*max)));
    }
    if (const Json* default_value = Find(declaration, "default")) {
      for (std::string& message : CheckDeclaredValue(declaration, *default_value)) {
        checker_.Problem(input_path.Field("default"), std::move(message));
      }
    }
  }
}

void TemplateValidator::ValidateLength(const Template& t) {
  // A top-level duration that was given but is invalid has been reported already; so has a
  // clip's invalid duration or end. Only a template that says nothing at all gets this one.
  if (!duration_given_ && !timing_.clip_gives_end && !timing_.audio_gives_length) {
    checker_.Problem(Path().Field("duration"), "required: nothing determines the video's length");
    return;
  }
  // A length that rounds to no frame at all cannot be rendered (render refuses it too).
  if (auto length = KnownDuration(t); length && RoundTimeToIndex(*length, t.output.fps) < 1) {
    checker_.Problem(Path().Field("duration"),
                     fmt::format("the video is shorter than one frame ({} s at {} fps)",
                                 FormatNumber(*length), FormatNumber(t.output.fps.ToDouble())));
  }
}

}  // namespace vg::tmpl::internal

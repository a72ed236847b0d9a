// Typed field readers with uniform problem messages (checker.h).
#include "tmpl/checker.h"

#include <fmt/format.h>

#include <charconv>

#include "tmpl/color.h"

namespace vg::tmpl::internal {
namespace {

std::string Got(const Json& value) { return ", got " + Describe(value); }

// "50%", "-12.5%": a number followed by '%'.
std::optional<double> ParsePercent(std::string_view text) {
  if (text.size() < 2 || text.back() != '%') return std::nullopt;
  text.remove_suffix(1);
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

bool NumberRule::Accepts(double value) const {
  if (!std::isfinite(value)) return false;
  if (min_exclusive ? !(value > min) : !(value >= min)) return false;
  if (max_exclusive ? !(value < max) : !(value <= max)) return false;
  if (integer && value != std::floor(value)) return false;
  if (even && std::fmod(value, 2.0) != 0) return false;
  return true;
}

std::string NumberRule::Describe() const {
  std::string noun = even ? "an even integer" : integer ? "an integer" : "a number";
  bool has_min = std::isfinite(min);
  bool has_max = std::isfinite(max);
  if (has_min && has_max && !min_exclusive && !max_exclusive) {
    return fmt::format("{} from {} to {}", noun, FormatNumber(min), FormatNumber(max));
  }
  std::string out = noun;
  if (has_min) out += fmt::format(" {} {}", min_exclusive ? ">" : ">=", FormatNumber(min));
  if (has_min && has_max) out += " and";
  if (has_max) out += fmt::format(" {} {}", max_exclusive ? "<" : "<=", FormatNumber(max));
  return out;
}

bool Contains(std::span<const std::string_view> list, std::string_view word) {
  for (std::string_view item : list) {
    if (item == word) return true;
  }
  return false;
}

std::string ColorProblem(const Json& value) {
  std::string message =
      "must be a colour (#rrggbb, #rrggbbaa, rgb(…), rgba(…) or a CSS colour name)" + Got(value);
  if (value.is_string()) {
    std::string lower = value.get_ref<const std::string&>();
    for (char& ch : lower) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    }
    message += DidYouMean(lower, ColorNames());
  }
  return message;
}

bool Checker::ExpectObject(const Json& value, const Path& path) {
  if (value.is_object()) return true;
  Problem(path, "must be an object" + Got(value));
  return false;
}

bool Checker::ExpectArray(const Json& value, const Path& path) {
  if (value.is_array()) return true;
  Problem(path, "must be an array" + Got(value));
  return false;
}

void Checker::CheckFields(const Json& object, const Path& path,
                          std::span<const std::string_view> known,
                          const UnknownFieldExplainer& explain) {
  if (!object.is_object()) return;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (full()) return;
    const std::string& key = it.key();
    if (Contains(known, key)) continue;
    std::string message = explain ? explain(key) : std::string();
    if (message.empty()) {
      message = fmt::format("unknown field {}{}", Quote(key), DidYouMean(key, known));
    }
    Problem(path.Field(key), std::move(message));
  }
}

bool Checker::Require(const Json& object, const Path& path, std::string_view key) {
  if (Find(object, key) != nullptr) return true;
  Problem(path.Field(key), "required");
  return false;
}

std::optional<double> Checker::Number(const Json& value, const Path& path, const NumberRule& rule) {
  if (value.is_number()) {
    double number = value.get<double>();
    if (rule.Accepts(number)) return number;
  }
  Problem(path, "must be " + rule.Describe() + Got(value));
  return std::nullopt;
}

std::optional<std::string> Checker::String(const Json& value, const Path& path, bool allow_empty) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (allow_empty || !text.empty()) return text;
    Problem(path, "must not be empty");
    return std::nullopt;
  }
  Problem(path, "must be a string" + Got(value));
  return std::nullopt;
}

std::optional<bool> Checker::Bool(const Json& value, const Path& path) {
  if (value.is_boolean()) return value.get<bool>();
  Problem(path, "must be true or false" + Got(value));
  return std::nullopt;
}

std::optional<Color> Checker::ColorValue(const Json& value, const Path& path) {
  if (value.is_string()) {
    if (auto color = ParseColor(value.get_ref<const std::string&>())) return color;
  }
  Problem(path, ColorProblem(value));
  return std::nullopt;
}

std::optional<Length> Checker::LengthValue(const Json& value, const Path& path) {
  if (value.is_number()) return Length{value.get<double>(), false};
  if (value.is_string()) {
    if (auto percent = ParsePercent(value.get_ref<const std::string&>())) {
      return Length{*percent, true};
    }
  }
  Problem(path, "must be a number of pixels or a percentage such as \"50%\"" + Got(value));
  return std::nullopt;
}

void Checker::ReportEnum(const Json& value, const Path& path,
                         std::span<const std::string_view> names) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) list += ", ";
    list += fmt::format("\"{}\"", names[i]);
  }
  std::string message = fmt::format("must be one of {}{}", list, Got(value));
  if (value.is_string()) message += DidYouMean(value.get_ref<const std::string&>(), names);
  Problem(path, std::move(message));
}

bool Checker::ReadNumber(const Json& object, const Path& path, std::string_view key,
                         const NumberRule& rule, double* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return false;
  if (auto number = Number(*value, path.Field(key), rule)) *out = *number;
  return true;
}

bool Checker::ReadNumber(const Json& object, const Path& path, std::string_view key,
                         const NumberRule& rule, std::optional<double>* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return false;
  if (auto number = Number(*value, path.Field(key), rule)) *out = *number;
  return true;
}

bool Checker::ReadInt(const Json& object, const Path& path, std::string_view key, NumberRule rule,
                      int* out) {
  std::optional<int> value;
  bool present = ReadInt(object, path, key, rule, &value);
  if (value) *out = *value;
  return present;
}

bool Checker::ReadInt(const Json& object, const Path& path, std::string_view key, NumberRule rule,
                      std::optional<int>* out) {
  rule.integer = true;
  const Json* value = Find(object, key);
  if (value == nullptr) return false;
  if (auto number = Number(*value, path.Field(key), rule)) {
    // Within the rule but beyond an int: no template needs such a value.
    if (std::fabs(*number) > 2147483647.0) {
      Problem(path.Field(key), "must be " + rule.Describe() + Got(*value));
    } else {
      *out = static_cast<int>(*number);
    }
  }
  return true;
}

bool Checker::ReadBool(const Json& object, const Path& path, std::string_view key, bool* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return false;
  if (auto flag = Bool(*value, path.Field(key))) *out = *flag;
  return true;
}

bool Checker::ReadString(const Json& object, const Path& path, std::string_view key,
                         bool allow_empty, std::string* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return false;
  if (auto text = String(*value, path.Field(key), allow_empty)) *out = std::move(*text);
  return true;
}

bool Checker::ReadColor(const Json& object, const Path& path, std::string_view key, Color* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return false;
  if (auto color = ColorValue(*value, path.Field(key))) *out = *color;
  return true;
}

bool Checker::ReadColor(const Json& object, const Path& path, std::string_view key,
                        std::optional<Color>* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) return false;
  if (auto color = ColorValue(*value, path.Field(key))) *out = *color;
  return true;
}

}  // namespace vg::tmpl::internal

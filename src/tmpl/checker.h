// Internal: typed readers for template fields. Each reader checks one JSON value against the
// format (type, range, enum names, colour syntax), reports a plain problem at its path when it
// does not fit ("must be a number >= 0, got \"soon\"") and never throws. The validator
// (validator.h) is written in terms of these so every field reports problems the same way.
// Not thread-safe: one Checker per Load call.
#pragma once

#include <cmath>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tmpl/problems.h"
#include "tmpl/template.h"

namespace vg::tmpl::internal {

// The accepted range of a number field. Bounds are inclusive unless marked exclusive.
struct NumberRule {
  double min = -HUGE_VAL;
  double max = HUGE_VAL;
  bool min_exclusive = false;
  bool max_exclusive = false;
  bool integer = false;
  bool even = false;

  bool Accepts(double value) const;
  // "a number >= 0", "an integer from 0 to 51", "an even integer from 16 to 7680".
  std::string Describe() const;
};

inline constexpr NumberRule kAnyNumber{};
inline constexpr NumberRule kNonNegative{.min = 0};
inline constexpr NumberRule kPositive{.min = 0, .min_exclusive = true};
inline constexpr NumberRule kUnitInterval{.min = 0, .max = 1};

// One accepted spelling of an enum field.
template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

bool Contains(std::span<const std::string_view> list, std::string_view word);

class Checker {
 public:
  explicit Checker(ProblemList* problems) : problems_(problems) {}

  // Explains an unknown key better than "unknown field" (or returns "" for the default).
  using UnknownFieldExplainer = std::function<std::string(std::string_view key)>;

  void Problem(const Path& path, std::string message, ProblemKind kind = ProblemKind::kFormat) {
    problems_->Add(path, std::move(message), kind);
  }
  // True once a problem had to be dropped for the cap: further checking is wasted work.
  bool full() const { return problems_->truncated(); }

  bool ExpectObject(const Json& value, const Path& path);
  bool ExpectArray(const Json& value, const Path& path);

  // Reports every key of `object` that is not in `known`, with a suggestion when a known name
  // is within edit distance 2.
  void CheckFields(const Json& object, const Path& path, std::span<const std::string_view> known,
                   const UnknownFieldExplainer& explain = {});

  // Reports "required" at path.key when `object` has no `key`; returns whether it is there.
  bool Require(const Json& object, const Path& path, std::string_view key);

  std::optional<double> Number(const Json& value, const Path& path, const NumberRule& rule);
  std::optional<std::string> String(const Json& value, const Path& path, bool allow_empty);
  std::optional<bool> Bool(const Json& value, const Path& path);
  std::optional<Color> ColorValue(const Json& value, const Path& path);
  // A number of pixels or a percentage string ("50%").
  std::optional<Length> LengthValue(const Json& value, const Path& path);

  template <typename E, size_t N>
  std::optional<E> Enum(const Json& value, const Path& path, const EnumName<E> (&names)[N]) {
    if (value.is_string()) {
      const auto& text = value.get_ref<const std::string&>();
      for (const auto& entry : names) {
        if (entry.name == text) return entry.value;
      }
    }
    std::vector<std::string_view> spellings;
    for (const auto& entry : names) spellings.push_back(entry.name);
    ReportEnum(value, path, spellings);
    return std::nullopt;
  }
  void ReportEnum(const Json& value, const Path& path, std::span<const std::string_view> names);

  // Field readers: when `key` is present and valid, store it in *out. Absent or invalid fields
  // leave *out unchanged (invalid ones are reported). Return whether the key is present.
  bool ReadNumber(const Json& object, const Path& path, std::string_view key,
                  const NumberRule& rule, double* out);
  bool ReadNumber(const Json& object, const Path& path, std::string_view key,
                  const NumberRule& rule, std::optional<double>* out);
  bool ReadInt(const Json& object, const Path& path, std::string_view key, NumberRule rule,
               int* out);
  bool ReadInt(const Json& object, const Path& path, std::string_view key, NumberRule rule,
               std::optional<int>* out);
  bool ReadBool(const Json& object, const Path& path, std::string_view key, bool* out);
  bool ReadString(const Json& object, const Path& path, std::string_view key, bool allow_empty,
                  std::string* out);
  bool ReadColor(const Json& object, const Path& path, std::string_view key, Color* out);
  bool ReadColor(const Json& object, const Path& path, std::string_view key,
                 std::optional<Color>* out);
  template <typename E, size_t N>
  bool ReadEnum(const Json& object, const Path& path, std::string_view key,
                const EnumName<E> (&names)[N], E* out) {
    const Json* value = Find(object, key);
    if (value == nullptr) return false;
    if (auto parsed = Enum(*value, path.Field(key), names)) *out = *parsed;
    return true;
  }

 private:
  ProblemList* problems_;
};

// The message for a value that is not a colour ("must be a colour …, got …").
std::string ColorProblem(const Json& value);

}  // namespace vg::tmpl::internal

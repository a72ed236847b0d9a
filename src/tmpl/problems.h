// Internal helpers shared by the template parser's steps (placeholders, validation): JSON paths
// built lazily, the capped problem list, and the small text helpers every message needs
// (a value shown as the user wrote it, numbers as a person writes them, "did you mean").
// Not part of the module's public API; nothing outside src/tmpl includes this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vg::tmpl::internal {

using Json = nlohmann::json;

// A JSON path ("tracks[1].clips[0].start") as a chain of nodes living on the caller's stack.
// A child borrows its parent and the key's characters: both must outlive the child. The text
// is built only when a problem needs it, so validating a large document costs no strings.
class Path {
 public:
  Path() = default;  // the document root (renders as "")
  // A root with a fixed prefix, e.g. "input" (the prefix is borrowed).
  explicit Path(std::string_view prefix) : kind_(Kind::kField), key_(prefix) {}

  Path Field(std::string_view key) const { return Path(this, Kind::kField, key, 0); }
  Path Index(size_t index) const { return Path(this, Kind::kIndex, {}, index); }

  std::string ToString() const;

 private:
  enum class Kind { kRoot, kField, kIndex };
  Path(const Path* parent, Kind kind, std::string_view key, size_t index)
      : parent_(parent), kind_(kind), key_(key), index_(index) {}
  void AppendTo(std::string* out) const;

  const Path* parent_ = nullptr;
  Kind kind_ = Kind::kRoot;
  std::string_view key_;
  size_t index_ = 0;
};

enum class ProblemKind { kFormat, kLimit };

// Problems found in one Load, in the order found, capped at kMaxProblems so a hostile document
// cannot produce a gigantic answer. Not thread-safe (one per Load call).
class ProblemList {
 public:
  static constexpr size_t kMaxProblems = 100;

  void Add(std::string path, std::string message, ProblemKind kind = ProblemKind::kFormat);
  void Add(const Path& path, std::string message, ProblemKind kind = ProblemKind::kFormat) {
    if (!full())
      Add(path.ToString(), std::move(message), kind);
    else
      dropped_ = true;
  }

  bool full() const { return details_.size() >= kMaxProblems; }
  bool empty() const { return details_.empty(); }
  size_t size() const { return details_.size(); }
  bool truncated() const { return dropped_; }
  bool only_limits() const { return !details_.empty() && format_count_ == 0 && !dropped_; }

  // The final status: kInvalidTemplate ("The template has N problems."), or kLimitExceeded
  // when every problem is a limit. Precondition: !empty().
  Status ToStatus() const;

 private:
  std::vector<ErrorDetail> details_;
  size_t format_count_ = 0;
  bool dropped_ = false;
};

// The value of `key` in `object`, or nullptr when absent (or when `object` is not an object).
const Json* Find(const Json& object, std::string_view key);

// A JSON value as shown in messages after "got": strings quoted and shortened, numbers as a
// person writes them, objects and arrays by kind ("an object"). Never recurses.
std::string Describe(const Json& value);

// A number as a person writes it: 49 not 49.000000, 0.1 not 0.10000000000000001.
std::string FormatNumber(double value);
// The text a non-string JSON value contributes inside a longer string (numbers as above).
std::string ValueAsText(const Json& value);

// The string quoted as JSON would write it, shortened to about `max_chars` code points.
std::string Quote(std::string_view text, size_t max_chars = 40);

// Unicode code points in valid UTF-8 text.
size_t CodePointCount(std::string_view text);

// Edit distance counting an adjacent transposition as one edit; the closest candidate within
// distance 2 (1 for words of up to 3 characters; ties: the first listed).
size_t EditDistance(std::string_view a, std::string_view b);
std::optional<std::string_view> Suggest(std::string_view word,
                                        std::span<const std::string_view> candidates);

// "; did you mean \"duration\"?" or "" when nothing is close.
std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates);

// True when `value` nests deeper than `max_depth` arrays/objects (checked without recursion).
bool NestsDeeperThan(const Json& value, int max_depth);

// A human size: "512 bytes", "12.5 KiB", "1.2 MiB".
std::string FormatBytes(int64_t bytes);

}  // namespace vg::tmpl::internal

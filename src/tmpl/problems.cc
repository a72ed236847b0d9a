// Paths, the capped problem list and message helpers for the template parser (problems.h).
#include "tmpl/problems.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vg::tmpl::internal {
namespace {

bool IsPlainKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '$';
    if (!ok) return false;
  }
  return true;
}

// Length in bytes of the UTF-8 sequence starting at text[i], or 0 when it is not valid.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

void Path::AppendTo(std::string* out) const {
  if (parent_ != nullptr) parent_->AppendTo(out);
  switch (kind_) {
    case Kind::kRoot:
      break;
    case Kind::kField:
      if (IsPlainKey(key_)) {
        if (!out->empty()) out->push_back('.');
        out->append(key_);
      } else {
        out->append("[");
        out->append(Quote(key_, 1000));
        out->append("]");
      }
      break;
    case Kind::kIndex:
      out->append(fmt::format("[{}]", index_));
      break;
  }
}

std::string Path::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

void ProblemList::Add(std::string path, std::string message, ProblemKind kind) {
  if (full()) {
    dropped_ = true;
    return;
  }
  if (kind == ProblemKind::kFormat) ++format_count_;
  details_.push_back(ErrorDetail{std::move(path), std::move(message)});
}

Status ProblemList::ToStatus() const {
  std::vector<ErrorDetail> details = details_;
  std::string message;
  if (dropped_) {
    details.push_back(ErrorDetail{
        "", fmt::format("…and more (only the first {} problems are listed)", kMaxProblems)});
    message = fmt::format("The template has more than {} problems.", kMaxProblems);
  } else if (details.size() == 1) {
    message = "The template has 1 problem.";
  } else {
    message = fmt::format("The template has {} problems.", details.size());
  }
  ErrorCode code = only_limits() ? ErrorCode::kLimitExceeded : ErrorCode::kInvalidTemplate;
  return Status(code, std::move(message), std::move(details));
}

const Json* Find(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string FormatNumber(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);  // shortest text that reads back as the same double
}

std::string ValueAsText(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get_ref<const std::string&>();
    case Json::value_t::number_integer:
      return fmt::format("{}", value.get<int64_t>());
    case Json::value_t::number_unsigned:
      return fmt::format("{}", value.get<uint64_t>());
    case Json::value_t::number_float:
      return FormatNumber(value.get<double>());
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::null:
      return "null";
    default:
      // Arrays and objects as compact JSON; invalid UTF-8 cannot occur in parsed JSON, but a
      // caller-built value might hold it, so replace rather than throw.
      return value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

std::string Quote(std::string_view text, size_t max_chars) {
  std::string out = "\"";
  size_t chars = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (chars == max_chars) {
      out += "…";
      break;
    }
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += "\uFFFD";
      ++i;
      ++chars;
      continue;
    }
    char c = text[i];
    if (n == 1) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<int>(c));
          } else {
            out.push_back(c);
          }
      }
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
    ++chars;
  }
  out += "\"";
  return out;
}

std::string Describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return Quote(value.get_ref<const std::string&>());
    case Json::value_t::object:
      return value.empty() ? "an empty object" : "an object";
    case Json::value_t::array:
      return value.empty() ? "an empty array" : "an array";
    case Json::value_t::discarded:
      return "nothing";
    default:
      return ValueAsText(value);
  }
}

size_t CodePointCount(std::string_view text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and adjacent
  // transpositions ("widht" → "width") each cost 1.
  const size_t columns = b.size() + 1;
  std::vector<size_t> previous2(columns), previous(columns), current(columns);
  for (size_t j = 0; j < columns; ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j < columns; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], previous2[j - 2] + 1);
      }
    }
    std::swap(previous2, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string_view> Suggest(std::string_view word,
                                        std::span<const std::string_view> candidates) {
  // Long words cost quadratic time and are never typos of our short names.
  if (word.size() > 40) return std::nullopt;
  std::optional<std::string_view> best;
  // Within 2 edits; within 1 for words of 3 letters or fewer ("url" is not a typo of "src").
  size_t best_distance = word.size() <= 3 ? 2 : 3;
  for (std::string_view candidate : candidates) {
    size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates) {
  auto suggestion = Suggest(word, candidates);
  if (!suggestion) return "";
  return fmt::format("; did you mean \"{}\"?", *suggestion);
}

bool NestsDeeperThan(const Json& value, int max_depth) {
  struct Frame {
    const Json* value;
    int depth;
  };
  std::vector<Frame> stack{{&value, 0}};
  while (!stack.empty()) {
    Frame frame = stack.back();
    stack.pop_back();
    if (!frame.value->is_structured()) continue;
    int depth = frame.depth + 1;
    if (depth > max_depth) return true;
    for (const Json& child : *frame.value) {
      if (child.is_structured()) stack.push_back({&child, depth});
    }
  }
  return false;
}

std::string FormatBytes(int64_t bytes) {
  constexpr double kKiB = 1024.0;
  constexpr double kMiB = 1024.0 * 1024.0;
  auto one_decimal = [](double v) {
    std::string s = fmt::format("{:.1f}", v);
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s;
  };
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  if (bytes < 1024 * 1024) return one_decimal(static_cast<double>(bytes) / kKiB) + " KiB";
  return one_decimal(static_cast<double>(bytes) / kMiB) + " MiB";
}

}  // namespace vg::tmpl::internal

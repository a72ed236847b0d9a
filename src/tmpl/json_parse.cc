// ParseJson (load.h): JSON text → nlohmann::json with the size and nesting limits enforced
// while parsing. nlohmann's SAX parser is iterative; our own DOM builder below refuses to open
// a container deeper than kMaxJsonDepth, which stops the parse at once, so a 1 MiB "[[[[…"
// never builds a deep tree (whose destruction or later walks could exhaust the stack).
// Texts up to kFastParseMaxBytes go through simdjson first (several times faster at lexing),
// its document converted to the same nlohmann value; whenever simdjson refuses a text, or the
// text has something whose reading could differ (a \u escape of a surrogate, the integer -0,
// nesting past the limit), the nlohmann parse decides, so results and error messages are
// exactly nlohmann's.
// No exception leaves this file.
#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "tmpl/load.h"
#include "tmpl/problems.h"

namespace vg::tmpl {
namespace {

using Json = nlohmann::json;

// Builds the document like nlohmann's json_sax_dom_parser, but counts depth and keeps the
// parse error instead of throwing it.
class DepthLimitedBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit DepthLimitedBuilder(Json* root) : root_(root) {}

  bool null() { return Put(nullptr); }
  bool boolean(bool value) { return Put(value); }
  bool number_integer(number_integer_t value) { return Put(value); }
  bool number_unsigned(number_unsigned_t value) { return Put(value); }
  bool number_float(number_float_t value, const string_t& /*text*/) { return Put(value); }
  bool string(string_t& value) { return Put(std::move(value)); }
  bool binary(binary_t& value) { return Put(Json::binary(std::move(value))); }

  bool start_object(std::size_t /*elements*/) { return Open(Json::value_t::object); }
  bool start_array(std::size_t /*elements*/) { return Open(Json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(string_t& key) {
    // Duplicate keys: the last one wins, as JavaScript's JSON.parse does.
    key_slot_ = &(*stack_.back())[key];
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const Json::exception& error) {
    error_position_ = position;
    error_what_ = error.what();
    return false;
  }

  bool too_deep() const { return too_deep_; }
  const std::string& error_what() const { return error_what_; }
  std::size_t error_position() const { return error_position_; }

 private:
  template <typename Value>
  Json* Store(Value&& value) {
    if (stack_.empty()) {
      *root_ = Json(std::forward<Value>(value));
      return root_;
    }
    Json* parent = stack_.back();
    if (parent->is_array()) {
      auto& array = parent->get_ref<Json::array_t&>();
      array.emplace_back(std::forward<Value>(value));
      return &array.back();
    }
    *key_slot_ = Json(std::forward<Value>(value));
    return key_slot_;
  }
  template <typename Value>
  bool Put(Value&& value) {
    Store(std::forward<Value>(value));
    return true;
  }
  bool Open(Json::value_t type) {
    if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      too_deep_ = true;
      return false;  // stops the parser here
    }
    stack_.push_back(Store(type));
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  Json* root_;
  std::vector<Json*> stack_;
  Json* key_slot_ = nullptr;
  bool too_deep_ = false;
  std::string error_what_;
  std::size_t error_position_ = 0;
};

// "line 3, column 14" for the byte at `offset` (columns count code points, from 1).
std::string LineAndColumn(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  std::size_t column = internal::CodePointCount(text.substr(line_start, offset - line_start)) + 1;
  return fmt::format("line {}, column {}", line, column);
}

// nlohmann's message is "[json.exception.parse_error.101] parse error at line 1, column 5:
// syntax error while parsing value - invalid literal; last read: 'tru?'". Keep the part a
// person needs ("invalid literal; last read: 'tru?'"), short and valid UTF-8.
std::string ParserReason(const std::string& what) {
  std::string_view reason = what;
  // nlohmann prefixes its messages with "[json.exception.<kind>.<id>] ": an internal detail.
  if (reason.starts_with("[json.exception.")) {
    if (auto close = reason.find("] "); close != std::string_view::npos)
      reason.remove_prefix(close + 2);
  }
  if (auto dash = reason.find(" - "); dash != std::string_view::npos) {
    reason.remove_prefix(dash + 3);
  } else if (auto colon = reason.find(": "); colon != std::string_view::npos) {
    reason.remove_prefix(colon + 2);
  }
  // Quote() escapes, shortens and repairs UTF-8; drop its surrounding quotes.
  std::string quoted = internal::Quote(reason, 100);
  return quoted.substr(1, quoted.size() - 2);
}

// The largest text the simdjson path takes: its parser keeps buffers of about 10× the largest
// document it read, per thread; larger texts (rare, and dominated by other costs) skip it.
constexpr size_t kFastParseMaxBytes = 64 * 1024;

// simdjson's element as the nlohmann value nlohmann's parser would build from the same text.
// False when that cannot be sure (the caller then parses with nlohmann).
bool Convert(simdjson::dom::element element, int depth, Json* out) {
  using Type = simdjson::dom::element_type;
  switch (element.type()) {
    case Type::ARRAY: {
      if (depth >= kMaxJsonDepth) return false;
      *out = Json::array();
      auto& array = out->get_ref<Json::array_t&>();
      simdjson::dom::array items;
      if (element.get_array().get(items) != simdjson::SUCCESS) return false;
      array.reserve(items.size());
      for (simdjson::dom::element item : items) {
        if (!Convert(item, depth + 1, &array.emplace_back())) return false;
      }
      return true;
    }
    case Type::OBJECT: {
      if (depth >= kMaxJsonDepth) return false;
      *out = Json::object();
      auto& object = out->get_ref<Json::object_t&>();
      simdjson::dom::object members;
      if (element.get_object().get(members) != simdjson::SUCCESS) return false;
      for (simdjson::dom::key_value_pair member : members) {
        // Duplicate keys: the last one wins, as in DepthLimitedBuilder.
        if (!Convert(member.value, depth + 1, &object[std::string(member.key)])) return false;
      }
      return true;
    }
    case Type::INT64: {
      // nlohmann reads a number without a sign as unsigned, with one as signed.
      const int64_t value = element.get_int64().value_unsafe();
      if (value >= 0) {
        *out = static_cast<uint64_t>(value);
      } else {
        *out = value;
      }
      return true;
    }
    case Type::UINT64:
      *out = element.get_uint64().value_unsafe();
      return true;
    case Type::DOUBLE: {
      const double value = element.get_double().value_unsafe();
      // A negative zero: let nlohmann read it (its integer or double reading follows the text).
      if (value == 0 && std::signbit(value)) return false;
      *out = value;
      return true;
    }
    case Type::STRING:
      *out = std::string(element.get_string().value_unsafe());
      return true;
    case Type::BOOL:
      *out = element.get_bool().value_unsafe();
      return true;
    case Type::NULL_VALUE:
      *out = nullptr;
      return true;
  }
  return false;
}

// Whether `text` has something simdjson could read differently from nlohmann: a \u escape of a
// UTF-16 surrogate ("\ud83d", judged differently when unpaired) or the integer -0 (signed for
// nlohmann, simdjson's 0 has no sign). Conservative: a match inside a string counts too.
bool NeedsNlohmann(std::string_view text) {
  for (size_t at = text.find("\\u"); at != std::string_view::npos; at = text.find("\\u", at + 2)) {
    if (at + 2 < text.size() && (text[at + 2] == 'd' || text[at + 2] == 'D')) return true;
  }
  for (size_t at = text.find("-0"); at != std::string_view::npos; at = text.find("-0", at + 2)) {
    // The number -0 ends there (a digit after it would be invalid JSON; "-0.5" is a double);
    // "2026-01-05" in a string does not count.
    const char next = at + 2 < text.size() ? text[at + 2] : ' ';
    if (next == ' ' || next == '\t' || next == '\r' || next == '\n' || next == ',' || next == ']' ||
        next == '}') {
      return true;
    }
  }
  return false;
}

// The simdjson path; false (and `out` unspecified) when the nlohmann parse must decide.
bool FastParse(std::string_view text, Json* out) {
  if (text.size() > kFastParseMaxBytes || NeedsNlohmann(text)) return false;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  // realloc_if_needed: the text is copied into a padded buffer (simdjson reads past the end).
  if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root) !=
      simdjson::SUCCESS) {
    return false;
  }
  return Convert(root, 0, out);
}

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text, std::string_view what,
                                 const Limits& limits) {
  if (static_cast<int64_t>(text.size()) > limits.template_bytes) {
    std::string size = internal::FormatBytes(static_cast<int64_t>(text.size()));
    std::string limit = internal::FormatBytes(limits.template_bytes);
    if (size == limit) {
      size = fmt::format("{} bytes", text.size());
      limit = fmt::format("{} bytes", limits.template_bytes);
    }
    return Status(
        ErrorCode::kLimitExceeded,
        fmt::format("{} is {}; the limit is {} (LIMIT_TEMPLATE_BYTES)", what, size, limit));
  }
  Json root;
  try {
    if (FastParse(text, &root)) return root;
  } catch (const std::exception&) {
    // Allocation failures and the like: the nlohmann parse below reports them.
  }
  root = Json();
  DepthLimitedBuilder builder(&root);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    // The SAX parser reports syntax errors through parse_error(); only allocation failures
    // and the like can throw here.
    return Status(ErrorCode::kInvalidJson,
                  fmt::format("the {} could not be parsed: {}", what, e.what()));
  }
  if (builder.too_deep()) {
    return Status(
        ErrorCode::kLimitExceeded,
        fmt::format("the {} nests arrays and objects deeper than {} levels", what, kMaxJsonDepth));
  }
  if (!ok) {
    // nlohmann's position counts the bytes read, including the offending one.
    std::size_t offset = builder.error_position() > 0 ? builder.error_position() - 1 : 0;
    std::string where = LineAndColumn(text, offset);
    if (builder.error_what().find("UTF-8") != std::string::npos) {
      return Status(ErrorCode::kInvalidJson,
                    fmt::format("the {} is not valid JSON: invalid UTF-8 at {}", what, where));
    }
    // A number too large for a double is well-formed JSON text but cannot be read.
    const bool out_of_range = builder.error_what().find("out_of_range") != std::string::npos;
    return Status(ErrorCode::kInvalidJson,
                  fmt::format("the {} is not valid JSON: {} at {}: {}", what,
                              out_of_range ? "number out of range" : "syntax error", where,
                              ParserReason(builder.error_what())));
  }
  return root;
}

}  // namespace vg::tmpl

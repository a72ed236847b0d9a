// The placeholder step (TEMPLATE-FORMAT.md "Placeholders") and `--set` (CLI.md): fills
// {{name}} in every string of a template from the input, the declared defaults, or reports
// what is missing. Resolution happens once, before validation, and inserted values are never
// scanned again (an input holding "{{x}}" stays literal text).
#include <fmt/format.h>

#include <set>
#include <string>

#include "tmpl/declared_inputs.h"
#include "tmpl/load.h"
#include "tmpl/problems.h"

namespace vg::tmpl {
namespace {

using internal::Json;
using internal::Path;

// Deeper JSON than this is refused by ParseJson; a caller-built document is not walked further.
constexpr int kMaxWalkDepth = 4 * kMaxJsonDepth;

std::string_view TrimSpaces(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

class Resolver {
 public:
  Resolver(const Json& template_json, const Json& input)
      : declared_(FindInputs(template_json)), input_(input) {}

  // Declared inputs: required ones present, types and bounds of the values given.
  void CheckDeclaredInputs() {
    if (!input_.is_object() && !input_.is_null()) {
      AddInputProblem("input", "must be a JSON object, got " + internal::Describe(input_));
    }
    if (declared_ == nullptr || !declared_->is_object()) return;
    for (auto it = declared_->begin(); it != declared_->end(); ++it) {
      const std::string& name = it.key();
      const Json& declaration = it.value();
      if (!declaration.is_object()) continue;  // the validator reports it
      const Json* value = InputValue(name);
      if (value == nullptr) {
        const Json* required = internal::Find(declaration, "required");
        if (required != nullptr && required->is_boolean() && required->get<bool>()) {
          AddInputProblem("input." + name,
                          fmt::format("required input {} has no value", internal::Quote(name)));
          reported_missing_.insert(name);
        }
        continue;
      }
      for (std::string& message : internal::CheckDeclaredValue(declaration, *value)) {
        AddInputProblem("input." + name, std::move(message));
      }
    }
  }

  void Walk(Json* node, const Path& path, int depth) {
    if (Full() || depth > kMaxWalkDepth) return;
    if (node->is_string()) {
      ResolveString(node, path);
    } else if (node->is_object()) {
      for (auto it = node->begin(); it != node->end(); ++it) {
        // The inputs block declares placeholders; it is not itself resolved.
        if (depth == 0 && it.key() == "inputs") continue;
        Walk(&it.value(), path.Field(it.key()), depth + 1);
      }
    } else if (node->is_array()) {
      for (size_t i = 0; i < node->size(); ++i) Walk(&(*node)[i], path.Index(i), depth + 1);
    }
  }

  // Input problems first, then problems at template paths, each in the order found.
  void TakeProblems(std::vector<ErrorDetail>* out) {
    for (auto* list : {&input_problems_, &template_problems_}) {
      for (auto& detail : *list) out->push_back(std::move(detail));
    }
  }

 private:
  static const Json* FindInputs(const Json& template_json) {
    return internal::Find(template_json, "inputs");
  }

  bool Full() const {
    return input_problems_.size() + template_problems_.size() > internal::ProblemList::kMaxProblems;
  }
  void AddInputProblem(std::string path, std::string message) {
    if (!Full()) input_problems_.push_back({std::move(path), std::move(message)});
  }
  void AddTemplateProblem(const Path& path, std::string message) {
    if (!Full()) template_problems_.push_back({path.ToString(), std::move(message)});
  }

  // The caller's value for `name` (a dotted path into the input); null counts as absent.
  const Json* InputValue(std::string_view name) const {
    const Json* value = internal::FindDotted(input_, name);
    return value == nullptr || value->is_null() ? nullptr : value;
  }

  // The input's value, else the declared default (of the name itself, or of its first segment
  // followed into by the rest of the path), else nullptr.
  const Json* Lookup(std::string_view name) const {
    if (const Json* value = InputValue(name)) return value;
    if (declared_ == nullptr || !declared_->is_object()) return nullptr;
    auto default_of = [&](std::string_view declared_name) -> const Json* {
      const Json* declaration = internal::Find(*declared_, declared_name);
      return declaration == nullptr ? nullptr : internal::Find(*declaration, "default");
    };
    const Json* found = default_of(name);
    if (found == nullptr) {
      size_t dot = name.find('.');
      if (dot != std::string_view::npos) {
        if (const Json* root_default = default_of(name.substr(0, dot))) {
          found = internal::FindDotted(*root_default, name.substr(dot + 1));
        }
      }
    }
    return found == nullptr || found->is_null() ? nullptr : found;
  }

  void ReportMissing(std::string_view name) {
    std::string key(name);
    if (!reported_missing_.insert(key).second) return;
    AddInputProblem(
        "input." + key,
        fmt::format("required placeholder {{{{{}}}}} has no value and no default", name));
  }

  void ResolveString(Json* node, const Path& path) {
    const std::string& text = node->get_ref<const std::string&>();
    if (text.find("{{") == std::string::npos) return;  // also covers "\{{"
    std::string out;
    out.reserve(text.size());
    const Json* whole_value = nullptr;
    int placeholders = 0;
    bool has_literal_text = false;
    bool all_found = true;
    size_t i = 0;
    while (i < text.size()) {
      if (text[i] == '\\' && text.compare(i + 1, 2, "{{") == 0) {
        out += "{{";
        i += 3;
        has_literal_text = true;
        continue;
      }
      if (text.compare(i, 2, "{{") != 0) {
        out += text[i];
        ++i;
        has_literal_text = true;
        continue;
      }
      size_t close = text.find("}}", i + 2);
      if (close == std::string::npos) {
        AddTemplateProblem(path,
                           "unterminated placeholder: \"{{\" without a closing \"}}\" "
                           "(write \\{{ for a literal \"{{\")");
        return;
      }
      std::string_view raw = std::string_view(text).substr(i, close + 2 - i);
      std::string_view name = TrimSpaces(raw.substr(2, raw.size() - 4));
      if (!internal::IsValidPlaceholderName(name)) {
        AddTemplateProblem(path, fmt::format("{} is not a valid placeholder: a name is letters, "
                                             "digits, '_' and '-', with dots between parts",
                                             internal::Quote(raw)));
        return;
      }
      ++placeholders;
      const Json* value = Lookup(name);
      if (value == nullptr) {
        ReportMissing(name);
        all_found = false;
      } else {
        out += internal::ValueAsText(*value);
        whole_value = value;
      }
      i = close + 2;
    }
    if (!all_found) return;  // the template is refused anyway; keep the text as written
    if (placeholders == 1 && !has_literal_text) {
      // A string that is exactly one placeholder takes the value's JSON type.
      *node = *whole_value;
      return;
    }
    *node = std::move(out);
  }

  const Json* declared_;
  const Json& input_;
  std::set<std::string> reported_missing_;
  std::vector<ErrorDetail> input_problems_;
  std::vector<ErrorDetail> template_problems_;
};

}  // namespace

nlohmann::json ResolvePlaceholders(const nlohmann::json& template_json, const nlohmann::json& input,
                                   std::vector<ErrorDetail>* problems) {
  Json resolved = template_json;
  Resolver resolver(template_json, input);
  resolver.CheckDeclaredInputs();
  resolver.Walk(&resolved, Path(), 0);
  resolver.TakeProblems(problems);
  return resolved;
}

Status ApplySet(const nlohmann::json& template_json, std::string_view assignment,
                nlohmann::json* input) {
  size_t equals = assignment.find('=');
  if (equals == std::string_view::npos) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("--set needs NAME=VALUE, got {}", internal::Quote(assignment)));
  }
  std::string_view name = TrimSpaces(assignment.substr(0, equals));
  std::string_view raw = assignment.substr(equals + 1);
  if (!internal::IsValidPlaceholderName(name)) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("--set needs NAME=VALUE with a name of letters, digits, '_' and "
                              "'-' (dots between parts), got {}",
                              internal::Quote(assignment)));
  }

  // A value declared as text (string, color, image, audio, video) keeps the raw text, so
  // "--set zip=01234" stays "01234"; otherwise JSON when it parses, else text.
  bool raw_text = false;
  if (const Json* inputs = internal::Find(template_json, "inputs")) {
    if (const Json* declaration = internal::Find(*inputs, name)) {
      const Json* type = internal::Find(*declaration, "type");
      raw_text = type != nullptr && type->is_string() &&
                 internal::IsTextInputType(type->get_ref<const std::string&>());
    }
  }
  Json value = std::string(raw);
  if (!raw_text) {
    auto parsed = ParseJson(raw, "value", Limits{});
    if (parsed.ok()) value = std::move(parsed).value();
  }

  if (input->is_null()) *input = Json::object();
  if (!input->is_object()) {
    return Status(ErrorCode::kInvalidArgument, "the input must be a JSON object");
  }
  Json* node = input;
  std::string_view rest = name;
  std::string walked;
  while (true) {
    size_t dot = rest.find('.');
    std::string segment(rest.substr(0, dot));
    bool last = dot == std::string_view::npos;
    if (node->is_null()) *node = Json::object();
    if (node->is_object()) {
      node = &(*node)[segment];
    } else if (node->is_array() && !segment.empty() &&
               segment.find_first_not_of("0123456789") == std::string::npos &&
               segment.size() < 10 && std::stoul(segment) <= node->size()) {
      size_t index = std::stoul(segment);
      if (index == node->size()) node->push_back(nullptr);
      node = &(*node)[index];
    } else {
      return Status(ErrorCode::kInvalidArgument,
                    fmt::format("--set {}: {} is not an object", name, internal::Quote(walked)));
    }
    if (last) break;
    if (!walked.empty()) walked += '.';
    walked += segment;
    rest.remove_prefix(dot + 1);
  }
  *node = std::move(value);
  return Status::Ok();
}

}  // namespace vg::tmpl

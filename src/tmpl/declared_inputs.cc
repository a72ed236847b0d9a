// Declared-input rules (declared_inputs.h).
#include "tmpl/declared_inputs.h"

#include <fmt/format.h>

#include <charconv>

#include "tmpl/checker.h"
#include "tmpl/color.h"

namespace vg::tmpl::internal {

bool IsTextInputType(std::string_view type) {
  return type == "string" || type == "color" || type == "image" || type == "audio" ||
         type == "video";
}

std::vector<std::string> CheckDeclaredValue(const Json& declaration, const Json& value) {
  std::vector<std::string> problems;
  const Json* type = Find(declaration, "type");
  std::string_view type_name;
  if (type != nullptr && type->is_string()) type_name = type->get_ref<const std::string&>();
  std::string got = ", got " + Describe(value);
  if (type_name == "string") {
    if (!value.is_string()) problems.push_back("must be a string" + got);
  } else if (type_name == "number") {
    if (!value.is_number()) problems.push_back("must be a number" + got);
  } else if (type_name == "boolean") {
    if (!value.is_boolean()) problems.push_back("must be true or false" + got);
  } else if (type_name == "color") {
    if (!value.is_string() || !ParseColor(value.get_ref<const std::string&>())) {
      problems.push_back(ColorProblem(value));
    }
  } else if (type_name == "image" || type_name == "audio" || type_name == "video") {
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
      problems.push_back(fmt::format("must be a string with the {}'s src (a path, an http(s) URL "
                                     "or a data: URI)",
                                     type_name) +
                         got);
    }
  }
  const Json* max_length = Find(declaration, "maxLength");
  if (max_length != nullptr && max_length->is_number() && value.is_string()) {
    size_t length = CodePointCount(value.get_ref<const std::string&>());
    double limit = max_length->get<double>();
    if (static_cast<double>(length) > limit) {
      problems.push_back(fmt::format("must be at most {} characters long, got {} characters",
                                     FormatNumber(limit), length));
    }
  }
  if (value.is_number()) {
    double number = value.get<double>();
    const Json* min = Find(declaration, "min");
    if (min != nullptr && min->is_number() && number < min->get<double>()) {
      problems.push_back(fmt::format("must be >= {}{}", FormatNumber(min->get<double>()), got));
    }
    const Json* max = Find(declaration, "max");
    if (max != nullptr && max->is_number() && number > max->get<double>()) {
      problems.push_back(fmt::format("must be <= {}{}", FormatNumber(max->get<double>()), got));
    }
  }
  return problems;
}

bool IsValidPlaceholderName(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  bool segment_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_empty) return false;
      segment_empty = true;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || static_cast<unsigned char>(c) >= 0x80;
    if (!ok) return false;
    segment_empty = false;
  }
  return !segment_empty;
}

const Json* FindDotted(const Json& root, std::string_view dotted) {
  const Json* node = &root;
  while (true) {
    size_t dot = dotted.find('.');
    std::string_view segment = dotted.substr(0, dot);
    if (node->is_object()) {
      auto it = node->find(segment);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      size_t index = 0;
      auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (error != std::errc() || end != segment.data() + segment.size() || index >= node->size()) {
        return nullptr;
      }
      node = &(*node)[index];
    } else {
      return nullptr;
    }
    if (dot == std::string_view::npos) return node;
    dotted.remove_prefix(dot + 1);
  }
}

}  // namespace vg::tmpl::internal

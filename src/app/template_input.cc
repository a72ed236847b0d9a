// Template and input loading for the CLI, and the CLI's error reporting.
#include "app/template_input.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "tmpl/load.h"

namespace vg::app {
namespace {

// Reads at most limit + 1 bytes, so an oversized document is refused without reading it all.
Result<std::string> ReadLimited(const std::string& path, int64_t limit, std::string_view what) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("cannot read the {} {}: {}", what, path, std::strerror(errno)));
  }
  if (path != "-" && std::filesystem::is_directory(path)) {
    std::fclose(f);
    return Status(ErrorCode::kInvalidArgument, fmt::format("the {} {} is a folder", what, path));
  }
  std::string text;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
    text.append(buffer, n);
    if (static_cast<int64_t>(text.size()) > limit) break;
  }
  const bool read_error = std::ferror(f);
  if (f != stdin) std::fclose(f);
  if (read_error) {
    return Status(ErrorCode::kInvalidArgument, fmt::format("cannot read the {} {}", what, path));
  }
  return text;
}

}  // namespace

Result<LoadedTemplate> LoadTemplate(const TemplateArgs& args, const tmpl::Limits& limits) {
  VG_ASSIGN_OR_RETURN(std::string text, ReadLimited(args.template_path, limits.template_bytes, "template"));
  VG_ASSIGN_OR_RETURN(nlohmann::json document, tmpl::ParseJson(text, "template", limits));
  nlohmann::json input = nlohmann::json::object();
  if (!args.input_path.empty()) {
    VG_ASSIGN_OR_RETURN(std::string input_text, ReadLimited(args.input_path, limits.template_bytes, "input"));
    VG_ASSIGN_OR_RETURN(input, tmpl::ParseJson(input_text, "input", limits));
    if (!input.is_object()) {
      return Status(ErrorCode::kInvalidTemplate, "The template has 1 problem.",
                    {{"input", "the input must be a JSON object"}});
    }
  }
  for (const auto& set : args.sets) VG_RETURN_IF_ERROR(tmpl::ApplySet(document, set, &input));
  VG_ASSIGN_OR_RETURN(tmpl::Template t, tmpl::Load(document, input, limits));
  LoadedTemplate loaded{std::move(t), ""};
  if (args.template_path != "-") {
    loaded.base_dir = std::filesystem::absolute(args.template_path).parent_path().string();
  } else {
    loaded.base_dir = std::filesystem::current_path().string();
  }
  return loaded;
}

nlohmann::json ErrorJson(const Status& status) {
  nlohmann::json doc = {{"error", std::string(ErrorCodeName(status.code()))},
                        {"message", status.message()}};
  if (!status.details().empty()) {
    nlohmann::json details = nlohmann::json::array();
    for (const auto& d : status.details()) details.push_back({{"path", d.path}, {"message", d.message}});
    doc["details"] = std::move(details);
  }
  return doc;
}

int ReportError(const Status& status, bool json, bool rendering) {
  int exit_code = 1;
  switch (status.code()) {
    case ErrorCode::kInvalidJson:
    case ErrorCode::kInvalidTemplate:
    case ErrorCode::kInvalidArgument: exit_code = 2; break;
    // A limit found while reading the template is an input problem; one found while
    // rendering (an asset too large) is a failed render.
    case ErrorCode::kLimitExceeded: exit_code = rendering ? 1 : 2; break;
    case ErrorCode::kCancelled: exit_code = 130; break;
    default: exit_code = 1;
  }
  if (json) {
    std::cout << ErrorJson(status).dump() << std::endl;
    return exit_code;
  }
  std::string out = fmt::format("vidgen: {}: {}\n", ErrorCodeName(status.code()), status.message());
  for (const auto& d : status.details()) out += fmt::format("{}: {}\n", d.path, d.message);
  std::fputs(out.c_str(), stderr);
  return exit_code;
}

}  // namespace vg::app

// Reading a template and its input for the CLI: the file (or "-" for stdin) within the size
// limit, -i INPUT.json, --set NAME=VALUE, then tmpl::Load. Shared by `render` and `validate`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "tmpl/template.h"

namespace vg::app {

struct TemplateArgs {
  std::string template_path;  // file or "-"
  std::string input_path;     // optional
  std::vector<std::string> sets;
};

struct LoadedTemplate {
  tmpl::Template tmpl;
  std::string base_dir;  // where relative src paths resolve: the template's folder
};

Result<LoadedTemplate> LoadTemplate(const TemplateArgs& args, const tmpl::Limits& limits);

// The documented error document: {"error", "message", "details"?}.
nlohmann::json ErrorJson(const Status& status);

// Prints a failure: `path: message` lines on stderr, or the error document on stdout with
// --json. Returns the exit code: 2 for invalid input or usage, 130 for cancelled, else 1.
int ReportError(const Status& status, bool json, bool rendering);

}  // namespace vg::app

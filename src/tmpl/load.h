// Template loading: JSON text → parsed JSON (with size and nesting limits) → placeholders
// resolved with the input → validated `Template`, or every problem with its JSON path.
// This is the one parser the CLI, the API and the worker share (TEMPLATE-FORMAT.md).
// Pure functions, no I/O, thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "tmpl/template.h"

namespace vg::tmpl {

// Parses JSON text. Errors: kInvalidJson with the line and column ("what" names the document
// in the message: "template", "input"); kLimitExceeded when the text is larger than
// limits.template_bytes or nests deeper than kMaxJsonDepth.
inline constexpr int kMaxJsonDepth = 64;
Result<nlohmann::json> ParseJson(std::string_view text, std::string_view what, const Limits& limits);

// Resolves placeholders of `template_json` with `input` (a JSON object), then validates the
// result against the format and `limits`. On failure the status is kInvalidTemplate (or
// kLimitExceeded when only limits were exceeded) with one ErrorDetail per problem; input
// problems have paths under "input." ("input.name").
Result<Template> Load(const nlohmann::json& template_json, const nlohmann::json& input,
                      const Limits& limits);

// Only the placeholder step: a copy of `template_json` with every placeholder replaced.
// Problems (missing values, bad declared types, maxLength/min/max) are appended to `problems`.
nlohmann::json ResolvePlaceholders(const nlohmann::json& template_json, const nlohmann::json& input,
                                   std::vector<ErrorDetail>* problems);

// Applies one `--set name=value` to `input`: the value is parsed as JSON when it parses,
// else taken as text; an input declared `type: string` in the template always takes the raw
// text; dotted names reach into objects ("user.name=Ada"). kInvalidArgument when there is no '='.
Status ApplySet(const nlohmann::json& template_json, std::string_view assignment,
                nlohmann::json* input);

// The video's length when the template alone determines it (top-level duration, else the
// latest explicit clip end); nullopt when it depends on an audio source's length.
std::optional<double> KnownDuration(const Template& t);

}  // namespace vg::tmpl

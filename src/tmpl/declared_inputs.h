// Internal: the rules of a template's `inputs` block (declared placeholders), shared by the
// placeholder step (which checks the caller's input values, problems at "input.<name>") and
// the validator (which checks each declaration and its default, problems at "inputs.<name>").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tmpl/problems.h"

namespace vg::tmpl::internal {

// The declarable input types.
inline constexpr std::string_view kInputTypes[] = {"string", "image",  "audio",  "video",
                                                   "color",  "number", "boolean"};

// Whether a declared type's values are strings (so `--set` keeps the raw text for it).
bool IsTextInputType(std::string_view type);

// The problems of `value` against the declaration `declaration` (its type, maxLength, min and
// max), as plain messages. Parts of the declaration that are themselves malformed are ignored
// here (the validator reports them).
std::vector<std::string> CheckDeclaredValue(const Json& declaration, const Json& value);

// Whether `name` may be used as a placeholder or input name: dot-separated segments of
// letters, digits, '_' and '-' (non-ASCII letters allowed).
bool IsValidPlaceholderName(std::string_view name);

// The value at a dotted path ("user.firstName", "items.0") inside `root`, or nullptr.
const Json* FindDotted(const Json& root, std::string_view dotted);

}  // namespace vg::tmpl::internal

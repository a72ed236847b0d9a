// CSS colour strings → tmpl::Color, for every colour field of a template and for declared
// `color` inputs. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "tmpl/template.h"

namespace vg::tmpl {

// Parses a colour as CSS does: "#rgb", "#rgba", "#rrggbb", "#rrggbbaa"; "rgb(…)" and "rgba(…)"
// with comma- or space-separated channels, each 0..255 or a percentage, and an optional alpha
// 0..1 or a percentage ("rgb(255 0 0 / 50%)" too); the 148 CSS named colours and
// "transparent". Case-insensitive; spaces around the value are ignored. Out-of-range channels
// are refused (not clamped): a template with rgb(300,0,0) is a mistake worth reporting.
// nullopt when `text` is not a colour.
std::optional<Color> ParseColor(std::string_view text);

// The CSS named colours (lower case, alphabetical) plus "transparent", for suggestions.
std::span<const std::string_view> ColorNames();

}  // namespace vg::tmpl

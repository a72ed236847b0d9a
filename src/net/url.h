// URL helpers for logs and messages: URLs may carry signatures or tokens in their query string
// or user-info, so only scheme://host[:port]/path of a URL is ever logged or shown.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace vg::net {

// "https://cdn.example.com/a/b.png" for "https://user:pw@cdn.example.com/a/b.png?sig=x#f".
// A URL that does not parse gives "<unparsable url>" (never the input, which may hold secrets).
std::string RedactUrl(std::string_view url);

// True when `url` starts with "http://" or "https://" (case-insensitive).
bool HasHttpScheme(std::string_view url);

}  // namespace vg::net

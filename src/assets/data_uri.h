// data: URIs (RFC 2397, decoded the way browsers do per the WHATWG Fetch standard): an
// optional media type, optional ";base64", then percent-encoded or base64 bytes.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vg::assets {

struct DataUri {
  std::string media_type;  // as written, lower-cased, without parameters ("" when absent)
  std::string bytes;       // the decoded payload
};

// True when `src` starts with "data:" (case-insensitive).
bool IsDataUri(std::string_view src);

// Decodes `uri`. Errors (messages give the reason only, never the URI):
//   kAssetUnavailable "malformed data: URI (no comma)", "invalid base64 in data: URI";
//   kLimitExceeded "larger than <max_bytes> bytes" when the decoded bytes exceed max_bytes
//   (memory stays bounded by the URI's own size, which the decoded bytes never exceed).
Result<DataUri> DecodeDataUri(std::string_view uri, int64_t max_bytes);

// How a data: URI is named in messages and logs: "data:image/png;… (1234 bytes)", where the
// count is the length of the URI. Never the payload.
std::string DescribeDataUri(std::string_view uri);

}  // namespace vg::assets

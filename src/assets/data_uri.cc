// data: URI decoding: percent-decoding of the body, then WHATWG "forgiving base64" (ASCII
// whitespace ignored, padding optional) when the header ends in ";base64".
#include "assets/data_uri.h"

#include <array>
#include <cctype>

namespace vg::assets {
namespace {

bool IsAsciiWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && IsAsciiWhitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiWhitespace(text.back())) text.remove_suffix(1);
  return text;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes; a '%' not followed by two hex digits stays as it is (as browsers do).
std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

constexpr std::array<int8_t, 256> MakeBase64Table() {
  std::array<int8_t, 256> table{};
  for (auto& value : table) value = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr std::array<int8_t, 256> kBase64 = MakeBase64Table();

// WHATWG forgiving-base64 decode. Returns false on invalid input.
bool ForgivingBase64Decode(std::string_view input, std::string* out) {
  std::string data;
  data.reserve(input.size());
  for (char c : input) {
    if (!IsAsciiWhitespace(c)) data.push_back(c);
  }
  if (data.size() % 4 == 0) {
    if (!data.empty() && data.back() == '=') data.pop_back();
    if (!data.empty() && data.back() == '=') data.pop_back();
  }
  if (data.size() % 4 == 1) return false;
  out->clear();
  out->reserve(data.size() / 4 * 3 + 2);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : data) {
    const int value = kBase64[static_cast<unsigned char>(c)];
    if (value < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace

bool IsDataUri(std::string_view src) {
  return src.size() >= 5 && ToLower(src.substr(0, 5)) == "data:";
}

Result<DataUri> DecodeDataUri(std::string_view uri, int64_t max_bytes) {
  if (!IsDataUri(uri)) return Error(ErrorCode::kAssetUnavailable, "not a data: URI");
  std::string_view rest = uri.substr(5);
  const size_t comma = rest.find(',');
  if (comma == std::string_view::npos) {
    return Error(ErrorCode::kAssetUnavailable, "malformed data: URI (no comma)");
  }
  std::string_view header = TrimWhitespace(rest.substr(0, comma));
  const std::string_view body = rest.substr(comma + 1);

  bool is_base64 = false;
  const size_t last_semicolon = header.rfind(';');
  if (last_semicolon != std::string_view::npos &&
      ToLower(TrimWhitespace(header.substr(last_semicolon + 1))) == "base64") {
    is_base64 = true;
    header = TrimWhitespace(header.substr(0, last_semicolon));
  }

  DataUri result;
  result.media_type = ToLower(TrimWhitespace(header.substr(0, header.find(';'))));
  std::string decoded = PercentDecode(body);
  if (is_base64) {
    std::string bytes;
    if (!ForgivingBase64Decode(decoded, &bytes)) {
      return Error(ErrorCode::kAssetUnavailable, "invalid base64 in data: URI");
    }
    decoded = std::move(bytes);
  }
  if (static_cast<int64_t>(decoded.size()) > max_bytes) {
    return Error(ErrorCode::kLimitExceeded, "larger than " + std::to_string(max_bytes) + " bytes");
  }
  result.bytes = std::move(decoded);
  return result;
}

std::string DescribeDataUri(std::string_view uri) {
  std::string media_type;
  if (IsDataUri(uri)) {
    std::string_view rest = uri.substr(5);
    rest = rest.substr(0, rest.find_first_of(";,"));
    for (char c : TrimWhitespace(rest).substr(0, 64)) {
      const auto u = static_cast<unsigned char>(c);
      media_type.push_back(std::isalnum(u) || c == '/' || c == '+' || c == '-' || c == '.' ? c
                                                                                           : '_');
    }
  }
  return "data:" + media_type + ";\u2026 (" + std::to_string(uri.size()) + " bytes)";
}

}  // namespace vg::assets

// AWS Signature Version 4 (see sigv4.h): canonical request → string to sign → HMAC chain.
#include "storage/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "base/check.h"

namespace vg::storage::sigv4 {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kUpperHexDigits[] = "0123456789ABCDEF";

std::string ToHex(const unsigned char* data, size_t size) {
  std::string hex(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    hex[2 * i] = kHexDigits[data[i] >> 4];
    hex[2 * i + 1] = kHexDigits[data[i] & 0x0f];
  }
  return hex;
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// A header value as SigV4 signs it: leading/trailing whitespace removed, inner runs of spaces
// and tabs collapsed to one space.
std::string TrimValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// Headers that proxies may change or that clients add on their own: never signed (the list
// the AWS SDKs use, plus Expect, which curl 7.88 would otherwise sign without sending it).
bool NeverSigned(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "authorization",       "connection", "expect",         "keep-alive",
      "proxy-authorization", "te",         "trailer",        "upgrade",
      "transfer-encoding",   "user-agent", "content-length", "x-amzn-trace-id"};
  return std::find(kNames.begin(), kNames.end(), lower_name) != kNames.end();
}

std::string CredentialScope(std::string_view date8, const Credentials& credentials) {
  return std::string(date8) + "/" + credentials.region + "/" + credentials.service +
         "/aws4_request";
}

// Canonical request, string to sign and signature for already-canonical pieces.
Signature Finish(const Credentials& credentials, std::string_view method, std::string_view path,
                 std::string_view canonical_query, std::string_view canonical_headers,
                 std::string_view signed_headers, std::string_view payload_hash,
                 std::string_view amz_date) {
  Signature result;
  result.signed_headers = std::string(signed_headers);
  result.canonical_request = std::string(method) + "\n" + std::string(path) + "\n" +
                             std::string(canonical_query) + "\n" + std::string(canonical_headers) +
                             "\n" + std::string(signed_headers) + "\n" + std::string(payload_hash);
  const std::string date8(amz_date.substr(0, 8));
  result.string_to_sign = std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" +
                          CredentialScope(date8, credentials) + "\n" +
                          Sha256Hex(result.canonical_request);
  const std::string key =
      SigningKey(credentials.secret_access_key, date8, credentials.region, credentials.service);
  const std::string mac = HmacSha256(key, result.string_to_sign);
  result.signature = ToHex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  return result;
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 && byte < 0x80) {
      out.push_back(c);
    } else if (c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kUpperHexDigits[byte >> 4]);
      out.push_back(kUpperHexDigits[byte & 0x0f]);
    }
  }
  return out;
}

std::string EncodePath(std::string_view raw_path) { return UriEncode(raw_path, true); }

std::string CanonicalQuery(const std::vector<QueryParam>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const QueryParam& param : query) {
    encoded.emplace_back(UriEncode(param.name, false), UriEncode(param.value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string AmzDate(int64_t unix_seconds) {
  const time_t seconds = static_cast<time_t>(unix_seconds);
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const size_t length = strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &utc);
  return std::string(buffer, length);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  VG_CHECK(EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  return ToHex(digest, length);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  VG_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
                &length) != nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string SigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service) {
  std::string key = HmacSha256("AWS4" + std::string(secret), date8);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

Signature ComputeHeaderSignature(const Credentials& credentials, const Request& request,
                                 std::string_view amz_date) {
  const std::string payload_hash =
      request.payload_hash.empty() ? std::string(kEmptyPayloadSha256) : request.payload_hash;
  // name → values in the order given (repeated headers are joined with ',').
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("host", TrimValue(request.host));
  headers.emplace_back("x-amz-content-sha256", payload_hash);
  headers.emplace_back("x-amz-date", std::string(amz_date));
  for (const net::HttpHeader& header : request.headers) {
    const std::string name = ToLower(header.name);
    if (NeverSigned(name) || name == "host" || name == "x-amz-date" ||
        name == "x-amz-content-sha256") {
      continue;
    }
    auto same = std::find_if(headers.begin(), headers.end(),
                             [&](const auto& entry) { return entry.first == name; });
    if (same != headers.end()) {
      same->second.push_back(',');
      same->second += TrimValue(header.value);
    } else {
      headers.emplace_back(name, TrimValue(header.value));
    }
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += name;
  }
  return Finish(credentials, request.method, request.path, CanonicalQuery(request.query),
                canonical_headers, signed_headers, payload_hash, amz_date);
}

std::vector<net::HttpHeader> SignHeaders(const Credentials& credentials, const Request& request,
                                         int64_t unix_seconds) {
  const std::string amz_date = AmzDate(unix_seconds);
  const Signature signature = ComputeHeaderSignature(credentials, request, amz_date);
  std::vector<net::HttpHeader> headers = request.headers;
  headers.push_back({"x-amz-date", amz_date});
  headers.push_back({"x-amz-content-sha256", request.payload_hash.empty()
                                                 ? std::string(kEmptyPayloadSha256)
                                                 : request.payload_hash});
  headers.push_back({"Authorization",
                     std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                         CredentialScope(amz_date.substr(0, 8), credentials) + ", SignedHeaders=" +
                         signature.signed_headers + ", Signature=" + signature.signature});
  return headers;
}

Result<std::string> PresignQuery(const Credentials& credentials, const Request& request,
                                 int64_t unix_seconds, int64_t expires_seconds,
                                 Signature* details) {
  if (expires_seconds < 1 || expires_seconds > kMaxPresignSeconds) {
    return Error(ErrorCode::kInvalidArgument,
                 "A presigned URL must live between 1 and 604800 seconds, not " +
                     std::to_string(expires_seconds) + ".");
  }
  const std::string amz_date = AmzDate(unix_seconds);
  std::vector<QueryParam> query = request.query;
  query.push_back({"X-Amz-Algorithm", std::string(kAlgorithm)});
  query.push_back({"X-Amz-Credential", credentials.access_key_id + "/" +
                                           CredentialScope(amz_date.substr(0, 8), credentials)});
  query.push_back({"X-Amz-Date", amz_date});
  query.push_back({"X-Amz-Expires", std::to_string(expires_seconds)});
  query.push_back({"X-Amz-SignedHeaders", "host"});
  const std::string canonical_query = CanonicalQuery(query);
  Signature signature =
      Finish(credentials, request.method, request.path, canonical_query,
             "host:" + TrimValue(request.host) + "\n", "host", kUnsignedPayload, amz_date);
  std::string out = canonical_query + "&X-Amz-Signature=" + signature.signature;
  if (details != nullptr) *details = std::move(signature);
  return out;
}

}  // namespace vg::storage::sigv4

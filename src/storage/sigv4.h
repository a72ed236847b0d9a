// AWS Signature Version 4 for S3 and S3-compatible stores, written by hand over OpenSSL
// (HMAC-SHA256, SHA-256) because the curl in Debian 12 signs some S3 requests wrongly: it does
// not sort or re-encode the query, signs `Expect:` and adds no x-amz-content-sha256.
// Two forms: header auth (Authorization + x-amz-date + x-amz-content-sha256) for every request
// the store makes, and presigned query auth (X-Amz-* parameters, only `host` signed,
// UNSIGNED-PAYLOAD) for the download URLs it hands out. The caller builds the path already
// encoded (EncodePath) and gives the query as raw name/value pairs, so the URL it sends is
// exactly what was signed. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/http_client.h"

namespace vg::storage::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// sha256("") in hex: the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// The longest lifetime S3 accepts for a presigned URL (7 days).
inline constexpr int64_t kMaxPresignSeconds = 604800;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // a secret: never logged
  std::string region = "us-east-1";
  std::string service = "s3";
};

// One query parameter, raw (not percent-encoded). An empty value is written "name=".
struct QueryParam {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";
  // The Host header as the HTTP client will send it: the URL's host, with ":port" when the
  // port is not the scheme's default ("127.0.0.1:4571", "examplebucket.s3.amazonaws.com").
  std::string host;
  // The path as sent on the wire, already URI-encoded ("/test%24file.text"); S3 signs it as is.
  std::string path = "/";
  std::vector<QueryParam> query;
  // Headers to send and sign besides host, x-amz-date and x-amz-content-sha256 (those are
  // added by the signer). Hop-by-hop headers and Expect/User-Agent are never signed.
  std::vector<net::HttpHeader> headers;
  // Hex sha256 of the body, or kUnsignedPayload. Empty means kEmptyPayloadSha256.
  std::string payload_hash;
};

// The pieces of one signature, for tests and for comparing with a server's
// SignatureDoesNotMatch answer.
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature;       // 64 hex digits
};

// RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex),
// bytes of UTF-8 one by one; '/' is kept when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);
// A raw path ("/videos/odd name (1)+ü.mp4") encoded segment by segment, '/' kept.
std::string EncodePath(std::string_view raw_path);
// The canonical query: names and values UriEncoded, sorted by name then value, "name=value"
// joined with '&' ("name=" for an empty value). Also the query string to put in the URL.
std::string CanonicalQuery(const std::vector<QueryParam>& query);
// "20130524T000000Z" for 1369353600.
std::string AmzDate(int64_t unix_seconds);

std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);
// The signing key: HMAC chain "AWS4"+secret → date (YYYYMMDD) → region → service →
// "aws4_request". Raw bytes.
std::string SigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service);

// The header-auth signature of `request` at `amz_date` ("20130524T000000Z").
Signature ComputeHeaderSignature(const Credentials& credentials, const Request& request,
                                 std::string_view amz_date);

// The headers to send for `request` signed at `unix_seconds`: request.headers followed by
// x-amz-date, x-amz-content-sha256 and Authorization (Host comes from the URL).
std::vector<net::HttpHeader> SignHeaders(const Credentials& credentials, const Request& request,
                                         int64_t unix_seconds);

// Presigned query auth: the full query string (without '?') for `request` (method, host, path
// and any extra parameters such as response-content-disposition; headers and payload_hash are
// ignored: only host is signed, with UNSIGNED-PAYLOAD), valid for `expires_seconds` from
// `unix_seconds`. kInvalidArgument unless 1 ≤ expires_seconds ≤ kMaxPresignSeconds.
// `details` (optional) receives the pieces of the signature.
Result<std::string> PresignQuery(const Credentials& credentials, const Request& request,
                                 int64_t unix_seconds, int64_t expires_seconds,
                                 Signature* details = nullptr);

}  // namespace vg::storage::sigv4

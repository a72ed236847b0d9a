// Reading and writing the few XML documents of the S3 API the S3 store uses, over libxml2
// (kept out of every other header): error bodies, InitiateMultipartUploadResult,
// ListObjectsV2 pages, the CompleteMultipartUpload request; plus the two date formats S3 uses.
// Elements are matched by local name, so S3's namespaces (and s3rver's misspelt one) do not
// matter. The parser never fetches anything (no network, no entity expansion).
// Pure functions, thread-safe once InitXml() has run (the S3 store calls it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vg::storage::s3xml {

// Initialises libxml2 once per process (idempotent, thread-safe).
void InitXml();

// An S3 <Error> document.
struct ErrorBody {
  std::string code;     // "NoSuchBucket", "SignatureDoesNotMatch", ...
  std::string message;  // S3's sentence
  std::string region;   // <Region>, when S3 says which region the bucket is in
};

// The error in `xml` when its root element is <Error>; nullopt for any other document,
// an empty body or text that is not XML.
std::optional<ErrorBody> ParseError(std::string_view xml);

// The root element's local name ("CompleteMultipartUploadResult", "Error"), or "" when `xml`
// is not an XML document.
std::string RootName(std::string_view xml);

// The <UploadId> of an InitiateMultipartUploadResult; kInternal when absent.
Result<std::string> ParseUploadId(std::string_view xml);

struct ObjectEntry {
  std::string key;
  int64_t size_bytes = 0;
  int64_t modified_unix_ms = 0;
};

struct ListPage {
  std::vector<ObjectEntry> objects;
  bool truncated = false;
  std::string next_continuation_token;  // set when truncated
};

// A ListBucketResult (ListObjectsV2); kInternal when it is not one or an entry is malformed.
Result<ListPage> ParseListObjectsV2(std::string_view xml);

// The CompleteMultipartUpload body for parts 1..etags.size() with these ETags (as S3 gave
// them, quotes included), in part order.
std::string CompleteMultipartUploadXml(const std::vector<std::string>& etags);

// "2013-09-17T18:07:53.000Z" (ListObjectsV2's LastModified) → Unix milliseconds.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);
// "Fri, 24 May 2013 00:00:00 GMT" (the Last-Modified header) → Unix milliseconds.
std::optional<int64_t> ParseHttpDateMs(std::string_view text);

}  // namespace vg::storage::s3xml

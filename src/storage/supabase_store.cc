// SupabaseStore (see supabase_store.h): requests to Supabase Storage's REST and TUS endpoints,
// retried with backoff on network errors, 5xx and 429, and errors read from the JSON body.
#include "storage/supabase_store.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "net/curl_http_client.h"
#include "net/url.h"
#include "obs/log.h"
#include "storage/local_store.h"

namespace vg::storage {
namespace {

using nlohmann::json;

constexpr std::string_view kStoragePath = "/storage/v1";
constexpr std::string_view kResumablePath = "/upload/resumable";
constexpr std::string_view kVideosPrefix = "videos/";
constexpr int64_t kMaxJsonAnswerBytes = 16LL << 20;
constexpr int kMaxListPages = 100000;

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Percent-encodes everything but unreserved characters (and '/' when `keep_slash`).
std::string PercentEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Like JavaScript's encodeURI for a path that may already hold %XX escapes: characters that
// cannot stand in a URL path are encoded, existing escapes are kept.
std::string EncodePathLeavingEscapes(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c == '%' && i + 2 < path.size() && IsHex(path[i + 1]) && IsHex(path[i + 2])) {
      out.push_back('%');
    } else if (IsUnreserved(c) || (c != 0 && std::strchr("/!$&'()*+,;=:@", c) != nullptr)) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(data.data()),
                                     static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(std::max(0, length)));
  return out;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool IsSuccess(int status) { return status >= 200 && status <= 299; }

// What a Supabase answer says, from its JSON body when it has one: storage errors carry the
// real status as a string in "statusCode" (the HTTP status is 400 for most of them), the
// gateway's only a "message".
struct Answer {
  int http_status = 0;
  int status = 0;  // the body's statusCode when present, else the HTTP status
  std::string code;
  std::string error;
  std::string message;
};

std::string JsonString(const json& object, const char* name) {
  if (!object.is_object()) return {};
  const auto it = object.find(name);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

Answer ReadAnswer(const net::HttpResponse& response) {
  Answer answer;
  answer.http_status = response.status;
  answer.status = response.status;
  const json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    if (auto status = ParseInt64(JsonString(body, "statusCode")); status && *status > 0) {
      answer.status = static_cast<int>(*status);
    }
    answer.code = JsonString(body, "code");
    answer.error = JsonString(body, "error");
    answer.message = JsonString(body, "message");
  } else {
    // TUS answers are plain text; keep a short first line.
    std::string text = response.body.substr(0, std::min<size_t>(response.body.size(), 200));
    text = text.substr(0, text.find_first_of("\r\n"));
    answer.message = text;
  }
  // Supabase's gateway answers HTML for some upstream failures: the HTTP status then rules.
  if (response.status >= 500) answer.status = std::max(answer.status, response.status);
  return answer;
}

bool IsRetryable(const Answer& answer) {
  return answer.status >= 500 || answer.status == 429 || answer.http_status >= 500 ||
         answer.http_status == 429 || answer.code == "SlowDown" ||
         answer.code == "DatabaseTimeout" || answer.code == "LockTimeout";
}

// "403 Unauthorized: invalid signature", "401 Invalid API key", "409 Duplicate".
std::string Describe(const Answer& answer) {
  std::string label = answer.error.empty() ? answer.code : answer.error;
  std::string text = std::to_string(answer.status);
  if (!label.empty()) text += " " + label;
  if (!answer.message.empty() && answer.message != label) {
    text += (label.empty() ? " " : ": ") + answer.message;
  }
  return text;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Free functions

bool IsJwtShaped(std::string_view key) {
  int segments = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    const std::string_view segment =
        key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (segment.empty()) return false;
    for (const char c : segment) {
      const bool base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!base64url) return false;
    }
    ++segments;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return segments == 3;
}

Result<int64_t> ParseTimestampMs(std::string_view text) {
  const Status invalid(ErrorCode::kInvalidArgument,
                       fmt::format("'{}' is not an ISO-8601 timestamp", text.substr(0, 64)));
  size_t pos = 0;
  auto number = [&](size_t digits, int64_t* value) {
    if (pos + digits > text.size()) return false;
    int64_t result = 0;
    for (size_t i = 0; i < digits; ++i) {
      const char c = text[pos + i];
      if (c < '0' || c > '9') return false;
      result = result * 10 + (c - '0');
    }
    pos += digits;
    *value = result;
    return true;
  };
  auto expect = [&](char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
  };
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(4, &year) || !expect('-') || !number(2, &month) || !expect('-') || !number(2, &day)) {
    return invalid;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return invalid;
  }
  ++pos;
  if (!number(2, &hour) || !expect(':') || !number(2, &minute) || !expect(':') ||
      !number(2, &second)) {
    return invalid;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return invalid;
  }
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return invalid;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos < text.size()) {
    const char sign = text[pos];
    if (sign == 'Z' || sign == 'z') {
      ++pos;
    } else if (sign == '+' || sign == '-') {
      ++pos;
      int64_t offset_hours = 0, offset_mins = 0;
      if (!number(2, &offset_hours)) return invalid;
      if (pos < text.size()) {
        expect(':');
        if (!number(2, &offset_mins)) return invalid;
      }
      offset_minutes = (offset_hours * 60 + offset_mins) * (sign == '-' ? -1 : 1);
    } else {
      return invalid;
    }
  }
  if (pos != text.size()) return invalid;
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

// ---------------------------------------------------------------------------------------------
// SupabaseStore

struct SupabaseStore::Attempted {
  std::optional<net::HttpResponse> response;  // the last answer, when there was one
  net::HttpError error;                       // else the last transport error
  int tries = 0;
};

namespace {

// Classifies a failed Supabase answer into a Status with a plain message.
Status ErrorForAnswer(std::string_view operation, const std::string& key, const std::string& bucket,
                      const std::string& where, const Answer& answer, int tries) {
  const std::string described = Describe(answer);
  const std::string object = key.empty() ? std::string() : " " + key;
  if (answer.status == 401 || answer.status == 403 || answer.code == "AccessDenied" ||
      answer.code == "InvalidJWT") {
    if (Contains(answer.message, "row-level security")) {
      return Status(ErrorCode::kForbidden,
                    fmt::format("Supabase refused this key access to bucket {} ({}); use the "
                                "service_role key or a secret key (sb_secret_…)",
                                bucket, described));
    }
    return Status(ErrorCode::kUnauthorized,
                  fmt::format("Supabase refused the key ({}) at {}", described, where));
  }
  if (answer.code == "NoSuchBucket" || answer.error == "Bucket not found") {
    return Status(ErrorCode::kNotFound,
                  fmt::format("bucket {} does not exist (NoSuchBucket) at {}; create it, or use "
                              "a key that can see it",
                              bucket, where));
  }
  if (answer.code == "NoSuchKey" || answer.code == "NoSuchUpload" ||
      (answer.status == 404 && answer.error == "not_found")) {
    return Status(ErrorCode::kNotFound,
                  fmt::format("object{} does not exist in bucket {} ({})", object, bucket,
                              answer.code.empty() ? "404" : answer.code));
  }
  if (answer.status == 413 || answer.code == "EntityTooLarge") {
    return Status(ErrorCode::kPayloadTooLarge,
                  fmt::format("Supabase refused{} as too large ({}); check the bucket's and the "
                              "project's upload size limits",
                              object, described));
  }
  if (answer.code == "InvalidKey") {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("Supabase refused the object name{} ({})", object, described));
  }
  if (IsRetryable(answer)) {
    return Status(ErrorCode::kStorageUnavailable,
                  fmt::format("Supabase Storage failed to {}{} ({}) after {} {}", operation, object,
                              described, tries, tries == 1 ? "try" : "tries"));
  }
  return Status(ErrorCode::kStorageUnavailable,
                fmt::format("Supabase Storage refused to {}{} ({})", operation, object, described));
}

}  // namespace

Result<std::unique_ptr<SupabaseStore>> SupabaseStore::Open(SupabaseStoreOptions options,
                                                           net::HttpClient& http,
                                                           const Clock* clock) {
  return OpenWith(std::move(options), &http, nullptr, clock);
}

Result<std::unique_ptr<SupabaseStore>> SupabaseStore::Open(SupabaseStoreOptions options,
                                                           std::unique_ptr<net::HttpClient> http,
                                                           const Clock* clock) {
  if (!http) return Status(ErrorCode::kInvalidArgument, "Supabase store: no HTTP client");
  net::HttpClient* borrowed = http.get();
  return OpenWith(std::move(options), borrowed, std::move(http), clock);
}

Result<std::unique_ptr<SupabaseStore>> SupabaseStore::OpenWith(
    SupabaseStoreOptions options, net::HttpClient* http,
    std::unique_ptr<net::HttpClient> owned_http, const Clock* clock) {
  std::string url = options.settings.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  // Tolerate SUPABASE_URL given with the storage path (the project URL is expected).
  if (url.size() >= kStoragePath.size() &&
      url.compare(url.size() - kStoragePath.size(), kStoragePath.size(), kStoragePath) == 0) {
    url.resize(url.size() - kStoragePath.size());
  }
  const size_t scheme_end = url.find("://");
  if (!net::HasHttpScheme(url) || scheme_end == std::string::npos || url.size() <= scheme_end + 3 ||
      url.find_first_of("?# \r\n") != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument,
                  "SUPABASE_URL must be the project's http(s) URL, like "
                  "https://<project_ref>.supabase.co");
  }
  const std::string& key = options.settings.key;
  if (key.empty()) return Status(ErrorCode::kInvalidArgument, "SUPABASE_KEY is empty");
  if (key.find_first_of("\r\n") != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument, "SUPABASE_KEY contains a line break");
  }
  const std::string& bucket = options.settings.bucket;
  if (bucket.empty() || bucket.find('/') != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument,
                  "SUPABASE_BUCKET must be a bucket name (not empty, no '/')");
  }
  if (options.resumable_threshold_bytes < 0 || options.resumable_chunk_bytes <= 0 ||
      options.retry.attempts < 1 || options.list_page_size < 1 ||
      options.cache_control_seconds < 0) {
    return Status(ErrorCode::kInvalidArgument, "Supabase store: invalid sizes or retry policy");
  }
  options.settings.url = url;
  return std::unique_ptr<SupabaseStore>(
      new SupabaseStore(std::move(options), http, std::move(owned_http), clock));
}

SupabaseStore::SupabaseStore(SupabaseStoreOptions options, net::HttpClient* http,
                             std::unique_ptr<net::HttpClient> owned_http, const Clock* clock)
    : options_(std::move(options)),
      base_url_(options_.settings.url),
      http_(http),
      owned_http_(std::move(owned_http)),
      clock_(clock != nullptr ? clock : &system_clock_),
      key_is_jwt_(IsJwtShaped(options_.settings.key)) {
  where_ = net::RedactUrl(base_url_);
  if (!where_.empty() && where_.back() == '/') where_.pop_back();
}

SupabaseStore::~SupabaseStore() = default;

std::vector<net::HttpHeader> SupabaseStore::AuthHeaders() const {
  std::vector<net::HttpHeader> headers{{"apikey", options_.settings.key}};
  // Legacy anon/service_role keys are JWTs and also go in Authorization; sb_secret_ keys are not
  // JWTs and must not (storage would try to verify them as one).
  if (key_is_jwt_) headers.push_back({"Authorization", "Bearer " + options_.settings.key});
  return headers;
}

std::string SupabaseStore::StorageUrl(std::string_view path) const {
  return base_url_ + std::string(kStoragePath) + std::string(path);
}

std::string SupabaseStore::ObjectPath(std::string_view route, const std::string& key) const {
  return std::string(route) + PercentEncode(options_.settings.bucket, false) + "/" +
         PercentEncode(key, true);
}

void SupabaseStore::Sleep(int delay_ms) const {
  if (options_.sleep) {
    options_.sleep(delay_ms);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
}

SupabaseStore::Attempted SupabaseStore::SendWithRetries(std::string_view operation,
                                                        const net::HttpRequest& request,
                                                        int attempts) const {
  Attempted attempted;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    attempted.tries = attempt;
    net::HttpResult result = http_->Send(request);
    std::string reason;
    if (result.ok()) {
      attempted.response = std::move(result).value();
      const Answer answer = ReadAnswer(*attempted.response);
      if (IsSuccess(attempted.response->status) || !IsRetryable(answer)) return attempted;
      reason = Describe(answer);
    } else {
      attempted.response.reset();
      attempted.error = result.error();
      if (!attempted.error.retryable) return attempted;
      reason = attempted.error.message;
    }
    if (attempt == attempts) break;
    const int delay_ms = net::RetryDelayMs(options_.retry, attempt);
    obs::Log(obs::Level::kWarn, "storage.supabase.retry",
             {{"operation", operation},
              {"url", net::RedactUrl(request.url)},
              {"attempt", attempt},
              {"reason", reason},
              {"delay_ms", delay_ms}});
    Sleep(delay_ms);
  }
  return attempted;
}

namespace {

// The response of an attempted request when it is a 2xx, else the error it amounts to.
Result<net::HttpResponse> Expect2xx(std::string_view operation, const std::string& key,
                                    const std::string& bucket, const std::string& where_,
                                    std::optional<net::HttpResponse> response,
                                    const net::HttpError& error, int tries) {
  if (!response) {
    const char* plural = tries == 1 ? "try" : "tries";
    if (error.kind == net::HttpErrorKind::kLocalFile) {
      return Status(ErrorCode::kStorageUnavailable,
                    fmt::format("could not {}{}: {}", operation, key.empty() ? "" : " " + key,
                                error.message));
    }
    return Status(ErrorCode::kStorageUnavailable,
                  fmt::format("Supabase Storage at {} is unreachable ({}) after {} {}", where_,
                              error.message, tries, plural));
  }
  if (IsSuccess(response->status)) return std::move(*response);
  return ErrorForAnswer(operation, key, bucket, where_, ReadAnswer(*response), tries);
}

}  // namespace

Status SupabaseStore::Put(const std::string& key, const std::string& local_path,
                          const std::string& content_type,
                          const std::function<void(int64_t, int64_t)>& on_progress) {
  VG_RETURN_IF_ERROR(ValidateKey(key));
  struct stat info {};
  if (stat(local_path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    const int error = errno;
    return Status(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kStorageUnavailable,
                  fmt::format("cannot read the file to upload: {}", std::strerror(error)));
  }
  const int64_t size = static_cast<int64_t>(info.st_size);
  const std::string type = content_type.empty() ? ContentTypeForExtension(key) : content_type;
  // Progress never goes back, even when a request is retried from its start.
  int64_t reported = -1;
  const std::function<void(int64_t)> progress = [&](int64_t done) {
    done = std::clamp<int64_t>(done, 0, size);
    if (on_progress && done > reported) {
      reported = done;
      on_progress(done, size);
    }
  };
  const bool resumable = size > options_.resumable_threshold_bytes;
  const auto start = std::chrono::steady_clock::now();
  Status status = resumable ? PutResumable(key, local_path, type, size, progress)
                            : PutWhole(key, local_path, type, size, progress);
  const int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
  if (!status.ok()) {
    obs::Log(obs::Level::kWarn, "storage.supabase.put_failed",
             {{"key", key}, {"bytes", size}, {"reason", status.message()}});
    return status;
  }
  progress(size);
  obs::Log(
      obs::Level::kInfo, "storage.supabase.put",
      {{"key", key}, {"bytes", size}, {"method", resumable ? "tus" : "post"}, {"ms", elapsed_ms}});
  return Status::Ok();
}

Status SupabaseStore::PutWhole(const std::string& key, const std::string& local_path,
                               const std::string& content_type, int64_t size,
                               const std::function<void(int64_t)>& progress) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = StorageUrl(ObjectPath("/object/", key));
  request.headers = AuthHeaders();
  request.headers.push_back({"Content-Type", content_type});
  request.headers.push_back({"x-upsert", "true"});
  request.headers.push_back(
      {"cache-control", fmt::format("max-age={}", options_.cache_control_seconds)});
  request.body_file = net::HttpFileBody{local_path, 0, size};
  request.on_upload_progress = progress;
  request.timeout_ms = options_.upload_timeout_ms;
  request.stall_timeout_s = options_.upload_stall_timeout_s;
  request.max_response_bytes = kMaxJsonAnswerBytes;
  Attempted attempted = SendWithRetries("upload", request, options_.retry.attempts);
  return Expect2xx("upload", key, options_.settings.bucket, where_, std::move(attempted.response),
                   attempted.error, attempted.tries)
      .status();
}

Status SupabaseStore::PutResumable(const std::string& key, const std::string& local_path,
                                   const std::string& content_type, int64_t size,
                                   const std::function<void(int64_t)>& progress) {
  const std::string& bucket = options_.settings.bucket;

  // 1. Create the upload: 201 with its URL in Location.
  net::HttpRequest create;
  create.method = "POST";
  create.url = StorageUrl(kResumablePath);
  create.headers = AuthHeaders();
  create.headers.push_back({"Tus-Resumable", "1.0.0"});
  create.headers.push_back({"Upload-Length", std::to_string(size)});
  create.headers.push_back(
      {"Upload-Metadata", fmt::format("bucketName {},objectName {},contentType {},cacheControl {}",
                                      Base64(bucket), Base64(key), Base64(content_type),
                                      Base64(std::to_string(options_.cache_control_seconds)))});
  create.headers.push_back({"x-upsert", "true"});
  create.timeout_ms = options_.request_timeout_ms;
  create.max_response_bytes = kMaxJsonAnswerBytes;
  Attempted created =
      SendWithRetries("start the resumable upload of", create, options_.retry.attempts);
  VG_ASSIGN_OR_RETURN(net::HttpResponse response,
                      Expect2xx("start the resumable upload of", key, bucket, where_,
                                std::move(created.response), created.error, created.tries));
  const std::string* location = response.FindHeader("Location");
  const size_t id_at =
      location == nullptr ? std::string::npos : location->find(std::string(kResumablePath) + "/");
  std::string upload_id = id_at == std::string::npos
                              ? std::string()
                              : location->substr(id_at + kResumablePath.size() + 1);
  upload_id = upload_id.substr(0, upload_id.find_first_of("?#"));
  if (upload_id.empty() || upload_id.find_first_of(" \r\n") != std::string::npos) {
    return Status(ErrorCode::kStorageUnavailable,
                  fmt::format("Supabase Storage at {} started a resumable upload of {} without "
                              "a usable upload URL (HTTP {})",
                              where_, key, response.status));
  }
  // The upload lives under our own storage URL: the key is never sent to another host, even
  // when a proxy in front of Supabase rewrites Location's scheme, host or prefix.
  const std::string upload_url =
      StorageUrl(std::string(kResumablePath) + "/" + EncodePathLeavingEscapes(upload_id));

  // 2. PATCH the file in chunks; after a failed one, HEAD the upload for the server's offset.
  int64_t offset = 0;
  int failures = 0;
  while (offset < size) {
    const int64_t length = std::min(options_.resumable_chunk_bytes, size - offset);
    net::HttpRequest patch;
    patch.method = "PATCH";
    patch.url = upload_url;
    patch.headers = AuthHeaders();
    patch.headers.push_back({"Tus-Resumable", "1.0.0"});
    patch.headers.push_back({"Upload-Offset", std::to_string(offset)});
    patch.headers.push_back({"Content-Type", "application/offset+octet-stream"});
    patch.body_file = net::HttpFileBody{local_path, offset, length};
    const int64_t chunk_start = offset;
    patch.on_upload_progress = [&progress, chunk_start](int64_t sent) {
      progress(chunk_start + sent);
    };
    patch.timeout_ms = options_.upload_timeout_ms;
    patch.stall_timeout_s = options_.upload_stall_timeout_s;
    patch.max_response_bytes = kMaxJsonAnswerBytes;
    net::HttpResult result = http_->Send(patch);

    std::string failure;
    if (result.ok()) {
      const net::HttpResponse& answer_response = result.value();
      if (IsSuccess(answer_response.status)) {
        const std::string* header = answer_response.FindHeader("Upload-Offset");
        const std::optional<int64_t> server_offset =
            header == nullptr ? std::optional<int64_t>(offset + length) : ParseInt64(*header);
        if (server_offset && *server_offset > offset && *server_offset <= size) {
          offset = *server_offset;
          failures = 0;
          progress(offset);
          continue;
        }
        failure = "the server answered an unexpected Upload-Offset";
      } else {
        const Answer answer = ReadAnswer(answer_response);
        // 409: our offset is not the server's (a previous chunk was partly stored).
        if (answer.status != 409 && answer.status != 423 && !IsRetryable(answer)) {
          return ErrorForAnswer("upload", key, bucket, where_, answer, failures + 1);
        }
        failure = Describe(answer);
      }
    } else {
      const net::HttpError& error = result.error();
      if (!error.retryable) {
        return Expect2xx("upload", key, bucket, where_, std::nullopt, error, failures + 1).status();
      }
      failure = error.message;
    }

    ++failures;
    if (failures >= options_.retry.attempts) {
      return Status(ErrorCode::kStorageUnavailable,
                    fmt::format("the resumable upload of {} to Supabase Storage at {} failed at "
                                "byte {} of {} after {} tries ({})",
                                key, where_, offset, size, failures, failure));
    }
    const int delay_ms = net::RetryDelayMs(options_.retry, failures);
    obs::Log(obs::Level::kWarn, "storage.supabase.tus_retry",
             {{"key", key},
              {"offset", offset},
              {"attempt", failures},
              {"reason", failure},
              {"delay_ms", delay_ms}});
    Sleep(delay_ms);

    net::HttpRequest head;
    head.method = "HEAD";
    head.url = upload_url;
    head.headers = AuthHeaders();
    head.headers.push_back({"Tus-Resumable", "1.0.0"});
    head.timeout_ms = options_.request_timeout_ms;
    net::HttpResult head_result = http_->Send(head);
    if (!head_result.ok()) continue;  // the next PATCH (or its failure) decides
    const net::HttpResponse& head_response = head_result.value();
    if (IsSuccess(head_response.status)) {
      const std::string* header = head_response.FindHeader("Upload-Offset");
      const std::optional<int64_t> server_offset =
          header == nullptr ? std::nullopt : ParseInt64(*header);
      if (server_offset && *server_offset >= 0 && *server_offset <= size) {
        obs::Log(obs::Level::kInfo, "storage.supabase.tus_resume",
                 {{"key", key}, {"from", offset}, {"server_offset", *server_offset}});
        offset = *server_offset;
      }
      continue;
    }
    const Answer head_answer = ReadAnswer(head_response);
    if (head_answer.status == 404 || head_answer.status == 410) {
      return Status(ErrorCode::kStorageUnavailable,
                    fmt::format("the resumable upload of {} to Supabase Storage at {} is gone "
                                "on the server (HTTP {}) after byte {} of {}",
                                key, where_, head_answer.status, offset, size));
    }
    if (head_answer.status == 401 || head_answer.status == 403) {
      return ErrorForAnswer("upload", key, bucket, where_, head_answer, failures);
    }
  }
  return Status::Ok();
}

Result<SignedUrl> SupabaseStore::Sign(const std::string& key, int64_t ttl_seconds) const {
  VG_RETURN_IF_ERROR(ValidateKey(key));
  if (ttl_seconds < 1) {
    return Status(ErrorCode::kInvalidArgument, "a signed URL must live at least 1 second");
  }
  net::HttpRequest request;
  request.method = "POST";
  request.url = StorageUrl(ObjectPath("/object/sign/", key));
  request.headers = AuthHeaders();
  request.headers.push_back({"Content-Type", "application/json"});
  request.body = json{{"expiresIn", ttl_seconds}}.dump();
  request.timeout_ms = options_.request_timeout_ms;
  request.max_response_bytes = kMaxJsonAnswerBytes;
  const int64_t now_s = clock_->NowUnixMs() / 1000;
  Attempted attempted = SendWithRetries("sign", request, options_.retry.attempts);
  VG_ASSIGN_OR_RETURN(net::HttpResponse response,
                      Expect2xx("sign", key, options_.settings.bucket, where_,
                                std::move(attempted.response), attempted.error, attempted.tries));
  const json body = json::parse(response.body, nullptr, false);
  std::string signed_path = JsonString(body, "signedURL");
  if (signed_path.empty()) signed_path = JsonString(body, "signedUrl");
  if (signed_path.empty()) {
    return Status(ErrorCode::kStorageUnavailable,
                  fmt::format("Supabase Storage at {} answered a sign request for {} without a "
                              "signedURL",
                              where_, key));
  }
  SignedUrl signed_url;
  signed_url.expires_unix_s = now_s + ttl_seconds;
  if (net::HasHttpScheme(signed_path)) {
    signed_url.url = signed_path;
    return signed_url;
  }
  // signedURL is relative to /storage/v1, its object path not encoded: encode the path, keep
  // the token query as sent.
  const size_t query_at = signed_path.rfind("?token=");
  const std::string path = signed_path.substr(0, query_at);
  const std::string query = query_at == std::string::npos ? "" : signed_path.substr(query_at);
  signed_url.url = StorageUrl((path.empty() || path.front() != '/' ? "/" : "") +
                              EncodePathLeavingEscapes(path) + query);
  return signed_url;
}

Result<BlobInfo> SupabaseStore::Head(const std::string& key) const {
  VG_RETURN_IF_ERROR(ValidateKey(key));
  net::HttpRequest request;
  request.method = "GET";
  request.url = StorageUrl(ObjectPath("/object/info/authenticated/", key));
  request.headers = AuthHeaders();
  request.timeout_ms = options_.request_timeout_ms;
  request.max_response_bytes = kMaxJsonAnswerBytes;
  Attempted attempted = SendWithRetries("read the details of", request, options_.retry.attempts);
  VG_ASSIGN_OR_RETURN(net::HttpResponse response,
                      Expect2xx("read the details of", key, options_.settings.bucket, where_,
                                std::move(attempted.response), attempted.error, attempted.tries));
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object()) {
    return Status(ErrorCode::kStorageUnavailable,
                  fmt::format("Supabase Storage at {} answered object info for {} that is not "
                              "JSON",
                              where_, key));
  }
  BlobInfo info;
  info.key = key;
  if (auto size = ParseInt64(JsonString(body, "size"))) info.size_bytes = *size;
  for (const char* field : {"last_modified", "updated_at", "created_at"}) {
    if (auto modified = ParseTimestampMs(JsonString(body, field)); modified.ok()) {
      info.modified_unix_ms = *modified;
      break;
    }
  }
  return info;
}

Status SupabaseStore::Delete(const std::string& key) {
  VG_RETURN_IF_ERROR(ValidateKey(key));
  net::HttpRequest request;
  request.method = "DELETE";
  request.url = StorageUrl("/object/" + PercentEncode(options_.settings.bucket, false));
  request.headers = AuthHeaders();
  request.headers.push_back({"Content-Type", "application/json"});
  request.body = json{{"prefixes", json::array({key})}}.dump();
  request.timeout_ms = options_.request_timeout_ms;
  request.max_response_bytes = kMaxJsonAnswerBytes;
  Attempted attempted = SendWithRetries("delete", request, options_.retry.attempts);
  // An absent object is not an error: the answer is then an empty list.
  VG_RETURN_IF_ERROR(Expect2xx("delete", key, options_.settings.bucket, where_,
                               std::move(attempted.response), attempted.error, attempted.tries)
                         .status());
  return Status::Ok();
}

Status SupabaseStore::ListVideos(
    const std::function<bool(const BlobInfo& info, int64_t created_unix_ms)>& visit) const {
  const int limit = options_.list_page_size;
  int64_t offset = 0;
  for (int page = 0; page < kMaxListPages; ++page) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = StorageUrl("/object/list/" + PercentEncode(options_.settings.bucket, false));
    request.headers = AuthHeaders();
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = json{{"prefix", std::string(kVideosPrefix)},
                        {"limit", limit},
                        {"offset", offset},
                        {"sortBy", {{"column", "created_at"}, {"order", "asc"}}}}
                       .dump();
    request.timeout_ms = options_.request_timeout_ms;
    request.max_response_bytes = kMaxJsonAnswerBytes;
    Attempted attempted = SendWithRetries("list", request, options_.retry.attempts);
    VG_ASSIGN_OR_RETURN(
        net::HttpResponse response,
        Expect2xx("list", std::string(kVideosPrefix), options_.settings.bucket, where_,
                  std::move(attempted.response), attempted.error, attempted.tries));
    const json entries = json::parse(response.body, nullptr, false);
    if (!entries.is_array()) {
      return Status(ErrorCode::kStorageUnavailable,
                    fmt::format("Supabase Storage at {} answered a listing that is not a JSON "
                                "array",
                                where_));
    }
    for (const json& entry : entries) {
      // Sub-folders come back as entries without an id: vidgen writes none under videos/.
      if (!entry.is_object()) continue;
      const auto id = entry.find("id");
      if (id == entry.end() || id->is_null()) continue;
      const std::string name = JsonString(entry, "name");
      if (name.empty()) continue;
      BlobInfo info;
      info.key = std::string(kVideosPrefix) + name;
      const auto metadata = entry.find("metadata");
      if (metadata != entry.end() && metadata->is_object()) {
        auto size = ParseInt64(JsonString(*metadata, "size"));
        if (!size) size = ParseInt64(JsonString(*metadata, "contentLength"));
        if (size) info.size_bytes = *size;
      }
      const Result<int64_t> created = ParseTimestampMs(JsonString(entry, "created_at"));
      Result<int64_t> modified = ParseTimestampMs(JsonString(entry, "updated_at"));
      if (!modified.ok()) modified = created;
      if (!modified.ok()) continue;  // no usable time: never let the sweep guess
      info.modified_unix_ms = *modified;
      if (!visit(info, created.ok() ? *created : *modified)) return Status::Ok();
    }
    if (entries.size() < static_cast<size_t>(limit)) return Status::Ok();
    offset += static_cast<int64_t>(entries.size());
  }
  return Status(ErrorCode::kStorageUnavailable,
                fmt::format("Supabase Storage at {}: the listing of bucket {} did not end", where_,
                            options_.settings.bucket));
}

Result<std::vector<BlobInfo>> SupabaseStore::ListOlderThan(int64_t unix_ms) const {
  std::vector<BlobInfo> older;
  VG_RETURN_IF_ERROR(ListVideos([&](const BlobInfo& info, int64_t created_unix_ms) {
    // Sorted by creation: once objects were created after the cutoff, none later is older
    // (modification never precedes creation).
    if (created_unix_ms >= unix_ms) return false;
    if (info.modified_unix_ms < unix_ms) older.push_back(info);
    return true;
  }));
  return older;
}

Status SupabaseStore::Check() const {
  net::HttpRequest request;
  request.method = "GET";
  request.url = StorageUrl("/bucket/" + PercentEncode(options_.settings.bucket, false));
  request.headers = AuthHeaders();
  request.timeout_ms = options_.check_timeout_ms;
  request.connect_timeout_ms = options_.check_timeout_ms;
  request.max_response_bytes = kMaxJsonAnswerBytes;
  Attempted attempted = SendWithRetries("check", request, 1);
  return Expect2xx("check", "", options_.settings.bucket, where_, std::move(attempted.response),
                   attempted.error, attempted.tries)
      .status();
}

Result<int64_t> SupabaseStore::BytesUsed() const {
  std::lock_guard<std::mutex> lock(bytes_used_mutex_);
  const auto now = clock_->Now();
  if (bytes_used_ &&
      now - bytes_used_at_ < std::chrono::milliseconds(options_.bytes_used_cache_ms)) {
    return *bytes_used_;
  }
  int64_t total = 0;
  VG_RETURN_IF_ERROR(ListVideos([&](const BlobInfo& info, int64_t) {
    total += info.size_bytes;
    return true;
  }));
  bytes_used_ = total;
  bytes_used_at_ = now;
  return total;
}

Result<std::unique_ptr<BlobStore>> CreateSupabaseStore(const config::SupabaseSettings& settings,
                                                       const Clock* clock) {
  net::CurlHttpClientOptions http_options;
  http_options.allow_private_addresses = true;
  SupabaseStoreOptions options;
  options.settings = settings;
  VG_ASSIGN_OR_RETURN(
      auto store,
      SupabaseStore::Open(std::move(options),
                          std::make_unique<net::CurlHttpClient>(std::move(http_options)), clock));
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace vg::storage

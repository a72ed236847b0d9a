// S3Store (see s3_store.h): S3's REST API by hand: PutObject, multipart uploads, HeadObject,
// DeleteObject, ListObjectsV2, presigned GETs, every request signed with SigV4.
#include "storage/s3_store.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <thread>
#include <utility>

#include "net/curl_http_client.h"
#include "obs/log.h"
#include "storage/s3_xml.h"

namespace vg::storage {
namespace {

constexpr int64_t kMinPartBytes = 5LL << 20;
constexpr int64_t kMaxPartBytes = 5LL << 30;
constexpr int64_t kMaxParts = 10000;
constexpr size_t kAbortsPerRetry = 8;
constexpr size_t kMaxPendingAborts = 64;
constexpr size_t kMaxKeyBytes = 1024;

bool IsIpLiteral(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;  // IPv6
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
  });
}

// A bucket name that can be the first label of a host name: 3-63 lower-case letters, digits
// and hyphens (dots only over plain http, where no certificate has to match).
bool CanBeHostLabel(std::string_view bucket, bool https) {
  if (bucket.size() < 3 || bucket.size() > 63 || bucket.front() == '-' || bucket.back() == '-') {
    return false;
  }
  return std::all_of(bucket.begin(), bucket.end(), [&](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-' || (c == '.' && !https);
  });
}

Status ValidateS3Key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return Error(ErrorCode::kInvalidArgument, "An S3 key must have 1 to 1024 bytes.");
  }
  if (key.front() == '/') {
    return Error(ErrorCode::kInvalidArgument, "An S3 key must not start with '/'.");
  }
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return Error(ErrorCode::kInvalidArgument, "An S3 key must not contain control characters.");
    }
  }
  return Status::Ok();
}

// `inline; filename="<basename>"`, with an RFC 6266 filename* when the name is not plain ASCII.
std::string ContentDisposition(std::string_view key) {
  const size_t slash = key.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  std::string ascii;
  bool plain = true;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 && byte < 0xc0) {
      plain = false;  // a UTF-8 continuation byte: its character already has its '_'
    } else if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      ascii.push_back('_');
      plain = false;
    } else {
      ascii.push_back(c);
    }
  }
  std::string value = "inline; filename=\"" + ascii + "\"";
  if (!plain) value += "; filename*=UTF-8''" + sigv4::UriEncode(name, false);
  return value;
}

int UploadTimeoutMs(const S3StoreOptions& options, int64_t bytes) {
  const int64_t rate = std::max<int64_t>(options.min_upload_bytes_per_second, 1);
  const int64_t ms = options.request_timeout_ms + bytes * 1000 / rate;
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

std::string Shorten(std::string text, size_t limit) {
  if (text.size() > limit) text = text.substr(0, limit) + "…";
  return text;
}

void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace

// One S3 request: everything needed to sign and send it again on each try.
struct S3Store::Call {
  std::string operation;  // "PutObject", for messages and logs
  std::string key;        // the object it concerns, or "" for bucket requests
  std::string method = "GET";
  std::string path;
  std::vector<sigv4::QueryParam> query;
  std::vector<net::HttpHeader> headers;  // signed (Expect is added unsigned)
  std::string body;
  std::optional<net::HttpFileBody> file_body;
  std::string payload_hash;  // empty: sha256 of `body`
  std::function<void(int64_t)> on_upload_progress;
  int timeout_ms = 30000;
  int attempts = 1;
  std::vector<int> accepted_statuses;  // non-2xx statuses that count as success
  bool error_in_ok_body = false;       // a 200 may carry an <Error> (CompleteMultipartUpload)
};

Result<std::unique_ptr<S3Store>> S3Store::Create(const config::S3Settings& settings,
                                                 S3StoreOptions options, const Clock* clock) {
  std::vector<std::string> problems;
  if (settings.access_key_id.empty()) problems.push_back("AWS_ACCESS_KEY_ID is not set");
  if (settings.secret_access_key.empty()) problems.push_back("AWS_SECRET_ACCESS_KEY is not set");
  if (settings.bucket.empty()) problems.push_back("AWS_S3_BUCKET is not set");
  if (settings.region.empty()) problems.push_back("AWS_REGION is not set");
  if (!settings.bucket.empty() &&
      (settings.bucket.find('/') != std::string::npos || settings.bucket.size() > 255)) {
    problems.push_back("AWS_S3_BUCKET is not a bucket name");
  }
  if (options.part_size_bytes < kMinPartBytes || options.part_size_bytes > kMaxPartBytes) {
    problems.push_back("the part size must be between 5 MiB and 5 GiB");
  }
  if (options.parallel_parts < 1 || options.attempts < 1 || options.list_page_size < 1 ||
      options.list_page_size > 1000) {
    problems.push_back("parallel parts and attempts must be ≥ 1, the list page 1..1000");
  }

  Endpoint endpoint;
  if (settings.endpoint.empty()) {
    endpoint.scheme = "https";
    endpoint.host = "s3." + settings.region + ".amazonaws.com";
  } else {
    std::string_view text = settings.endpoint;
    const size_t scheme_end = text.find("://");
    std::string scheme(scheme_end == std::string_view::npos ? "" : text.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "http" && scheme != "https") {
      problems.push_back("S3_ENDPOINT must start with http:// or https://");
    } else {
      endpoint.scheme = scheme;
      std::string_view rest = text.substr(scheme_end + 3);
      const size_t path_start = rest.find('/');
      std::string_view authority = rest.substr(0, path_start);
      std::string_view path =
          path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
      if (authority.find('@') != std::string_view::npos) {
        problems.push_back("S3_ENDPOINT must not contain user info (credentials go in AWS_*)");
      }
      if (path.find_first_of("?#") != std::string_view::npos) {
        problems.push_back("S3_ENDPOINT must not contain a query or fragment");
      }
      std::string_view port_text;
      if (!authority.empty() && authority.front() == '[') {
        const size_t close = authority.find(']');
        endpoint.host = std::string(authority.substr(0, close + 1));
        if (close != std::string_view::npos && close + 1 < authority.size()) {
          if (authority[close + 1] != ':') problems.push_back("S3_ENDPOINT has a malformed host");
          port_text = authority.substr(close + 2);
        }
      } else {
        const size_t colon = authority.rfind(':');
        endpoint.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
      }
      for (char& c : endpoint.host) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (endpoint.host.empty() || endpoint.host == "[]") {
        problems.push_back("S3_ENDPOINT has no host");
      }
      if (!port_text.empty()) {
        int port = 0;
        for (char c : port_text) {
          if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
            port = -1;
            break;
          }
          port = port * 10 + (c - '0');
        }
        if (port <= 0 || port > 65535) {
          problems.push_back("S3_ENDPOINT has an invalid port");
        } else if (!((scheme == "http" && port == 80) || (scheme == "https" && port == 443))) {
          endpoint.port = port;
        }
      }
      // The prefix, canonical: segments decoded as given would be re-encoded the same way by
      // the server, so encode raw characters and keep existing %XX escapes.
      while (!path.empty() && path.back() == '/') path.remove_suffix(1);
      std::string prefix;
      for (size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (c == '%' && i + 2 < path.size() &&
            std::isxdigit(static_cast<unsigned char>(path[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
          prefix.push_back('%');
          prefix.push_back(
              static_cast<char>(std::toupper(static_cast<unsigned char>(path[i + 1]))));
          prefix.push_back(
              static_cast<char>(std::toupper(static_cast<unsigned char>(path[i + 2]))));
          i += 2;
        } else {
          prefix += sigv4::UriEncode(std::string_view(&path[i], 1), true);
        }
      }
      endpoint.path_prefix = prefix;
    }
  }
  if (!problems.empty()) {
    std::string message = "The S3 settings are not usable: ";
    for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    return Error(ErrorCode::kInvalidArgument, message + ".");
  }

  const bool path_style = settings.force_path_style || IsIpLiteral(endpoint.host) ||
                          endpoint.host == "localhost" ||
                          !CanBeHostLabel(settings.bucket, endpoint.scheme == "https");
  auto store = std::unique_ptr<S3Store>(
      new S3Store(settings, std::move(endpoint), path_style, std::move(options), clock));
  obs::Log(obs::Level::kInfo, "storage.s3.ready",
           {{"endpoint", store->endpoint_text_},
            {"bucket", store->bucket_},
            {"region", store->credentials_.region},
            {"addressing", path_style ? "path" : "virtual-hosted"},
            {"access_key", store->credentials_.access_key_id.substr(0, 4) + "…"}});
  return store;
}

S3Store::S3Store(const config::S3Settings& settings, Endpoint endpoint, bool path_style,
                 S3StoreOptions options, const Clock* clock)
    : bucket_(settings.bucket),
      endpoint_(std::move(endpoint)),
      path_style_(path_style),
      options_(std::move(options)),
      clock_(clock != nullptr ? clock : &system_clock_) {
  credentials_.access_key_id = settings.access_key_id;
  credentials_.secret_access_key = settings.secret_access_key;
  credentials_.region = settings.region;
  endpoint_text_ = endpoint_.scheme + "://" + endpoint_.host +
                   (endpoint_.port != 0 ? ":" + std::to_string(endpoint_.port) : "") +
                   endpoint_.path_prefix;
  if (options_.http_client != nullptr) {
    http_ = options_.http_client;
  } else {
    net::CurlHttpClientOptions client_options;
    client_options.allow_private_addresses = true;
    owned_client_ = std::make_unique<net::CurlHttpClient>(std::move(client_options));
    http_ = owned_client_.get();
  }
  s3xml::InitXml();
}

S3Store::~S3Store() = default;

std::string S3Store::Authority() const {
  std::string host = path_style_ ? endpoint_.host : bucket_ + "." + endpoint_.host;
  if (endpoint_.port != 0) host += ":" + std::to_string(endpoint_.port);
  return host;
}

std::string S3Store::BucketPath() const {
  if (path_style_) return endpoint_.path_prefix + "/" + sigv4::UriEncode(bucket_, false);
  return endpoint_.path_prefix + "/";
}

std::string S3Store::ObjectPath(std::string_view key) const {
  return endpoint_.path_prefix + (path_style_ ? "/" + sigv4::UriEncode(bucket_, false) : "") + "/" +
         sigv4::EncodePath(key);
}

std::string S3Store::ObjectUrl(std::string_view key) const {
  return endpoint_.scheme + "://" + Authority() + ObjectPath(key);
}

int64_t S3Store::NowUnixSeconds() const { return clock_->NowUnixMs() / 1000; }

size_t S3Store::pending_aborts() const {
  std::lock_guard<std::mutex> lock(pending_mutex_);
  return pending_aborts_.size();
}

Status S3Store::TransportError(const Call& call, const net::HttpError& error, int tries) const {
  const ErrorCode code = error.kind == net::HttpErrorKind::kInvalidUrl ? ErrorCode::kInvalidArgument
                         : error.kind == net::HttpErrorKind::kLocalFile
                             ? ErrorCode::kInternal
                             : ErrorCode::kStorageUnavailable;
  std::string what = error.kind == net::HttpErrorKind::kLocalFile
                         ? "could not read the file being uploaded: " + error.message
                         : "cannot reach S3 at " + endpoint_text_ + ": " + error.message;
  return Error(code, fmt::format("S3 {}{} in bucket {} failed: {}{}.", call.operation,
                                 call.key.empty() ? "" : " of " + call.key, bucket_, what,
                                 tries > 1 ? fmt::format(" (after {} tries)", tries) : ""));
}

Status S3Store::ErrorFor(const Call& call, int http_status, std::string_view body,
                         int tries) const {
  const auto parsed = s3xml::ParseError(body);
  const std::string s3_code = parsed ? parsed->code : "";
  const std::string s3_message = parsed ? Shorten(parsed->message, 300) : "";
  const std::string where = fmt::format("bucket {} at {}", bucket_, endpoint_text_);
  const std::string what =
      fmt::format("S3 {}{}", call.operation, call.key.empty() ? "" : " of " + call.key);
  const std::string detail =
      fmt::format("HTTP {}{}{}", http_status, s3_code.empty() ? "" : " " + s3_code,
                  s3_message.empty() ? "" : ": " + s3_message);
  const std::string after = tries > 1 ? fmt::format(" (after {} tries)", tries) : "";

  if (s3_code == "InvalidAccessKeyId" || s3_code == "SignatureDoesNotMatch" ||
      s3_code == "InvalidToken" || s3_code == "ExpiredToken" || s3_code == "InvalidSecurity" ||
      (http_status == 401)) {
    return Error(ErrorCode::kUnauthorized,
                 fmt::format("S3 refused the credentials ({}) for {}: check AWS_ACCESS_KEY_ID "
                             "and AWS_SECRET_ACCESS_KEY ({} failed: {}).",
                             s3_code.empty() ? "HTTP 401" : s3_code, where, what, detail));
  }
  if (s3_code == "AuthorizationHeaderMalformed" || s3_code == "PermanentRedirect" ||
      s3_code == "IllegalLocationConstraintException" || http_status == 301) {
    const std::string region = parsed && !parsed->region.empty()
                                   ? " (S3 says the bucket is in " + parsed->region + ")"
                                   : "";
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("S3 refused the region or endpoint for {}: check AWS_REGION ({}) "
                             "and S3_ENDPOINT{} ({} failed: {}).",
                             where, credentials_.region, region, what, detail));
  }
  if (s3_code == "RequestTimeTooSkewed") {
    return Error(ErrorCode::kStorageUnavailable,
                 fmt::format("S3 refused the request because this machine's clock differs from "
                             "the server's by more than 15 minutes ({}; {} failed: {}).",
                             where, what, detail));
  }
  if (s3_code == "NoSuchBucket") {
    return Error(ErrorCode::kNotFound,
                 fmt::format("The bucket {} does not exist at {} ({} failed: {}).", bucket_,
                             endpoint_text_, what, detail));
  }
  if (http_status == 403 && !parsed) {
    return Error(ErrorCode::kForbidden,
                 fmt::format("{} in {} was refused with HTTP 403 and no details: the "
                             "credentials are wrong or lack permission.",
                             what, where));
  }
  if (http_status == 403 || s3_code == "AccessDenied" || s3_code == "AllAccessDisabled" ||
      s3_code == "AccountProblem") {
    return Error(ErrorCode::kForbidden,
                 fmt::format("S3 denied access to {}: the credentials lack permission for this "
                             "operation ({} failed: {}).",
                             where, what, detail));
  }
  if (http_status == 404) {
    return Error(ErrorCode::kNotFound,
                 fmt::format("{} in {} failed: {} (not found).", what, where, detail));
  }
  if (s3_code == "InvalidBucketName") {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{} is not a valid bucket name ({}).", bucket_, detail));
  }
  return Error(ErrorCode::kStorageUnavailable,
               fmt::format("{} in {} failed: {}{}.", what, where, detail, after));
}

Result<net::HttpResponse> S3Store::Execute(const Call& call) const {
  net::RetryPolicy policy;
  policy.attempts = std::max(call.attempts, 1);
  policy.first_delay_ms = options_.first_retry_delay_ms;
  policy.max_delay_ms = options_.max_retry_delay_ms;

  sigv4::Request to_sign;
  to_sign.method = call.method;
  to_sign.host = Authority();
  to_sign.path = call.path;
  to_sign.query = call.query;
  to_sign.headers = call.headers;
  to_sign.payload_hash =
      call.payload_hash.empty() ? sigv4::Sha256Hex(call.body) : call.payload_hash;

  net::HttpRequest request;
  request.method = call.method;
  request.url = endpoint_.scheme + "://" + to_sign.host + call.path;
  const std::string query = sigv4::CanonicalQuery(call.query);
  if (!query.empty()) request.url += "?" + query;
  request.body = call.body;
  request.body_file = call.file_body;
  request.on_upload_progress = call.on_upload_progress;
  request.timeout_ms = call.timeout_ms;
  request.connect_timeout_ms = std::min(10000, call.timeout_ms);
  if (call.file_body.has_value()) request.stall_timeout_s = options_.upload_stall_timeout_s;
  request.max_response_bytes = 64LL << 20;

  for (int attempt = 1;; ++attempt) {
    request.headers = sigv4::SignHeaders(credentials_, to_sign, NowUnixSeconds());
    if (options_.expect_continue && call.file_body.has_value()) {
      request.headers.push_back({"Expect", "100-continue"});
    }
    const auto started = std::chrono::steady_clock::now();
    net::HttpResult result = http_->Send(request);
    const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();

    bool retryable = false;
    std::string failure;  // for the log
    std::optional<Status> final_error;
    if (!result.ok()) {
      retryable = result.error().retryable;
      failure = result.error().message;
      final_error = TransportError(call, result.error(), attempt);
    } else {
      const net::HttpResponse& response = result.value();
      const bool accepted = (response.status >= 200 && response.status < 300) ||
                            std::find(call.accepted_statuses.begin(), call.accepted_statuses.end(),
                                      response.status) != call.accepted_statuses.end();
      std::optional<s3xml::ErrorBody> error_in_body;
      if (accepted && call.error_in_ok_body && response.status == 200) {
        error_in_body = s3xml::ParseError(response.body);
      }
      if (accepted && !error_in_body) return std::move(result).value();
      const auto parsed = error_in_body ? error_in_body : s3xml::ParseError(response.body);
      const std::string code = parsed ? parsed->code : "";
      retryable = response.status >= 500 || code == "RequestTimeout" || code == "InternalError" ||
                  code == "SlowDown" || code == "ServiceUnavailable";
      failure = fmt::format("HTTP {}{}", response.status, code.empty() ? "" : " " + code);
      final_error = ErrorFor(call, response.status, response.body, attempt);
    }
    if (!retryable || attempt >= policy.attempts) {
      // A missing object is an answer, not a failure worth a warning (Head, Delete).
      const bool not_found = result.ok() && result.value().status == 404;
      obs::Log(not_found ? obs::Level::kDebug : obs::Level::kWarn, "storage.s3.failed",
               {{"op", call.operation},
                {"key", call.key},
                {"tries", attempt},
                {"error", failure},
                {"ms", static_cast<long long>(elapsed_ms)}});
      return *final_error;
    }
    const int delay_ms = net::RetryDelayMs(policy, attempt);
    obs::Log(obs::Level::kWarn, "storage.s3.retry",
             {{"op", call.operation},
              {"key", call.key},
              {"try", attempt},
              {"error", failure},
              {"delay_ms", delay_ms}});
    if (options_.sleep) {
      options_.sleep(delay_ms);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
  }
}

Status S3Store::Put(const std::string& key, const std::string& local_path,
                    const std::string& content_type,
                    const std::function<void(int64_t, int64_t)>& on_progress) {
  VG_RETURN_IF_ERROR(ValidateS3Key(key));
  struct stat info {};
  if (stat(local_path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Error(ErrorCode::kNotFound,
                 "The file to upload to S3 does not exist or is not a "
                 "regular file.");
  }
  const int64_t size = static_cast<int64_t>(info.st_size);
  std::vector<net::HttpHeader> metadata = {
      {"Content-Type", content_type.empty() ? "application/octet-stream" : content_type},
      {"Content-Disposition", ContentDisposition(key)}};
  const auto started = std::chrono::steady_clock::now();
  const bool multipart = size >= options_.multipart_threshold_bytes && size > kMinPartBytes;
  Status status = multipart ? PutMultipart(key, local_path, size, metadata, on_progress)
                            : PutSingle(key, local_path, size, metadata, on_progress);
  if (!status.ok()) return status;
  RetryPendingAborts();  // the server answers again: aborts that could not be sent can go now
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  obs::Log(obs::Level::kInfo, "storage.s3.put",
           {{"key", key},
            {"bytes", static_cast<long long>(size)},
            {"multipart", multipart},
            {"ms", static_cast<long long>(seconds * 1000)},
            {"mb_per_s", seconds > 0 ? static_cast<double>(size) / 1e6 / seconds : 0.0}});
  std::lock_guard<std::mutex> lock(bytes_used_mutex_);
  if (bytes_used_) *bytes_used_ += size;  // approximate until the next listing
  return Status::Ok();
}

Status S3Store::PutSingle(const std::string& key, const std::string& local_path, int64_t size,
                          const std::vector<net::HttpHeader>& metadata,
                          const std::function<void(int64_t, int64_t)>& on_progress) {
  int64_t reported = 0;
  Call call;
  call.operation = "PutObject";
  call.key = key;
  call.method = "PUT";
  call.path = ObjectPath(key);
  call.headers = metadata;
  if (size > 0) {
    call.file_body = net::HttpFileBody{local_path, 0, size};
    call.payload_hash = std::string(sigv4::kUnsignedPayload);
  }
  call.timeout_ms = UploadTimeoutMs(options_, size);
  call.attempts = options_.attempts;
  if (on_progress) {
    // Monotonic: a retry starts the body again, the caller's bar does not go back.
    call.on_upload_progress = [&](int64_t sent) {
      if (sent > reported) {
        reported = sent;
        on_progress(sent, size);
      }
    };
  }
  VG_ASSIGN_OR_RETURN(net::HttpResponse response, Execute(call));
  static_cast<void>(response);
  if (on_progress && reported < size) on_progress(size, size);
  return Status::Ok();
}

Status S3Store::PutMultipart(const std::string& key, const std::string& local_path, int64_t size,
                             const std::vector<net::HttpHeader>& metadata,
                             const std::function<void(int64_t, int64_t)>& on_progress) {
  int64_t part_size = options_.part_size_bytes;
  if ((size + part_size - 1) / part_size > kMaxParts) {
    const int64_t mib = 1LL << 20;
    part_size = ((size + kMaxParts - 1) / kMaxParts + mib - 1) / mib * mib;
  }
  const int64_t part_count = (size + part_size - 1) / part_size;

  Call create;
  create.operation = "CreateMultipartUpload";
  create.key = key;
  create.method = "POST";
  create.path = ObjectPath(key);
  create.query = {{"uploads", ""}};
  create.headers = metadata;
  create.timeout_ms = options_.request_timeout_ms;
  create.attempts = options_.attempts;
  VG_ASSIGN_OR_RETURN(net::HttpResponse created, Execute(create));
  VG_ASSIGN_OR_RETURN(const std::string upload_id, s3xml::ParseUploadId(created.body));

  // Parts go up on worker threads; this thread reports progress and waits.
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    int running = 0;
    bool failed = false;
    Status error;
    std::vector<std::string> etags;
    std::vector<std::atomic<int64_t>> sent;
    std::atomic<int64_t> next_part{0};
    explicit Shared(size_t parts) : etags(parts), sent(parts) {}
  } shared(static_cast<size_t>(part_count));

  auto upload_part = [&](int64_t index) -> Status {
    const int64_t offset = index * part_size;
    const int64_t length = std::min(part_size, size - offset);
    Call part;
    part.operation = fmt::format("UploadPart {}/{}", index + 1, part_count);
    part.key = key;
    part.method = "PUT";
    part.path = ObjectPath(key);
    part.query = {{"partNumber", std::to_string(index + 1)}, {"uploadId", upload_id}};
    part.file_body = net::HttpFileBody{local_path, offset, length};
    part.payload_hash = std::string(sigv4::kUnsignedPayload);
    part.timeout_ms = UploadTimeoutMs(options_, length);
    part.attempts = options_.attempts;
    part.on_upload_progress = [&shared, index](int64_t bytes) {
      shared.sent[static_cast<size_t>(index)].store(bytes, std::memory_order_relaxed);
    };
    VG_ASSIGN_OR_RETURN(net::HttpResponse response, Execute(part));
    const std::string* etag = response.FindHeader("ETag");
    if (etag == nullptr || etag->empty()) {
      return Error(ErrorCode::kStorageUnavailable,
                   fmt::format("S3 UploadPart {} of {} in bucket {} answered without an ETag.",
                               index + 1, key, bucket_));
    }
    shared.sent[static_cast<size_t>(index)].store(length, std::memory_order_relaxed);
    shared.etags[static_cast<size_t>(index)] = *etag;
    return Status::Ok();
  };

  const int thread_count = static_cast<int>(std::min<int64_t>(options_.parallel_parts, part_count));
  std::vector<std::thread> threads;
  shared.running = thread_count;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&] {
      NameThisThread("s3-upload-part");
      while (true) {
        {
          std::lock_guard<std::mutex> lock(shared.mutex);
          if (shared.failed) break;
        }
        const int64_t index = shared.next_part.fetch_add(1);
        if (index >= part_count) break;
        Status status = upload_part(index);
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(shared.mutex);
          if (!shared.failed) shared.error = std::move(status);
          shared.failed = true;
          break;
        }
      }
      std::lock_guard<std::mutex> lock(shared.mutex);
      --shared.running;
      shared.changed.notify_all();
    });
  }
  int64_t reported = 0;
  {
    std::unique_lock<std::mutex> lock(shared.mutex);
    while (shared.running > 0) {
      shared.changed.wait_for(lock, std::chrono::milliseconds(100));
      if (on_progress && !shared.failed) {
        int64_t done = 0;
        for (const auto& bytes : shared.sent) done += bytes.load(std::memory_order_relaxed);
        if (done > reported) {
          reported = done;
          lock.unlock();
          on_progress(done, size);
          lock.lock();
        }
      }
    }
  }
  for (std::thread& thread : threads) thread.join();

  if (shared.failed) {
    Abort(key, upload_id, options_.attempts);
    return shared.error;
  }

  Call complete;
  complete.operation = "CompleteMultipartUpload";
  complete.key = key;
  complete.method = "POST";
  complete.path = ObjectPath(key);
  complete.query = {{"uploadId", upload_id}};
  complete.headers = {{"Content-Type", "application/xml"}};
  complete.body = s3xml::CompleteMultipartUploadXml(shared.etags);
  // S3 may take minutes to assemble a large object (it keeps the connection alive meanwhile).
  complete.timeout_ms = std::max(options_.request_timeout_ms, 300000);
  complete.attempts = options_.attempts;
  complete.error_in_ok_body = true;
  auto completed = Execute(complete);
  if (!completed.ok()) {
    // A retried Complete whose first try did succeed finds the upload gone: the object there
    // with our size is the proof.
    if (completed.error().code() == ErrorCode::kNotFound) {
      auto info = Head(key);
      if (info.ok() && info->size_bytes == size) return Status::Ok();
    }
    Abort(key, upload_id, options_.attempts);
    return completed.error();
  }
  if (on_progress && reported < size) on_progress(size, size);
  obs::Log(obs::Level::kDebug, "storage.s3.multipart",
           {{"key", key},
            {"parts", static_cast<long long>(part_count)},
            {"part_bytes", static_cast<long long>(part_size)}});
  return Status::Ok();
}

bool S3Store::Abort(const std::string& key, const std::string& upload_id, int attempts) const {
  Call abort;
  abort.operation = "AbortMultipartUpload";
  abort.key = key;
  abort.method = "DELETE";
  abort.path = ObjectPath(key);
  abort.query = {{"uploadId", upload_id}};
  abort.timeout_ms = options_.request_timeout_ms;
  abort.attempts = attempts;
  // 404: already gone. 405: s3rver 3.7.1 does not implement abort (parts stay on its disk).
  abort.accepted_statuses = {404, 405};
  auto result = Execute(abort);
  if (result.ok()) {
    if (result->status == 405) {
      obs::Log(obs::Level::kWarn, "storage.s3.abort_unsupported",
               {{"key", key}, {"endpoint", endpoint_text_}});
    }
    return true;
  }
  if (result.error().code() == ErrorCode::kStorageUnavailable) {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    if (pending_aborts_.size() >= kMaxPendingAborts) pending_aborts_.erase(pending_aborts_.begin());
    pending_aborts_.push_back({key, upload_id});
    obs::Log(obs::Level::kWarn, "storage.s3.abort_pending", {{"key", key}});
  }
  return false;
}

void S3Store::RetryPendingAborts() const {
  std::vector<PendingAbort> pending;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    pending.swap(pending_aborts_);
  }
  // A few per call, one try each, so a Check stays cheap; Abort() puts back what fails again.
  for (size_t i = 0; i < pending.size(); ++i) {
    if (i >= kAbortsPerRetry) {
      std::lock_guard<std::mutex> lock(pending_mutex_);
      pending_aborts_.push_back(pending[i]);
      continue;
    }
    if (Abort(pending[i].key, pending[i].upload_id, 1)) {
      obs::Log(obs::Level::kInfo, "storage.s3.abort_done", {{"key", pending[i].key}});
    }
  }
}

Result<SignedUrl> S3Store::Sign(const std::string& key, int64_t ttl_seconds) const {
  return SignWithDisposition(key, ttl_seconds, {});
}

Result<SignedUrl> S3Store::SignWithDisposition(const std::string& key, int64_t ttl_seconds,
                                               std::string_view content_disposition) const {
  VG_RETURN_IF_ERROR(ValidateS3Key(key));
  if (ttl_seconds < 1) {
    return Error(ErrorCode::kInvalidArgument, "A signed URL must live at least 1 second.");
  }
  const int64_t ttl = std::min(ttl_seconds, sigv4::kMaxPresignSeconds);
  sigv4::Request request;
  request.method = "GET";
  request.host = Authority();
  request.path = ObjectPath(key);
  if (!content_disposition.empty()) {
    request.query.push_back({"response-content-disposition", std::string(content_disposition)});
  }
  const int64_t now = NowUnixSeconds();
  VG_ASSIGN_OR_RETURN(const std::string query,
                      sigv4::PresignQuery(credentials_, request, now, ttl));
  SignedUrl url;
  url.url = endpoint_.scheme + "://" + request.host + request.path + "?" + query;
  url.expires_unix_s = now + ttl;
  return url;
}

Result<BlobInfo> S3Store::Head(const std::string& key) const {
  VG_RETURN_IF_ERROR(ValidateS3Key(key));
  Call call;
  call.operation = "HeadObject";
  call.key = key;
  call.method = "HEAD";
  call.path = ObjectPath(key);
  call.timeout_ms = options_.request_timeout_ms;
  call.attempts = options_.attempts;
  VG_ASSIGN_OR_RETURN(net::HttpResponse response, Execute(call));
  BlobInfo info;
  info.key = key;
  const std::string* length = response.FindHeader("Content-Length");
  const std::string* modified = response.FindHeader("Last-Modified");
  try {
    info.size_bytes = length != nullptr ? std::stoll(*length) : 0;
  } catch (const std::exception&) {
    info.size_bytes = 0;
  }
  if (modified != nullptr) {
    info.modified_unix_ms = s3xml::ParseHttpDateMs(*modified).value_or(0);
  }
  return info;
}

Status S3Store::Delete(const std::string& key) {
  VG_RETURN_IF_ERROR(ValidateS3Key(key));
  Call call;
  call.operation = "DeleteObject";
  call.key = key;
  call.method = "DELETE";
  call.path = ObjectPath(key);
  call.timeout_ms = options_.request_timeout_ms;
  call.attempts = options_.attempts;
  call.accepted_statuses = {404};
  VG_ASSIGN_OR_RETURN(net::HttpResponse response, Execute(call));
  static_cast<void>(response);
  std::lock_guard<std::mutex> lock(bytes_used_mutex_);
  bytes_used_.reset();  // the size deleted is unknown here: list again next time
  return Status::Ok();
}

Result<std::vector<BlobInfo>> S3Store::ListAll() const {
  std::vector<BlobInfo> all;
  std::string token;
  for (int page_number = 0;; ++page_number) {
    Call call;
    call.operation = "ListObjectsV2";
    call.method = "GET";
    call.path = BucketPath();
    call.query = {{"list-type", "2"},
                  {"max-keys", std::to_string(options_.list_page_size)},
                  {"prefix", options_.list_prefix}};
    if (!token.empty()) call.query.push_back({"continuation-token", token});
    call.timeout_ms = options_.request_timeout_ms;
    call.attempts = options_.attempts;
    VG_ASSIGN_OR_RETURN(net::HttpResponse response, Execute(call));
    VG_ASSIGN_OR_RETURN(s3xml::ListPage page, s3xml::ParseListObjectsV2(response.body));
    for (s3xml::ObjectEntry& entry : page.objects) {
      if (entry.key.rfind(options_.list_prefix, 0) != 0) continue;  // never outside the prefix
      all.push_back({std::move(entry.key), entry.size_bytes, entry.modified_unix_ms});
    }
    if (!page.truncated) break;
    if (page.next_continuation_token == token || page_number > 1000000) {
      return Error(ErrorCode::kStorageUnavailable,
                   "S3 ListObjectsV2 returned the same continuation token twice.");
    }
    token = std::move(page.next_continuation_token);
  }
  return all;
}

Result<std::vector<BlobInfo>> S3Store::ListOlderThan(int64_t unix_ms) const {
  VG_ASSIGN_OR_RETURN(std::vector<BlobInfo> all, ListAll());
  std::vector<BlobInfo> older;
  for (BlobInfo& info : all) {
    if (info.modified_unix_ms < unix_ms) older.push_back(std::move(info));
  }
  return older;
}

Status S3Store::Check() const {
  Call call;
  call.operation = "ListObjectsV2";
  call.method = "GET";
  call.path = BucketPath();
  call.query = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", options_.list_prefix}};
  call.timeout_ms = std::min(options_.request_timeout_ms, 10000);
  call.attempts = 1;
  VG_ASSIGN_OR_RETURN(net::HttpResponse response, Execute(call));
  static_cast<void>(response);
  RetryPendingAborts();  // only once the server is known to answer
  return Status::Ok();
}

Result<int64_t> S3Store::BytesUsed() const {
  const int64_t now = clock_->NowUnixMs();
  {
    std::lock_guard<std::mutex> lock(bytes_used_mutex_);
    if (bytes_used_ && now - bytes_used_at_ms_ < options_.bytes_used_cache_ms) {
      return *bytes_used_;
    }
  }
  // Listed without the lock, so a Put never waits for a listing.
  VG_ASSIGN_OR_RETURN(std::vector<BlobInfo> all, ListAll());
  int64_t total = 0;
  for (const BlobInfo& info : all) total += info.size_bytes;
  std::lock_guard<std::mutex> lock(bytes_used_mutex_);
  bytes_used_ = total;
  bytes_used_at_ms_ = now;
  return total;
}

}  // namespace vg::storage

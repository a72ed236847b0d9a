// HttpClient: the small HTTP interface the rest of vidgen talks to (asset downloads, webhooks,
// storage back ends), so business logic can be unit-tested against a fake. CurlHttpClient
// (curl_http_client.h) is the real one. Transfer failures and non-2xx answers come back as an
// HttpError that says in plain words what went wrong and whether trying again may help.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/status.h"

namespace vg::net {

struct HttpHeader {
  std::string name;
  std::string value;
};

// A byte range of a local file sent as a request body: read piece by piece while curl sends
// it, never loaded whole (Send only).
struct HttpFileBody {
  std::string path;
  int64_t offset = 0;
  int64_t length = -1;  // -1: to the end of the file
};

struct HttpRequest {
  std::string method = "GET";  // Send only: GET, HEAD, PUT, POST, PATCH or DELETE
  std::string url;             // http:// or https:// only
  std::vector<HttpHeader> headers;
  std::string body;                          // POST, and Send (unless body_file is set)
  std::optional<HttpFileBody> body_file;     // Send only: the body streamed from a file
  // Send only: called on the calling thread with the request body bytes sent so far.
  std::function<void(int64_t)> on_upload_progress;
  int timeout_ms = 30000;                    // the whole transfer, redirects included
  int connect_timeout_ms = 10000;            // each connection (never more than timeout_ms)
  // > 0: the transfer fails (kTimeout, retryable) once no byte moved in either direction for
  // this many seconds, however long timeout_ms is: a peer that stops reading or answering
  // mid-transfer is found out without waiting for a long upload's whole timeout. (curl
  // averages the speed over about 5 s, so the failure comes up to 5 s later than this.)
  int stall_timeout_s = 0;
  int64_t max_response_bytes = 200LL << 20;  // body limit; the transfer stops once exceeded
  int max_redirects = 5;                     // GET only; POST never follows redirects
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  // of the final response, in order, names as sent
  std::string body;
  int redirects = 0;  // hops followed

  // The first header named `name` (case-insensitive), or nullptr.
  const std::string* FindHeader(std::string_view name) const;
};

enum class HttpErrorKind {
  kInvalidUrl,        // malformed, or a scheme other than http/https (also on a redirect)
  kRefusedAddress,    // the SSRF guard refused the resolved address
  kResolve,           // the host name does not resolve
  kConnect,           // connection refused / unreachable
  kTimeout,           // the connect or total timeout passed
  kTls,               // TLS handshake or certificate problem
  kTransfer,          // the connection broke mid-way, or the peer sent garbage
  kTooLarge,          // the body is larger than max_response_bytes
  kTooManyRedirects,  // more than max_redirects hops
  kHttpStatus,        // the server answered, but not with 2xx
  kLocalFile,         // Send: the body file cannot be read, or is shorter than the range
};

struct HttpError {
  HttpErrorKind kind = HttpErrorKind::kTransfer;
  // A plain sentence without the URL: "connection refused", "timed out after 30000 ms",
  // "address 127.0.0.1 is private and private addresses are not allowed", "HTTP 404",
  // "larger than 209715200 bytes".
  std::string message;
  int http_status = 0;     // kHttpStatus: the status the server sent
  bool retryable = false;  // network errors, timeouts and 5xx: true; 4xx, refusals: false
};

// A response or an error; a plain value, shaped like vg::Result.
class [[nodiscard]] HttpResult {
 public:
  HttpResult(HttpResponse response) : response_(std::move(response)) {}  // NOLINT: implicit
  HttpResult(HttpError error) : error_(std::move(error)) {}              // NOLINT: implicit

  bool ok() const { return !error_.has_value(); }
  const HttpResponse& value() const& {
    VG_CHECK(ok());
    return response_;
  }
  HttpResponse&& value() && {
    VG_CHECK(ok());
    return std::move(response_);
  }
  const HttpError& error() const {
    VG_CHECK(!ok());
    return *error_;
  }

 private:
  HttpResponse response_;
  std::optional<HttpError> error_;
};

// The error for a final answer with a non-2xx `status`: "HTTP 404", retryable for 5xx only.
HttpError ErrorForStatus(int status);

// Performs HTTP requests. Implementations are thread-safe: one client is shared by all threads.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // GET `request.url` into memory, following up to request.max_redirects redirects. A 2xx
  // answer is a response; anything else an HttpError (kHttpStatus for non-2xx).
  virtual HttpResult Get(const HttpRequest& request) = 0;
  // POST `request.body` with `request.headers`; redirects are not followed (a 3xx is an
  // error). The response body is limited to request.max_response_bytes as well.
  virtual HttpResult Post(const HttpRequest& request) = 0;
  // Any method (request.method) with the body from `body` or `body_file`, sent with a
  // Content-Length (never chunked) and without waiting for "100 Continue" unless the caller
  // adds "Expect: 100-continue" itself; redirects are not followed. Every HTTP answer,
  // whatever its status, is a response (its body read up to max_response_bytes) so a
  // protocol's error body (S3 XML, Supabase JSON) can be read; only transport failures,
  // refusals and an unreadable body file are HttpErrors. For storage back ends and uploads.
  virtual HttpResult Send(const HttpRequest& request) = 0;
};

}  // namespace vg::net

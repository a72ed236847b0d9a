// libcurl adapter. Each transfer owns a TransferState that the curl callbacks fill: the body
// (bounded), the final response's headers, and the reason for an abort we caused ourselves
// (guard refusal, size limit, error status), which is turned into the HttpError afterwards.
#include "net/curl_http_client.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

#include "base/c_handle.h"
#include "net/address_guard.h"
#include "net/url.h"
#include "obs/log.h"

namespace vg::net {
namespace {

using CurlEasy = CHandle<CURL, curl_easy_cleanup>;
using CurlList = CHandle<curl_slist, curl_slist_free_all>;
using File = CHandle<FILE, fclose>;

// Response headers larger than this (all hops together) abort the transfer.
constexpr size_t kMaxHeaderBytes = 256 * 1024;
// We reserve the body up front from Content-Length, but never more than this on its word.
constexpr int64_t kMaxReserveBytes = 16LL << 20;

struct TransferState {
  // Inputs.
  bool allow_private_addresses = false;
  const std::vector<int>* public_loopback_ports = nullptr;
  int64_t max_bytes = 0;
  bool following_redirects = false;
  bool any_status = false;  // Send: every final answer is a response, whatever its status
  bool no_body = false;     // HEAD: Content-Length describes a body that never comes

  // The response being received (reset at every status line: redirects, 100 Continue).
  int status = 0;
  std::vector<HttpHeader> headers;
  size_t header_bytes = 0;
  std::string body;

  // Why we aborted, when we did.
  std::optional<std::string> refused_address;  // message for kRefusedAddress
  bool too_large = false;
  bool headers_too_large = false;
  int error_status = 0;  // a final non-2xx status seen; the body is not downloaded
};

bool IsRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// "HTTP/1.1 404 Not Found" → 404; 0 when it does not parse.
int ParseStatusLine(std::string_view line) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  std::string_view rest = line.substr(space + 1);
  int status = 0;
  auto [end, error] =
      std::from_chars(rest.data(), rest.data() + std::min<size_t>(rest.size(), 3), status);
  if (error != std::errc() || end != rest.data() + 3) return 0;
  return status;
}

std::optional<int64_t> ContentLength(const std::vector<HttpHeader>& headers) {
  for (const HttpHeader& header : headers) {
    if (header.name.size() == 14 && strncasecmp(header.name.c_str(), "content-length", 14) == 0) {
      int64_t length = 0;
      const char* begin = header.value.data();
      const char* end = begin + header.value.size();
      auto [ptr, error] = std::from_chars(begin, end, length);
      if (error == std::errc() && ptr == end && length >= 0) return length;
    }
  }
  return std::nullopt;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const size_t bytes = size * count;
  state->header_bytes += bytes;
  if (state->header_bytes > kMaxHeaderBytes) {
    state->headers_too_large = true;
    return 0;
  }
  std::string_view line(data, bytes);
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    state->status = ParseStatusLine(Trim(line));
    state->headers.clear();
    return bytes;
  }
  if (Trim(line).empty()) {
    // End of one response's headers. Interim (1xx) answers and redirects curl will follow
    // are not the final response.
    const int status = state->status;
    if (status >= 100 && status < 200) return bytes;
    if (state->following_redirects && IsRedirectStatus(status)) return bytes;
    if ((status < 200 || status > 299) && !state->any_status) {
      state->error_status = status;
      return 0;  // no need to download an error page
    }
    if (state->no_body) return bytes;
    if (std::optional<int64_t> length = ContentLength(state->headers)) {
      if (*length > state->max_bytes) {
        state->too_large = true;
        return 0;
      }
      state->body.reserve(static_cast<size_t>(std::min(*length, kMaxReserveBytes)));
    }
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    state->headers.push_back(
        {std::string(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1)))});
  }
  return bytes;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const size_t bytes = size * count;
  if (static_cast<int64_t>(state->body.size()) + static_cast<int64_t>(bytes) > state->max_bytes) {
    state->too_large = true;
    return 0;  // curl aborts with CURLE_WRITE_ERROR
  }
  state->body.append(data, bytes);
  return bytes;
}

// The body of a Send: a range of a file, or bytes in memory, handed to curl as it asks.
struct UploadSource {
  File file;                            // set for a file body
  const std::string* memory = nullptr;  // set for a memory body
  int64_t start = 0;                    // file offset of the first byte
  int64_t length = 0;
  int64_t position = 0;  // bytes handed to curl so far
  bool read_failed = false;
};

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<UploadSource*>(user);
  const int64_t wanted =
      std::min<int64_t>(static_cast<int64_t>(size * count), source->length - source->position);
  if (wanted <= 0) return 0;
  if (source->memory != nullptr) {
    std::memcpy(buffer, source->memory->data() + source->position, static_cast<size_t>(wanted));
    source->position += wanted;
    return static_cast<size_t>(wanted);
  }
  const size_t got = std::fread(buffer, 1, static_cast<size_t>(wanted), source->file.get());
  if (got == 0) {
    // The file shrank under us: abort rather than send a short body.
    source->read_failed = true;
    return CURL_READFUNC_ABORT;
  }
  source->position += static_cast<int64_t>(got);
  return got;
}

// curl rewinds the body when it must send it again (a 100-continue refusal, a reconnect).
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* source = static_cast<UploadSource*>(user);
  if (origin != SEEK_SET || offset < 0 || offset > source->length) return CURL_SEEKFUNC_FAIL;
  if (source->file && fseeko(source->file.get(), source->start + offset, SEEK_SET) != 0) {
    return CURL_SEEKFUNC_FAIL;
  }
  source->position = offset;
  return CURL_SEEKFUNC_OK;
}

struct ProgressState {
  const std::function<void(int64_t)>* callback = nullptr;
  curl_off_t last_sent = -1;
};

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t sent) {
  auto* progress = static_cast<ProgressState*>(user);
  if (sent != progress->last_sent) {
    progress->last_sent = sent;
    (*progress->callback)(static_cast<int64_t>(sent));
  }
  return 0;
}

bool IsPublicLoopbackForTesting(const TransferState& state, const sockaddr& address) {
  if (state.public_loopback_ports == nullptr || state.public_loopback_ports->empty()) return false;
  if (address.sa_family != AF_INET) return false;
  sockaddr_in in4;
  std::memcpy(&in4, &address, sizeof(in4));
  if (ntohl(in4.sin_addr.s_addr) != INADDR_LOOPBACK) return false;
  const int port = AddressPort(address);
  return std::find(state.public_loopback_ports->begin(), state.public_loopback_ports->end(),
                   port) != state.public_loopback_ports->end();
}

// Called by curl with the resolved address of every connection it opens (each redirect hop,
// each address family it tries), so this is where the SSRF guard sits: DNS answers cannot
// change between our check and the connect.
curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* state = static_cast<TransferState*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && !state->allow_private_addresses) {
    const bool complete = (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) ||
                          (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6));
    if (!complete) {
      state->refused_address = "address family " + std::to_string(address->family) +
                               " is not allowed when private addresses are not allowed";
      return CURL_SOCKET_BAD;
    }
    if (IsPrivateAddress(address->addr) && !IsPublicLoopbackForTesting(*state, address->addr)) {
      if (!state->refused_address) {
        state->refused_address = "address " + AddressToString(address->addr) +
                                 " is private and private addresses are not allowed";
      }
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

HttpError MakeError(HttpErrorKind kind, std::string message, bool retryable) {
  HttpError error;
  error.kind = kind;
  error.message = std::move(message);
  error.retryable = retryable;
  return error;
}

std::string CurlDetail(CURLcode code, const char* error_buffer) {
  if (error_buffer != nullptr && error_buffer[0] != '\0') return error_buffer;
  return curl_easy_strerror(code);
}

HttpError ErrorFromCurl(CURL* handle, CURLcode code, const char* error_buffer,
                        const HttpRequest& request, int64_t elapsed_ms) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
      return MakeError(HttpErrorKind::kInvalidUrl, "only http and https URLs are allowed", false);
    case CURLE_URL_MALFORMAT:
      return MakeError(HttpErrorKind::kInvalidUrl, "malformed URL", false);
    case CURLE_COULDNT_RESOLVE_HOST:
      return MakeError(HttpErrorKind::kResolve, "could not resolve host", true);
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(handle, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno == ECONNREFUSED) {
        return MakeError(HttpErrorKind::kConnect, "connection refused", true);
      }
      if (os_errno == ENETUNREACH) {
        return MakeError(HttpErrorKind::kConnect, "network unreachable", true);
      }
      if (os_errno == EHOSTUNREACH) {
        return MakeError(HttpErrorKind::kConnect, "host unreachable", true);
      }
      return MakeError(HttpErrorKind::kConnect,
                       "could not connect (" + CurlDetail(code, error_buffer) + ")", true);
    }
    case CURLE_OPERATION_TIMEDOUT: {
      // curl reports every timeout with one code; a connect timeout fires well before the
      // total one, and a stall (low-speed limit) before it too once the transfer ran for the
      // stall window.
      const int connect_timeout_ms = std::min(request.connect_timeout_ms, request.timeout_ms);
      if (request.stall_timeout_s > 0 && elapsed_ms >= request.stall_timeout_s * 1000 - 20 &&
          elapsed_ms < request.timeout_ms - 20) {
        return MakeError(
            HttpErrorKind::kTimeout,
            "stalled: nothing moved for " + std::to_string(request.stall_timeout_s) + " s", true);
      }
      if (connect_timeout_ms < request.timeout_ms && elapsed_ms < request.timeout_ms - 20) {
        return MakeError(HttpErrorKind::kTimeout,
                         "connect timed out after " + std::to_string(connect_timeout_ms) + " ms",
                         true);
      }
      return MakeError(HttpErrorKind::kTimeout,
                       "timed out after " + std::to_string(request.timeout_ms) + " ms", true);
    }
    case CURLE_TOO_MANY_REDIRECTS:
      return MakeError(HttpErrorKind::kTooManyRedirects,
                       "more than " + std::to_string(request.max_redirects) + " redirects", false);
    case CURLE_FILESIZE_EXCEEDED:
      return MakeError(HttpErrorKind::kTooLarge,
                       "larger than " + std::to_string(request.max_response_bytes) + " bytes",
                       false);
    case CURLE_PEER_FAILED_VERIFICATION:
      return MakeError(HttpErrorKind::kTls,
                       "TLS certificate not trusted (" + CurlDetail(code, error_buffer) + ")",
                       false);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
      return MakeError(HttpErrorKind::kTls, "TLS error (" + CurlDetail(code, error_buffer) + ")",
                       true);
    default:
      return MakeError(HttpErrorKind::kTransfer,
                       "transfer failed (" + CurlDetail(code, error_buffer) + ")", true);
  }
}

bool IsSendMethod(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "POST" ||
         method == "PATCH" || method == "DELETE";
}

bool HasHeader(const std::vector<HttpHeader>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const HttpHeader& header) {
    return header.name.size() == name.size() &&
           strncasecmp(header.name.c_str(), name.data(), name.size()) == 0;
  });
}

// Opens the file range of a Send body; kLocalFile when it cannot be read whole.
std::optional<HttpError> OpenFileBody(const HttpFileBody& body, UploadSource* source) {
  struct stat info {};
  if (stat(body.path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return MakeError(HttpErrorKind::kLocalFile,
                     "cannot read the body file: " + std::string(std::strerror(errno)), false);
  }
  const int64_t size = static_cast<int64_t>(info.st_size);
  const int64_t length = body.length < 0 ? size - body.offset : body.length;
  if (body.offset < 0 || length < 0 || body.offset + length > size) {
    return MakeError(HttpErrorKind::kLocalFile,
                     "the body file has " + std::to_string(size) + " bytes, fewer than the " +
                         std::to_string(body.offset) + "+" + std::to_string(length) + " to send",
                     false);
  }
  source->file.reset(std::fopen(body.path.c_str(), "rbe"));
  if (!source->file || fseeko(source->file.get(), body.offset, SEEK_SET) != 0) {
    return MakeError(HttpErrorKind::kLocalFile,
                     "cannot open the body file: " + std::string(std::strerror(errno)), false);
  }
  source->start = body.offset;
  source->length = length;
  return std::nullopt;
}

}  // namespace

// A CURLSH sharing connections, TLS sessions and DNS answers between the client's transfers,
// with one mutex per kind of shared data (libcurl asks for the lock around each use).
struct CurlHttpClient::Share {
  CURLSH* handle = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

  Share() {
    handle = curl_share_init();
    if (handle == nullptr) return;  // then every transfer just opens its own connection
    curl_share_setopt(handle, CURLSHOPT_LOCKFUNC, &Lock);
    curl_share_setopt(handle, CURLSHOPT_UNLOCKFUNC, &Unlock);
    curl_share_setopt(handle, CURLSHOPT_USERDATA, this);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  ~Share() {
    if (handle != nullptr) curl_share_cleanup(handle);
  }
  static void Lock(CURL* /*easy*/, curl_lock_data data, curl_lock_access /*access*/, void* self) {
    static_cast<Share*>(self)->locks[static_cast<size_t>(data)].lock();
  }
  static void Unlock(CURL* /*easy*/, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->locks[static_cast<size_t>(data)].unlock();
  }
};

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) : options_(std::move(options)) {
  // Reference-counted and thread-safe in the libcurl we build against (≥ 7.84).
  curl_global_init(CURL_GLOBAL_DEFAULT);
  share_ = std::make_unique<Share>();
}

CurlHttpClient::~CurlHttpClient() {
  share_.reset();  // closes the cached connections, before libcurl's global cleanup
  curl_global_cleanup();
}

HttpResult CurlHttpClient::Get(const HttpRequest& request) {
  return Perform(request, Method::kGet);
}

HttpResult CurlHttpClient::Post(const HttpRequest& request) {
  return Perform(request, Method::kPost);
}

HttpResult CurlHttpClient::Send(const HttpRequest& request) {
  return Perform(request, Method::kSend);
}

HttpResult CurlHttpClient::Perform(const HttpRequest& request, Method method) {
  const bool is_post = method == Method::kPost;
  const bool is_send = method == Method::kSend;
  const std::string method_name = is_send ? request.method : std::string(is_post ? "POST" : "GET");
  if (is_send && !IsSendMethod(method_name)) {
    return MakeError(HttpErrorKind::kInvalidUrl, "unsupported method " + method_name, false);
  }
  const std::string loggable_url = RedactUrl(request.url);
  if (!HasHttpScheme(request.url)) {
    return MakeError(HttpErrorKind::kInvalidUrl, "only http and https URLs are allowed", false);
  }
  if (request.timeout_ms <= 0 || request.max_response_bytes < 0) {
    return MakeError(HttpErrorKind::kInvalidUrl, "invalid request limits", false);
  }

  CurlEasy handle(curl_easy_init());
  if (!handle) return MakeError(HttpErrorKind::kTransfer, "could not create a curl handle", true);
  CURL* h = handle.get();

  TransferState state;
  state.allow_private_addresses = options_.allow_private_addresses;
  state.public_loopback_ports = &options_.public_loopback_ports_for_testing;
  state.max_bytes = request.max_response_bytes;
  state.following_redirects = method == Method::kGet && request.max_redirects > 0;
  state.any_status = is_send;
  state.no_body = is_send && method_name == "HEAD";

  // Send: a body goes up as an upload with a known size (never chunked).
  UploadSource upload;
  const bool has_upload =
      is_send && (request.body_file.has_value() || !request.body.empty() || method_name == "PUT" ||
                  method_name == "POST" || method_name == "PATCH");
  if (has_upload) {
    if (request.body_file) {
      if (auto error = OpenFileBody(*request.body_file, &upload)) return *std::move(error);
    } else {
      upload.memory = &request.body;
      upload.length = static_cast<int64_t>(request.body.size());
    }
  }
  ProgressState progress;
  progress.callback = &request.on_upload_progress;

  char error_buffer[CURL_ERROR_SIZE] = {};
  CurlList header_list;
  for (const HttpHeader& header : request.headers) {
    if (header.name.empty() || header.name.find_first_of(":\r\n") != std::string::npos ||
        header.value.find_first_of("\r\n") != std::string::npos) {
      return MakeError(HttpErrorKind::kInvalidUrl, "invalid request header", false);
    }
    const std::string line = header.name + ": " + header.value;
    curl_slist* appended = curl_slist_append(header_list.get(), line.c_str());
    if (appended == nullptr) return MakeError(HttpErrorKind::kTransfer, "out of memory", true);
    static_cast<void>(header_list.release());
    header_list.reset(appended);
  }
  if (is_post || (has_upload && !HasHeader(request.headers, "Expect"))) {
    // Send the body at once instead of waiting for "100 Continue".
    curl_slist* appended = curl_slist_append(header_list.get(), "Expect:");
    if (appended == nullptr) return MakeError(HttpErrorKind::kTransfer, "out of memory", true);
    static_cast<void>(header_list.release());
    header_list.reset(appended);
  }

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  if (share_->handle != nullptr) curl_easy_setopt(h, CURLOPT_SHARE, share_->handle);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY,
                   "");  // no proxy from the environment: the guard must see the peer
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  if (request.stall_timeout_s > 0) {
    // Below 1 byte/s on average over the window: nothing moved.
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout_s));
  }
  curl_easy_setopt(
      h, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max(1, std::min(request.connect_timeout_ms, request.timeout_ms))));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, state.following_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(std::max(0, request.max_redirects)));
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &state);
  if (header_list) curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  if (has_upload) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.length));
    if (method_name != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_name.c_str());
  } else if (is_send && method_name == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (is_send && method_name == "DELETE") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
  if (is_send && request.on_upload_progress) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &progress);
  }
  if (is_post) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  const auto start = std::chrono::steady_clock::now();
  const CURLcode code = curl_easy_perform(h);
  const int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
  long redirects = 0;
  curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);

  std::optional<HttpError> error;
  if (state.refused_address) {
    // Checked first: curl reports a refused socket as a plain connect failure.
    error = MakeError(HttpErrorKind::kRefusedAddress, *state.refused_address, false);
  } else if (state.too_large) {
    error =
        MakeError(HttpErrorKind::kTooLarge,
                  "larger than " + std::to_string(request.max_response_bytes) + " bytes", false);
  } else if (state.headers_too_large) {
    error = MakeError(HttpErrorKind::kTransfer, "response headers too large", false);
  } else if (state.error_status != 0) {
    error = ErrorForStatus(state.error_status);
  } else if (upload.read_failed) {
    error =
        MakeError(HttpErrorKind::kLocalFile, "the body file became shorter while sending", false);
  } else if (code != CURLE_OK) {
    error = ErrorFromCurl(h, code, error_buffer, request, elapsed_ms);
  } else {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    // A redirect we did not follow (POST, or max_redirects = 0) ends here as a non-2xx.
    if ((status < 200 || status > 299) && !is_send) {
      error = ErrorForStatus(static_cast<int>(status));
    }
  }

  if (error) {
    obs::Log(obs::Level::kInfo, "net.request_failed",
             {{"method", method_name},
              {"url", loggable_url},
              {"reason", error->message},
              {"retryable", error->retryable},
              {"redirects", redirects},
              {"ms", static_cast<long long>(elapsed_ms)}});
    return *std::move(error);
  }

  HttpResponse response;
  response.status = state.status;
  response.headers = std::move(state.headers);
  response.body = std::move(state.body);
  response.redirects = static_cast<int>(redirects);
  obs::Log(obs::Level::kDebug, "net.request",
           {{"method", method_name},
            {"url", loggable_url},
            {"status", response.status},
            {"bytes", static_cast<unsigned long long>(response.body.size())},
            {"redirects", redirects},
            {"ms", static_cast<long long>(elapsed_ms)}});
  return response;
}

}  // namespace vg::net

// Server: RESTinio wiring of the HTTP API (see server.h). One request handler dispatches on
// the path (so 404 and 405 with Allow come from one table), runs auth and the rate limit,
// calls JobsService and answers through Reply(), the only place a Status becomes HTTP.
#include "api/server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <restinio/all.hpp>
#include <restinio/websocket/websocket.hpp>
#include <thread>
#include <unordered_map>

#include "api/asio_io_watcher.h"
#include "api/auth.h"
#include "api/connection_pool.h"
#include "api/http_errors.h"
#include "api/http_guard.h"
#include "api/jobs.h"
#include "api/rate_limiter.h"
#include "api/ws_hub.h"
#include "net/curl_http_client.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "queue/consumer.h"
#include "queue/owner_index.h"
#include "queue/producer.h"
#include "storage/blob_store.h"
#include "storage/local_store.h"

namespace vg::api {

// RESTinio answers an oversized body by dropping the connection. To answer 413 instead, the
// parser's headers-complete callback marks such a request and skips its body; the handler
// then answers 413 and closes the connection. The marker is a header no client needs to send.
inline constexpr char kBodyTooLargeHeader[] = "X-Vg-Internal-Body-Too-Large";
struct HttpMethods : restinio::default_http_methods_t {};

}  // namespace vg::api

namespace restinio::impl {

inline int VgHeadersComplete(http_parser* parser) {
  auto* ctx = reinterpret_cast<http_parser_ctx_t*>(parser->data);
  ctx->m_leading_headers_completed = true;
  ctx->m_header.remove_field(vg::api::kBodyTooLargeHeader);
  if (ULLONG_MAX != parser->content_length && 0 < parser->content_length &&
      parser->content_length > ctx->m_limits.max_body_size()) {
    ctx->m_header.set_field(vg::api::kBodyTooLargeHeader, "1");
    return 1;  // http_parser: "no body follows"; the handler answers 413 and closes
  }
  return restinio_headers_complete_cb(parser);
}

inline int VgBody(http_parser* parser, const char* at, size_t length) {
  auto* ctx = reinterpret_cast<http_parser_ctx_t*>(parser->data);
  // A chunked body over the limit: stop keeping it and mark the request (answered 413).
  if (ctx->m_body.size() + length > ctx->m_limits.max_body_size()) {
    ctx->m_body.clear();
    ctx->m_body.shrink_to_fit();
    if (!ctx->m_header.has_field(vg::api::kBodyTooLargeHeader)) {
      ctx->m_header.set_field(vg::api::kBodyTooLargeHeader, "1");
    }
    return 0;
  }
  if (ctx->m_header.has_field(vg::api::kBodyTooLargeHeader)) return 0;
  return restinio_body_cb(parser, at, length);
}

template <>
inline http_parser_settings create_parser_settings<vg::api::HttpMethods>() noexcept {
  http_parser_settings s = create_parser_settings<default_http_methods_t>();
  s.on_headers_complete = [](http_parser* p) -> int { return VgHeadersComplete(p); };
  s.on_body = [](http_parser* p, const char* at, size_t n) -> int { return VgBody(p, at, n); };
  return s;
}

}  // namespace restinio::impl

namespace vg::api {
namespace {

struct Traits : public restinio::default_traits_t {
  using http_methods_mapper_t = HttpMethods;
  // Malformed requests get an HTTP answer instead of a silent close (http_guard.h).
  using stream_socket_t = GuardedSocket;
};
using Request = restinio::request_handle_t;
using HttpServer = restinio::http_server_t<Traits>;

// I/O threads run the parser, routing, validation and the answers, and read the hot routes'
// Redis replies themselves (AsioIoWatcher); they never wait for Redis or storage (the other
// routes go through kBlockingThreads). Half the cores: the same machine runs Redis and often a
// worker, and on 2 cores one I/O thread served status at 42 us of CPU a request where two spent
// 60-75 (their wake-ups and the shared Redis connection's lock cost more than the second core
// gave).
int IoThreads() {
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u));
}
// Threads (and pooled Redis connections) for the routes whose Redis or storage calls block:
// cancel, retry, the jobs list, /ready, /metrics.
constexpr int kBlockingThreads = 4;
// The body limit RESTinio enforces is above MAX_BODY_BYTES so the chunked check above sees it.
constexpr std::string_view kJsonType = "application/json; charset=utf-8";

std::string_view ReasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 416:
      return "Range Not Satisfiable";
    case 414:
      return "URI Too Long";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a broken escape. '+' is kept (paths) unless plus_is_space.
bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (in[i] == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), &key, true)) continue;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), &value, true)) continue;
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

std::string Field(const Request& req, std::string_view name) {
  return req->header().get_field_or(std::string(name), std::string());
}

// One parsed answer before it is written.
struct Answer {
  int status = 200;
  nlohmann::json body;  // null = empty body
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;
};

Answer ErrorAnswer(const Status& status) {
  Answer a;
  a.status = HttpStatusFor(status.code());
  a.body = ErrorBody(status);
  if (status.code() == ErrorCode::kUnauthorized)
    a.headers.emplace_back("WWW-Authenticate", "Bearer");
  return a;
}

}  // namespace

class Server::Impl {
 public:
  Impl(const config::Config& config, Dependencies deps, ServerOptions options)
      : config_(config),
        options_(options),
        deps_(deps),
        clock_(deps.clock ? deps.clock : &system_clock_),
        rate_limiter_(config.api_rate_limit_per_min, *clock_) {}

  ~Impl() { Stop(); }

  Status Init() {
    if (!deps_.producer)
      return Status(ErrorCode::kInvalidArgument, "The API needs a queue producer.");
    AuthOptions auth_options;
    auth_options.jwks_refresh_interval = options_.jwks_refresh_interval;
    auth_options.jwks_refetch_min_interval = options_.jwks_refetch_min_interval;
    if (config_.jwt_jwks.starts_with("http://") || config_.jwt_jwks.starts_with("https://")) {
      net::CurlHttpClientOptions http_options;
      http_options.allow_private_addresses = config_.allow_private_urls;
      http_ = std::make_unique<net::CurlHttpClient>(http_options);
      auth_options.http = http_.get();
    }
    VG_ASSIGN_OR_RETURN(auth_, Authenticator::Create(config_, *clock_, auth_options));
    queue::RedisOptions redis;
    redis.host = config_.redis.host;
    redis.port = config_.redis.port;
    redis.password = config_.redis.password;
    redis.db = config_.redis.db;
    queue::QueueName queue{config_.queue_prefix, config_.queue_name};
    // One connection per blocking thread by default, so that many requests can make their
    // Redis round trips at once.
    const size_t connections =
        options_.redis_connections > 0 ? options_.redis_connections : size_t{kBlockingThreads};
    std::vector<queue::Producer*> producers = {deps_.producer};
    std::vector<queue::OwnerIndex*> owner_indexes;
    for (size_t i = 0; i < connections; ++i) {
      if (i > 0) {
        extra_producers_.push_back(std::make_unique<queue::Producer>(redis, queue, deps_.clock));
        producers.push_back(extra_producers_.back().get());
      }
      owner_indexes_.push_back(std::make_unique<queue::OwnerIndex>(redis, queue));
      owner_indexes.push_back(owner_indexes_.back().get());
    }
    producer_pool_ = std::make_unique<ConnectionPool<queue::Producer>>(std::move(producers));
    owner_index_pool_ =
        std::make_unique<ConnectionPool<queue::OwnerIndex>>(std::move(owner_indexes));
    // The hot routes' own producer: its async pipeline never blocks an I/O thread.
    async_producer_ = std::make_unique<queue::Producer>(redis, queue, deps_.clock);
    // Its replies are read on the I/O threads, which then write the answers themselves.
    async_producer_->UseIoWatcher(&redis_watcher_, IoThreads());
    JobsDependencies jobs_deps;
    jobs_deps.async_producer = async_producer_.get();
    jobs_deps.producers = producer_pool_.get();
    jobs_deps.owner_indexes = owner_index_pool_.get();
    jobs_deps.blob_store = deps_.blob_store;
    jobs_deps.webhooks = deps_.webhooks;
    jobs_deps.clock = clock_;
    jobs_ = std::make_unique<JobsService>(config_, jobs_deps, auth_->enabled());
    local_store_ = dynamic_cast<storage::LocalStore*>(deps_.blob_store);
    hub_ = std::make_unique<WsHub>(*jobs_, redis, queue, deps_.metrics,
                                   WsHubOptions{options_.ws_ping_interval, options_.ws_drop_after});
    if (deps_.metrics) {
      RegisterMetrics();
      // Workers alive across every machine on this Redis (serve's worker registers the same
      // gauge on the shared registry; the value is the same).
      queue::AddLiveWorkersGauge(*deps_.metrics, redis, queue);
    }
    if (!auth_->enabled()) {
      obs::Log(obs::Level::kWarn, "api.auth_off",
               {{"message",
                 "API_KEYS, JWT_SECRET and JWT_JWKS are unset: every caller is the public owner"}});
    }
    return Status::Ok();
  }

  Status Listen() {
    // RESTinio and the guard's scanner get the same limits, so the scanner (which reads every
    // byte first) answers a request over any of them before RESTinio would drop it.
    RequestLimits& limits = guard_->limits;
    limits.max_body_bytes = static_cast<uint64_t>(config_.max_body_bytes);
    guard_->on_reject = [this](const Rejection& rejection) {
      obs::LogDeferred(obs::Level::kInfo, "http.request",
               {{"method", "-"},
                {"route", "malformed"},
                {"status", rejection.status},
                {"reason", rejection.message}});
      if (deps_.metrics) {
        deps_.metrics
            ->counter("vidgen_http_requests_total", "HTTP requests by route, method and status",
                      {{"route", "malformed"},
                       {"method", "-"},
                       {"status", std::to_string(rejection.status)}})
            .Increment();
      }
    };
    auto settings = restinio::server_settings_t<Traits>{};
    settings.address(config_.host)
        .port(static_cast<std::uint16_t>(config_.port))
        .max_pipelined_requests(4)
        .read_next_http_message_timelimit(std::chrono::seconds(30))
        .write_http_response_timelimit(std::chrono::seconds(60))
        .handle_request_timeout(std::chrono::seconds(30))
        .incoming_http_msg_limits(
            restinio::incoming_http_msg_limits_t{}
                .max_url_size(limits.max_url_bytes)
                .max_field_name_size(limits.max_field_name_bytes)
                .max_field_value_size(limits.max_field_value_bytes)
                .max_field_count(limits.max_field_count)
                .max_body_size(static_cast<std::size_t>(config_.max_body_bytes)))
        .acceptor_post_bind_hook(
            [this](asio::ip::tcp::acceptor& acceptor) { port_ = acceptor.local_endpoint().port(); })
        .request_handler([this](Request req) { return Handle(std::move(req)); });
    try {
      server_ =
          std::make_unique<HttpServer>(restinio::external_io_context(io_), std::move(settings));
      server_->open_sync();
    } catch (const std::exception& e) {
      return Status(ErrorCode::kInternal, fmt::format("Cannot listen on {}:{}: {}", config_.host,
                                                      config_.port, e.what()));
    }
    for (int i = 0, n = IoThreads(); i < n; ++i) {
      threads_.emplace_back([this, i] {
        pthread_setname_np(pthread_self(), fmt::format("vg-api-io{}", i).c_str());
        for (;;) {
          try {
            io_.run();
            return;
          } catch (const std::exception& e) {
            obs::Log(obs::Level::kError, "api.io_exception", {{"error", e.what()}});
          }
        }
      });
    }
    VG_RETURN_IF_ERROR(hub_->Start());
    obs::Log(obs::Level::kInfo, "api.listening", {{"host", config_.host}, {"port", port_.load()}});
    return Status::Ok();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    if (hub_) hub_->Stop();
    if (server_ && !threads_.empty()) {
      // Closed on the acceptor's strand (close_sync from here would race the accept loop).
      std::promise<void> closed;
      std::future<void> done = closed.get_future();
      server_->close_async([&closed] { closed.set_value(); },
                           [&closed](std::exception_ptr) { closed.set_value(); });
      if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        obs::Log(obs::Level::kWarn, "api.close_failed", {{"error", "timed out"}});
      }
    } else if (server_) {
      try {
        server_->close_sync();  // no I/O thread runs: nothing to race
      } catch (const std::exception& e) {
        obs::Log(obs::Level::kWarn, "api.close_failed", {{"error", e.what()}});
      }
    }
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    blocking_.join();  // finishes the blocking routes' work; their answers are dropped
    // Fails the Redis calls still in flight; their answers are posted to the stopped
    // I/O context and dropped with it.
    async_producer_.reset();
  }

  int port() const { return port_.load(); }

 private:
  void RegisterMetrics() {
    obs::Metrics& m = *deps_.metrics;
    m.gauge("vidgen_redis_up", "1 when the API's last Redis call succeeded");
    m.AddScrapeHook([this] { RefreshGauges(); });
  }

  // Queue counts and storage bytes for /metrics, at most once a second.
  void RefreshGauges() {
    obs::Metrics& m = *deps_.metrics;
    auto now = clock_->Now();
    {
      std::lock_guard lock(gauge_mutex_);
      if (now - last_refresh_ < std::chrono::seconds(1)) return;
      last_refresh_ = now;
    }
    auto counts = producer_pool_->Acquire()->GetCounts();
    m.gauge("vidgen_redis_up", "1 when the API's last Redis call succeeded")
        .Set(counts.ok() ? 1 : 0);
    if (counts.ok()) {
      auto set = [&](const char* state, int64_t v) {
        m.gauge("vidgen_jobs", "Jobs in the queue by state", {{"state", state}})
            .Set(static_cast<double>(v));
      };
      set("queued", counts->waiting + counts->prioritized);
      set("delayed", counts->delayed);
      set("active", counts->active);
      set("completed", counts->completed);
      set("failed", counts->failed);
    }
    if (deps_.blob_store) {
      auto bytes = deps_.blob_store->BytesUsed();
      if (bytes.ok()) {
        m.gauge("vidgen_storage_bytes", "Bytes used by stored results")
            .Set(static_cast<double>(*bytes));
      }
    }
  }

  restinio::request_handling_status_t Handle(Request req) {
    auto started = std::chrono::steady_clock::now();
    std::string route = "unmatched";
    std::string owner;
    Answer answer;
    bool answered = false;  // a streaming or upgrade answer was written already
    bool deferred = false;  // the answer comes later, from a callback calling Finish()
    try {
      answered = Dispatch(req, started, &route, &owner, &answer, &deferred);
    } catch (...) {
      answer = CurrentExceptionAnswer(route);
    }
    if (!deferred) Finish(req, route, owner, started, answer, answered);
    return restinio::request_accepted();
  }

  // In a catch block: the 500 answer of the exception being handled (logged with the route).
  static Answer CurrentExceptionAnswer(const std::string& route) {
    try {
      throw;
    } catch (const std::exception& e) {
      obs::Log(obs::Level::kError, "api.handler_exception",
               {{"route", route}, {"error", e.what()}});
      return ErrorAnswer(Status(ErrorCode::kInternal, e.what()));
    } catch (...) {
      return ErrorAnswer(Status(ErrorCode::kInternal, "unknown exception"));
    }
  }

  // A job call's answer: its JSON body, or the error.
  Answer BodyAnswer(Result<nlohmann::json> result) {
    Answer a;
    if (!result.ok()) {
      Fail(result.error(), &a);
    } else {
      a.body = std::move(*result);
    }
    return a;
  }

  // An accepted job's answer: 202 with its Location, or the error.
  Answer AcceptedAnswer(Result<JobsService::Accepted> accepted) {
    Answer a;
    if (!accepted.ok()) {
      Fail(accepted.error(), &a);
    } else {
      a.status = 202;
      a.body = std::move(accepted->body);
      a.headers.emplace_back("Location", accepted->location);
    }
    return a;
  }

  // Logs and counts the request, then writes `answer` unless `answered`. Any thread (a deferred
  // answer comes from the I/O thread that read its Redis reply, or from the blocking pool).
  void Finish(const Request& req, const std::string& route, const std::string& owner,
              std::chrono::steady_clock::time_point started, Answer& answer, bool answered) {
    // Counted before the answer goes out, so a client that reads /metrics right after its
    // answer always sees its own request.
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string method(req->header().method().c_str());
    obs::LogDeferred(obs::Level::kInfo, "http.request",
             {{"method", method},
              {"route", route},
              {"status", answer.status},
              {"ms", seconds * 1000.0},
              {"owner", owner.empty() ? "-" : owner}});
    if (deps_.metrics) {
      RequestSeries& series = SeriesFor(route, method, answer.status);
      series.requests->Increment();
      series.latency->Observe(seconds);
    }
    if (!answered) {
      try {
        Write(req, answer);
      } catch (const std::exception& e) {
        obs::Log(obs::Level::kWarn, "api.write_failed", {{"route", route}, {"error", e.what()}});
      }
    }
  }

  // The request counter and latency histogram of one route, method and status. The registry
  // keeps its series forever, so the pointers are cached here: a lookup by label set (sorting
  // and comparing label strings under the registry's lock) twice per request is gone.
  struct RequestSeries {
    obs::Counter* requests = nullptr;
    obs::Histogram* latency = nullptr;
  };
  RequestSeries& SeriesFor(const std::string& route, const std::string& method, int status) {
    std::string key = fmt::format("{}\n{}\n{}", route, method, status);
    std::lock_guard lock(series_mutex_);
    RequestSeries& series = series_[std::move(key)];
    if (series.requests == nullptr) {
      series.requests = &deps_.metrics->counter(
          "vidgen_http_requests_total", "HTTP requests by route, method and status",
          {{"route", route}, {"method", method}, {"status", std::to_string(status)}});
      series.latency = &deps_.metrics->histogram("vidgen_http_request_duration_seconds",
                                                 "HTTP request latency by route",
                                                 obs::Metrics::LatencyBuckets(), {{"route", route}});
    }
    return series;
  }

  void AddCors(const Request& req, Answer* a) {
    if (config_.cors_origins.empty()) return;
    std::string origin = Field(req, "Origin");
    if (origin.empty()) return;
    bool any = std::find(config_.cors_origins.begin(), config_.cors_origins.end(), "*") !=
               config_.cors_origins.end();
    bool listed = std::find(config_.cors_origins.begin(), config_.cors_origins.end(), origin) !=
                  config_.cors_origins.end();
    if (!any && !listed) return;
    a->headers.emplace_back("Access-Control-Allow-Origin", any ? "*" : origin);
    if (!any) a->headers.emplace_back("Vary", "Origin");
    a->headers.emplace_back("Access-Control-Expose-Headers", "Location, Retry-After");
  }

  void Write(const Request& req, Answer& a) {
    AddCors(req, &a);
    auto resp = req->create_response(restinio::http_status_line_t(
        restinio::http_status_code_t(static_cast<std::uint16_t>(a.status)),
        std::string(ReasonPhrase(a.status))));
    for (auto& [k, v] : a.headers) resp.append_header(k, v);
    if (!a.body.is_null()) {
      resp.append_header(restinio::http_field::content_type, std::string(kJsonType));
      resp.set_body(a.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    if (a.close) resp.connection_close();
    resp.done();
  }

  // Routes the request; fills `answer`, or writes the answer itself and returns true, or (the
  // routes that wait for Redis or storage) sets `deferred` and answers later through Finish().
  bool Dispatch(const Request& req, std::chrono::steady_clock::time_point started,
                std::string* route, std::string* owner, Answer* answer, bool* deferred) {
    const auto method = req->header().method();
    std::string path(req->header().path());
    if (req->header().has_field(kBodyTooLargeHeader)) {
      *route = "too_large";
      *answer = ErrorAnswer(
          Status(ErrorCode::kPayloadTooLarge,
                 fmt::format("The request body is larger than {} bytes.", config_.max_body_bytes)));
      answer->close = true;
      return false;
    }

    // The guard answers 431 before a request with too large headers gets here; this is the
    // same check again, in case a request ever bypasses it.
    size_t header_bytes = 0;
    req->header().for_each_field([&](const restinio::http_header_field_t& f) {
      header_bytes += f.name().size() + f.value().size();
    });
    if (header_bytes > guard_->limits.max_header_bytes) {
      *route = "too_large";
      answer->status = 431;
      answer->body = {{"error", "headers_too_large"},
                      {"message", "The request headers are too large."}};
      answer->close = true;
      return false;
    }

    // The route table: path → allowed methods.
    std::string allow;
    std::string id;
    constexpr std::string_view kStatus = "/api/video/status/", kCancel = "/api/video/cancel/",
                               kRetry = "/api/video/retry/", kFiles = "/files/";
    if (path == "/health") {
      *route = "/health";
      allow = "GET, HEAD";
    } else if (path == "/ready") {
      *route = "/ready";
      allow = "GET, HEAD";
    } else if (path == "/metrics") {
      *route = "/metrics";
      allow = "GET";
    } else if (path == "/ws") {
      *route = "/ws";
      allow = "GET";
    } else if (path == "/api/video/generate") {
      *route = path;
      allow = "POST";
    } else if (path == "/api/video/validate") {
      *route = path;
      allow = "POST";
    } else if (path == "/api/video/jobs") {
      *route = path;
      allow = "GET";
    } else if (path.starts_with(kStatus)) {
      *route = "/api/video/status/:jobId";
      allow = "GET";
      id = path.substr(kStatus.size());
    } else if (path.starts_with(kCancel)) {
      *route = "/api/video/cancel/:jobId";
      allow = "DELETE";
      id = path.substr(kCancel.size());
    } else if (path.starts_with(kRetry)) {
      *route = "/api/video/retry/:jobId";
      allow = "POST";
      id = path.substr(kRetry.size());
    } else if (path.starts_with(kFiles)) {
      *route = "/files/:key";
      allow = "GET, HEAD";
      id = path.substr(kFiles.size());
    }
    if (allow.empty()) {
      *answer = ErrorAnswer(Status(ErrorCode::kNotFound, "There is no such endpoint."));
      return false;
    }
    std::string method_name(method.c_str());
    if (method == restinio::http_method_options()) {
      answer->status = 204;
      answer->headers = {{"Allow", allow + ", OPTIONS"}};
      if (!config_.cors_origins.empty()) {
        answer->headers.emplace_back("Access-Control-Allow-Methods", allow + ", OPTIONS");
        answer->headers.emplace_back("Access-Control-Allow-Headers",
                                     "Authorization, Content-Type, Idempotency-Key, X-API-Key");
        answer->headers.emplace_back("Access-Control-Max-Age", "600");
      }
      return false;
    }
    if (allow.find(method_name) == std::string::npos) {
      *answer =
          ErrorAnswer(Status(ErrorCode::kMethodNotAllowed,
                             fmt::format("{} is not allowed here; use {}.", method_name, allow)));
      answer->headers.emplace_back("Allow", allow);
      return false;
    }

    if (*route == "/health") {
      answer->body = {{"status", "ok"}};
      return false;
    }
    if (*route == "/ready") {
      RunBlocking(req, *route, *owner, started, deferred, [this] { return Ready(); });
      return false;
    }
    if (*route == "/metrics") {
      if (!deps_.metrics) {
        *answer = ErrorAnswer(Status(ErrorCode::kNotFound, "Metrics are not enabled."));
        return false;
      }
      // The scrape hooks read queue counts and storage use: off the I/O threads.
      *deferred = true;
      asio::post(blocking_, [this, req, route = *route, started] {
        Answer a;
        try {
          auto resp = req->create_response();
          resp.append_header(restinio::http_field::content_type,
                             "text/plain; version=0.0.4; charset=utf-8");
          resp.set_body(deps_.metrics->RenderPrometheus());
          resp.done();
        } catch (const std::exception& e) {
          obs::Log(obs::Level::kWarn, "api.write_failed", {{"route", route}, {"error", e.what()}});
        }
        Finish(req, route, "", started, a, /*answered=*/true);
      });
      return false;
    }
    if (*route == "/files/:key")
      return ServeFile(req, id, method == restinio::http_method_head(), answer);

    // Everything below is authenticated and rate limited.
    std::map<std::string, std::string> query = ParseQuery(req->header().query());
    auto who = auth_->Authenticate(Field(req, "Authorization"), Field(req, "X-API-Key"),
                                   *route == "/ws" ? query["access_token"] : std::string());
    if (!who.ok()) {
      *answer = ErrorAnswer(who.error());
      return false;
    }
    *owner = *who;
    std::string bucket = auth_->enabled() ? *owner : "ip:" + ClientIp(req);
    auto decision = rate_limiter_.Take(bucket);
    if (!decision.allowed) {
      *answer = ErrorAnswer(Status(ErrorCode::kRateLimited, "Too many requests; retry later."));
      answer->headers.emplace_back("Retry-After", std::to_string(decision.retry_after_s));
      return false;
    }
    if (*route == "/ws") return UpgradeWebSocket(req, *owner, answer);

    std::string decoded_id;
    if (!id.empty() && !PercentDecode(id, &decoded_id, false)) {
      *answer = ErrorAnswer(Status(ErrorCode::kNotFound, "There is no such job."));
      return false;
    }
    if (*route == "/api/video/generate") {
      *deferred = true;
      jobs_->GenerateAsync(*owner, req->body(), Field(req, "Idempotency-Key"),
                           [this, req, route = *route, owner = *owner,
                            started](Result<JobsService::Accepted> accepted) {
                             Answer a = AcceptedAnswer(std::move(accepted));
                             Finish(req, route, owner, started, a, /*answered=*/false);
                           });
    } else if (*route == "/api/video/validate") {
      *answer = BodyAnswer(jobs_->Validate(req->body()));
    } else if (*route == "/api/video/status/:jobId") {
      *deferred = true;
      jobs_->GetStatusAsync(*owner, decoded_id,
                            [this, req, route = *route, owner = *owner,
                             started](Result<nlohmann::json> result) {
                              Answer a = BodyAnswer(std::move(result));
                              Finish(req, route, owner, started, a, /*answered=*/false);
                            });
    } else if (*route == "/api/video/cancel/:jobId") {
      RunBlocking(req, *route, *owner, started, deferred,
                  [this, owner = *owner, decoded_id] {
                    return BodyAnswer(jobs_->Cancel(owner, decoded_id));
                  });
    } else if (*route == "/api/video/retry/:jobId") {
      RunBlocking(req, *route, *owner, started, deferred,
                  [this, owner = *owner, decoded_id] {
                    return AcceptedAnswer(jobs_->Retry(owner, decoded_id));
                  });
    } else if (*route == "/api/video/jobs") {
      int64_t limit = 20;
      if (query.count("limit")) {
        const std::string& text = query["limit"];
        char* end = nullptr;
        long long v = std::strtoll(text.c_str(), &end, 10);
        limit = (text.empty() || *end != '\0' || text.size() > 6) ? -1 : v;
      }
      RunBlocking(req, *route, *owner, started, deferred,
                  [this, owner = *owner, limit, status = query["status"],
                   cursor = query["cursor"]] {
                    return BodyAnswer(jobs_->List(owner, status, limit, cursor));
                  });
    }
    return false;
  }

  // Runs `work` (which makes the answer and may block on Redis or storage) on the blocking
  // pool and answers from there: the I/O thread goes back to other connections at once.
  void RunBlocking(const Request& req, const std::string& route, const std::string& owner,
                   std::chrono::steady_clock::time_point started, bool* deferred,
                   std::function<Answer()> work) {
    *deferred = true;
    asio::post(blocking_, [this, req, route, owner, started, work = std::move(work)] {
      Answer a;
      try {
        a = work();
      } catch (...) {
        a = CurrentExceptionAnswer(route);
      }
      Finish(req, route, owner, started, a, /*answered=*/false);
    });
  }

  bool UpgradeWebSocket(const Request& req, const std::string& owner, Answer* answer) {
    namespace rws = restinio::websocket::basic;
    if (strcasecmp(Field(req, "Upgrade").c_str(), "websocket") != 0 ||
        Field(req, "Sec-WebSocket-Key").empty()) {
      *answer =
          ErrorAnswer(Status(ErrorCode::kInvalidArgument, "/ws expects a WebSocket upgrade."));
      return false;
    }
    WsHub* hub = hub_.get();
    auto handle = rws::upgrade<Traits>(*req, rws::activation_t::delayed,
                                       [hub](rws::ws_handle_t wsh, rws::message_handle_t message) {
                                         hub->OnMessage(wsh, message);
                                       });
    hub->Add(handle, owner);
    activate(*handle);
    answer->status = 101;
    return true;
  }

  bool Fail(const Status& status, Answer* answer) {
    if (status.code() == ErrorCode::kInternal) {
      obs::Log(obs::Level::kError, "api.internal_error", {{"error", status.ToString()}});
    }
    *answer = ErrorAnswer(status);
    return false;
  }

  std::string ClientIp(const Request& req) {
    if (config_.trust_proxy) {
      std::string forwarded = Field(req, "X-Forwarded-For");
      if (!forwarded.empty()) {
        std::string first = forwarded.substr(0, forwarded.find(','));
        first.erase(0, first.find_first_not_of(' '));
        first.erase(first.find_last_not_of(' ') + 1);
        if (!first.empty()) return first;
      }
    }
    return req->remote_endpoint().address().to_string();
  }

  Answer Ready() {
    Answer a;
    nlohmann::json checks = nlohmann::json::object();
    bool ok = true;
    Status redis = owner_index_pool_->Acquire()->Ping();
    checks["redis"] = redis.ok() ? "ok" : "unavailable";
    ok &= redis.ok();
    if (deps_.blob_store) {
      Status storage = deps_.blob_store->Check();
      checks["storage"] = storage.ok() ? "ok" : "unavailable";
      ok &= storage.ok();
    }
    if (ok) {
      a.body = {{"status", "ready"}, {"checks", checks}};
      return a;
    }
    std::string failed;
    for (const auto& [k, v] : checks.items()) {
      if (v != "ok") failed += (failed.empty() ? "" : ", ") + k;
    }
    a = ErrorAnswer(Status(
        checks["redis"] != "ok" ? ErrorCode::kQueueUnavailable : ErrorCode::kStorageUnavailable,
        fmt::format("Not ready: {} unavailable.", failed), {{"checks", checks.dump()}}));
    a.body["checks"] = checks;
    a.body.erase("details");
    return a;
  }

  // GET/HEAD /files/<key>?exp=&sig= (local storage only).
  bool ServeFile(const Request& req, const std::string& raw_key, bool head, Answer* answer) {
    if (!local_store_) {
      *answer = ErrorAnswer(Status(ErrorCode::kNotFound, "There is no such file."));
      return false;
    }
    std::string key;
    std::map<std::string, std::string> query = ParseQuery(req->header().query());
    int64_t exp = 0;
    const std::string& exp_text = query["exp"];
    char* end = nullptr;
    exp = std::strtoll(exp_text.c_str(), &end, 10);
    bool exp_ok = !exp_text.empty() && *end == '\0' && exp_text.size() < 19;
    int64_t now_s = clock_->NowUnixMs() / 1000;
    if (!PercentDecode(raw_key, &key, false) || !exp_ok ||
        !local_store_->signer().Verify(key, exp, query["sig"], now_s)) {
      *answer = ErrorAnswer(Status(ErrorCode::kForbidden, "The link is not valid or has expired."));
      return false;
    }
    auto path = local_store_->PathFor(key);
    if (!path.ok()) {
      *answer = ErrorAnswer(Status(ErrorCode::kForbidden, "The link is not valid or has expired."));
      return false;
    }
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      *answer = ErrorAnswer(Status(ErrorCode::kNotFound, "There is no such file."));
      return false;
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    auto content_type = local_store_->ContentTypeOf(key);
    std::string type = content_type.ok() ? *content_type : "application/octet-stream";

    uint64_t first = 0, count = size;
    int status = 200;
    std::string range = Field(req, "Range");
    if (!range.empty()) {
      if (!ParseRange(range, size, &first, &count)) {
        answer->status = 416;
        answer->body =
            ErrorBody(Status(ErrorCode::kInvalidArgument, "The range cannot be satisfied."));
        answer->body["error"] = "range_not_satisfiable";
        answer->headers.emplace_back("Content-Range", fmt::format("bytes */{}", size));
        return false;
      }
      status = 206;
    }
    auto status_line = restinio::http_status_line_t(
        restinio::http_status_code_t(static_cast<std::uint16_t>(status)),
        std::string(ReasonPhrase(status)));
    auto resp = req->create_response<restinio::user_controlled_output_t>(status_line);
    Answer cors;
    AddCors(req, &cors);
    for (auto& [k, v] : cors.headers) resp.append_header(k, v);
    resp.append_header(restinio::http_field::content_type, type);
    resp.append_header("Accept-Ranges", "bytes");
    resp.append_header("Cache-Control", "private, max-age=300");
    if (status == 206) {
      resp.append_header("Content-Range",
                         fmt::format("bytes {}-{}/{}", first, first + count - 1, size));
    }
    resp.set_content_length(count);
    if (!head && count > 0) {
      auto sf = restinio::sendfile(*path);
      sf.offset_and_size(first, count);
      resp.set_body(std::move(sf));
    }
    resp.done();
    answer->status = status;
    return true;
  }

  // One "bytes=a-b" / "bytes=a-" / "bytes=-n" range; false when unsatisfiable or malformed.
  static bool ParseRange(const std::string& header, uint64_t size, uint64_t* first,
                         uint64_t* count) {
    if (!header.starts_with("bytes=") || header.find(',') != std::string::npos) return false;
    std::string spec = header.substr(6);
    size_t dash = spec.find('-');
    if (dash == std::string::npos) return false;
    std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
    auto number = [](const std::string& s, uint64_t* v) {
      if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
        return false;
      *v = std::stoull(s);
      return true;
    };
    uint64_t x = 0, y = 0;
    if (a.empty()) {
      if (!number(b, &y) || y == 0 || size == 0) return false;
      *count = std::min(y, size);
      *first = size - *count;
      return true;
    }
    if (!number(a, &x) || x >= size) return false;
    if (b.empty()) {
      y = size - 1;
    } else if (!number(b, &y) || y < x) {
      return false;
    }
    y = std::min(y, size - 1);
    *first = x;
    *count = y - x + 1;
    return true;
  }

  const config::Config config_;
  const ServerOptions options_;
  Dependencies deps_;
  SystemClock system_clock_;
  const Clock* clock_;
  RateLimiter rate_limiter_;
  std::unique_ptr<net::HttpClient> http_;  // fetches a JWKS URL; outlives auth_
  std::unique_ptr<Authenticator> auth_;
  std::vector<std::unique_ptr<queue::Producer>> extra_producers_;  // the pool beyond deps_.producer
  std::vector<std::unique_ptr<queue::OwnerIndex>> owner_indexes_;
  std::unique_ptr<ConnectionPool<queue::Producer>> producer_pool_;
  std::unique_ptr<ConnectionPool<queue::OwnerIndex>> owner_index_pool_;
  std::unique_ptr<JobsService> jobs_;
  std::unique_ptr<queue::Producer> async_producer_;  // after jobs_: its callbacks use jobs_
  std::unique_ptr<WsHub> hub_;
  storage::LocalStore* local_store_ = nullptr;

  asio::io_context io_;
  AsioIoWatcher redis_watcher_{io_};  // the hot routes' Redis replies; outlives async_producer_'s use
  asio::thread_pool blocking_{kBlockingThreads};  // routes whose calls block (see Dispatch)
  HttpGuardSettings* guard_ = &asio::make_service<HttpGuardService>(io_).settings;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  std::atomic<int> port_{0};
  std::atomic<bool> stopped_{false};
  std::mutex gauge_mutex_;
  std::mutex series_mutex_;
  // Keyed by "route\nmethod\nstatus"; routes are the route patterns, so the map stays small.
  std::unordered_map<std::string, RequestSeries> series_;  // guarded by series_mutex_
  std::chrono::steady_clock::time_point last_refresh_{};
};

Result<std::unique_ptr<Server>> Server::Start(const config::Config& config, Dependencies deps,
                                              ServerOptions options) {
  auto impl = std::make_unique<Impl>(config, deps, options);
  VG_RETURN_IF_ERROR(impl->Init());
  VG_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }
void Server::Stop() {
  if (impl_) impl_->Stop();
}
int Server::port() const { return impl_->port(); }

}  // namespace vg::api

// Server: the HTTP API of API.md on RESTinio (HOST:PORT): /api/video/* job endpoints, /health,
// /ready, /metrics, /files/<key> (local storage's signed downloads with Range) and CORS.
// Handlers are thin: parse, call JobsService, map the Status to HTTP in one place
// (http_errors.h). Threads: one I/O thread per core (2..8) parses, routes, validates and
// answers, and never waits: status and generate send their Redis calls through one pipelined
// async connection (queue::Producer's *Async) and answer from its callback; the other routes
// that call Redis or storage (cancel, retry, jobs list, /ready, /metrics) run on a small
// blocking pool with its own pooled connections. Auth (auth.h) and the per-owner rate limit
// (rate_limiter.h) apply to /api/*. Every request is logged as one key=value line (never the
// query string, which may carry a signature). A handler that throws answers 500; the process
// stays up.
//
// Thread safety: Start, Stop and port may be called from any thread; Stop is idempotent and
// the destructor stops. Ownership: Dependencies are borrowed and must outlive the Server.
#pragma once

#include <chrono>
#include <memory>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"

namespace vg::queue {
class Producer;
}
namespace vg::storage {
class BlobStore;
}
namespace vg::obs {
class Metrics;
}
namespace vg::notify {
class WebhookQueue;
}

namespace vg::api {

struct Dependencies {
  // Required. The first member of the API's producer pool; the Server adds more Producers on
  // the same Redis and queue (ServerOptions::redis_connections in all) so concurrent requests
  // do not queue on one connection.
  queue::Producer* producer = nullptr;
  storage::BlobStore* blob_store = nullptr;  // optional; /files needs a storage::LocalStore
  obs::Metrics* metrics = nullptr;           // optional
  notify::WebhookQueue* webhooks = nullptr;  // optional
  const Clock* clock = nullptr;              // null = system clock
};

// Tunables with production defaults; tests shorten them.
struct ServerOptions {
  std::chrono::milliseconds ws_ping_interval{30000};  // API.md: ping every 30 s
  std::chrono::milliseconds ws_drop_after{60000};     // drop a peer silent this long
  // Redis connections per pool (producers; owner index) for the blocking routes: 0 = one per
  // blocking thread (4).
  size_t redis_connections = 0;
  // JWT_JWKS as a URL: refetched this often, and for an unknown kid at most this often.
  std::chrono::milliseconds jwks_refresh_interval{600000};
  std::chrono::milliseconds jwks_refetch_min_interval{60000};
};

class Server {
 public:
  // Binds HOST:PORT (PORT 0 = a free port, see port()) and starts serving. kInvalidArgument
  // for missing dependencies or a bad JWKS; kInternal when the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(const config::Config& config, Dependencies deps,
                                               ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, closes WebSocket sessions and joins the threads. Idempotent.
  void Stop();
  // The bound port.
  int port() const;

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vg::api

// Start-up pieces shared by `vidgen serve`, `vidgen api` and `vidgen worker`: the configuration
// (environment + .env, every problem printed, exit 2), signal handling (SIGINT/SIGTERM waited
// for with sigwait on the main thread), the URL signing secret `serve` keeps in DATA_DIR, and
// the worker side of a process (render worker + webhook deliveries). Wiring only.
//
// Thread safety: called from the main thread during start-up and shutdown.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/result.h"
#include "config/config.h"

namespace vg::net {
class HttpClient;
}
namespace vg::notify {
class WebhookQueue;
class WebhookDeliverer;
}  // namespace vg::notify
namespace vg::obs {
class Metrics;
}
namespace vg::storage {
class BlobStore;
}
namespace vg::worker {
class Worker;
}

namespace vg::app {

// The configuration for `mode` from the environment and ./.env; on any problem prints
// "vidgen <command>: NAME: message" lines on stderr and returns nullopt (exit 2). Also applies
// LOG_LEVEL and logs the settings (secrets masked).
std::optional<config::Config> LoadServiceConfig(config::Mode mode, const char* command);

// Blocks SIGINT and SIGTERM in the calling thread and ignores SIGPIPE (Redis or a peer closing
// a socket mid-write must not kill the process). Call first, before any thread starts, so
// every thread inherits the mask and only WaitForTerminationSignal sees the signals.
void PrepareProcessSignals();
// Waits for SIGINT or SIGTERM; returns its number.
int WaitForTerminationSignal();

// With PORT=0, picks a free port on HOST now (so PUBLIC_BASE_URL, which signed URLs use, names
// the real port) and fixes a defaulted PUBLIC_BASE_URL.
Status ResolvePort(config::Config* config);

// `serve`'s URL_SIGNING_SECRET: read from `<data_dir>/url-signing-secret`, or 32 random bytes
// (hex) written there with mode 0600 on first start.
Result<std::string> LoadOrCreateSigningSecret(const std::string& data_dir);

// Rewrites a webhook's data before each delivery: result.url / thumbnailUrl / expiresAt signed
// afresh from storageKey / thumbnailKey (signed URLs are never stored in Redis).
std::function<nlohmann::json(const nlohmann::json&)> SignResultUrls(const storage::BlobStore& store,
                                                                    int64_t ttl_seconds);

// The render worker and the webhook deliverer of one process.
class WorkerSide {
 public:
  // Starts both against `config`'s Redis. `store` and `metrics` are borrowed.
  static Result<std::unique_ptr<WorkerSide>> Start(const config::Config& config,
                                                   storage::BlobStore* store,
                                                   obs::Metrics* metrics);
  ~WorkerSide();
  // Worker shutdown with SHUTDOWN_GRACE_MS, then the deliverer. Idempotent.
  void Stop(std::chrono::milliseconds grace);
  notify::WebhookQueue* webhooks() const { return webhooks_.get(); }

 private:
  WorkerSide() = default;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<notify::WebhookQueue> webhooks_;
  std::unique_ptr<notify::WebhookDeliverer> deliverer_;
  std::unique_ptr<worker::Worker> worker_;
};

}  // namespace vg::app

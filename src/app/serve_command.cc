// `vidgen serve`: the API and a worker in one process — the embedded default a newcomer runs.
// With no Redis configured it starts a private redis-server (RedisSupervisor) with its data in
// $DATA_DIR/redis, so queued jobs survive a restart; it generates URL_SIGNING_SECRET into
// $DATA_DIR on first start; it prints the URL. SIGINT/SIGTERM: the worker finishes or hands
// back its jobs (SHUTDOWN_GRACE_MS), the API stops, the private Redis stops; exit 0.
// Bad configuration: exit 2. A part that cannot start: exit 1.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "api/server.h"
#include "app/commands.h"
#include "app/redis_supervisor.h"
#include "app/service_setup.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "queue/producer.h"
#include "storage/create.h"
#include "worker/worker.h"

namespace vg::app {
namespace {

class ServeCommand final : public Command {
 public:
  explicit ServeCommand(CLI::App& root) {
    app_ = root.add_subcommand(
        "serve",
        "API + worker in one process; starts a private redis-server when no Redis is configured");
  }

  int Run() override {
    PrepareProcessSignals();
    auto config = LoadServiceConfig(config::Mode::kServe, "serve");
    if (!config) return 2;
    if (config->storage_provider == config::StorageProvider::kLocal &&
        config->url_signing_secret.empty()) {
      auto secret = LoadOrCreateSigningSecret(config->data_dir);
      if (!secret.ok()) return Fail(2, secret.error().message());
      config->url_signing_secret = *secret;
    }
    std::unique_ptr<RedisSupervisor> redis;
    if (!config->redis.configured) {
      RedisSupervisorOptions options;
      options.data_dir = (std::filesystem::path(config->data_dir) / "redis").string();
      auto started = RedisSupervisor::Start(options);
      if (!started.ok()) return Fail(1, "private redis-server: " + started.error().message());
      redis = std::move(*started);
      config->redis.host = "127.0.0.1";
      config->redis.port = redis->port();
      config->redis.password.clear();
      config->redis.db = 0;
    }

    // After Redis has its port, so the free port picked for PORT=0 cannot be the same one.
    if (Status s = ResolvePort(&*config); !s.ok()) return Fail(1, s.message());
    auto store = storage::CreateBlobStore(*config);
    if (!store.ok()) return Fail(2, "storage: " + store.error().message());
    obs::Metrics metrics;
    queue::Producer producer(worker::RedisOptionsOf(*config),
                             queue::QueueName{config->queue_prefix, config->queue_name});
    auto side = WorkerSide::Start(*config, store->get(), &metrics);
    if (!side.ok()) return Fail(1, side.error().message());

    api::Dependencies deps;
    deps.producer = &producer;
    deps.blob_store = store->get();
    deps.metrics = &metrics;
    deps.webhooks = (*side)->webhooks();
    auto server = api::Server::Start(*config, deps);
    if (!server.ok()) {
      (*side)->Stop(std::chrono::milliseconds(0));
      return Fail(1, "API: " + server.error().message());
    }
    const std::string url = fmt::format("http://{}:{}", config->host, (*server)->port());
    obs::Log(obs::Level::kInfo, "service.listening",
             {{"url", url},
              {"public_base_url", config->public_base_url},
              {"redis", redis ? "private" : "configured"}});
    std::fprintf(stdout, "vidgen serve: listening on %s\n", url.c_str());
    std::fflush(stdout);

    const int signal_number = WaitForTerminationSignal();
    obs::Log(obs::Level::kInfo, "service.stopping", {{"signal", signal_number}});
    (*side)->Stop(std::chrono::milliseconds(config->shutdown_grace_ms));
    (*server)->Stop();
    if (redis) redis->Stop();
    obs::Log(obs::Level::kInfo, "service.stopped", {{"command", "serve"}});
    return 0;
  }

 private:
  static int Fail(int code, const std::string& message) {
    std::fprintf(stderr, "vidgen serve: %s\n", message.c_str());
    return code;
  }
};

}  // namespace

std::unique_ptr<Command> AddServeCommand(CLI::App& root) {
  return std::make_unique<ServeCommand>(root);
}

}  // namespace vg::app

// `vidgen api`: the HTTP + WebSocket API only, against the configured Redis (default
// redis://127.0.0.1:6379); any number of these may share one Redis. It renders nothing: jobs
// are rendered by `vidgen worker` processes (which also deliver the webhooks it enqueues).
// SIGINT/SIGTERM: stop, exit 0. Bad configuration: exit 2.
#include <fmt/format.h>

#include <cstdio>

#include "api/server.h"
#include "app/commands.h"
#include "app/service_setup.h"
#include "notify/webhooks.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "queue/producer.h"
#include "storage/create.h"
#include "worker/worker.h"

namespace vg::app {
namespace {

class ApiCommand final : public Command {
 public:
  explicit ApiCommand(CLI::App& root) {
    app_ = root.add_subcommand("api", "HTTP + WebSocket API only (needs Redis)");
  }

  int Run() override {
    PrepareProcessSignals();
    auto config = LoadServiceConfig(config::Mode::kApi, "api");
    if (!config) return 2;
    if (Status s = ResolvePort(&*config); !s.ok()) return Fail(1, s.message());
    auto store = storage::CreateBlobStore(*config);
    if (!store.ok()) return Fail(2, "storage: " + store.error().message());
    obs::Metrics metrics;
    const queue::RedisOptions redis = worker::RedisOptionsOf(*config);
    const queue::QueueName queue{config->queue_prefix, config->queue_name};
    queue::Producer producer(redis, queue);
    notify::WebhookQueue webhooks(redis, queue);
    api::Dependencies deps;
    deps.producer = &producer;
    deps.blob_store = store->get();
    deps.metrics = &metrics;
    deps.webhooks = &webhooks;
    auto server = api::Server::Start(*config, deps);
    if (!server.ok()) return Fail(1, server.error().message());
    const std::string url = fmt::format("http://{}:{}", config->host, (*server)->port());
    obs::Log(obs::Level::kInfo, "service.listening", {{"url", url}});
    std::fprintf(stdout, "vidgen api: listening on %s\n", url.c_str());
    std::fflush(stdout);
    const int signal_number = WaitForTerminationSignal();
    obs::Log(obs::Level::kInfo, "service.stopping", {{"signal", signal_number}});
    (*server)->Stop();
    obs::Log(obs::Level::kInfo, "service.stopped", {{"command", "api"}});
    return 0;
  }

 private:
  static int Fail(int code, const std::string& message) {
    std::fprintf(stderr, "vidgen api: %s\n", message.c_str());
    return code;
  }
};

}  // namespace

std::unique_ptr<Command> AddApiCommand(CLI::App& root) {
  return std::make_unique<ApiCommand>(root);
}

}  // namespace vg::app

// `vidgen worker`: renders queued jobs (and delivers webhooks) against the configured Redis
// (default redis://127.0.0.1:6379). SIGINT/SIGTERM: no new job, running renders get
// SHUTDOWN_GRACE_MS, the rest goes back to wait; exit 0. Bad configuration: exit 2.
#include <fmt/format.h>

#include <cstdio>

#include "app/commands.h"
#include "app/service_setup.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "storage/create.h"

namespace vg::app {
namespace {

class WorkerCommand final : public Command {
 public:
  explicit WorkerCommand(CLI::App& root) {
    app_ = root.add_subcommand("worker",
                               "Render queued jobs (needs Redis; default redis://127.0.0.1:6379)");
  }

  int Run() override {
    PrepareProcessSignals();
    auto config = LoadServiceConfig(config::Mode::kWorker, "worker");
    if (!config) return 2;
    auto store = storage::CreateBlobStore(*config);
    if (!store.ok()) {
      std::fprintf(stderr, "vidgen worker: storage: %s\n", store.error().message().c_str());
      return 2;
    }
    obs::Metrics metrics;
    auto side = WorkerSide::Start(*config, store->get(), &metrics);
    if (!side.ok()) {
      std::fprintf(stderr, "vidgen worker: %s\n", side.error().message().c_str());
      return 1;
    }
    std::fprintf(stderr, "vidgen worker: rendering jobs of queue %s from redis %s:%d\n",
                 config->queue_name.c_str(), config->redis.host.c_str(), config->redis.port);
    const int signal_number = WaitForTerminationSignal();
    obs::Log(obs::Level::kInfo, "service.stopping", {{"signal", signal_number}});
    (*side)->Stop(std::chrono::milliseconds(config->shutdown_grace_ms));
    obs::Log(obs::Level::kInfo, "service.stopped", {{"command", "worker"}});
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> AddWorkerCommand(CLI::App& root) {
  return std::make_unique<WorkerCommand>(root);
}

}  // namespace vg::app

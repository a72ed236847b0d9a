// Service gaps, end to end through the real `vidgen` executable and a real redis-server:
// the live workers of a queue as BullMQ itself sees them (the real bullmq package's
// Queue.getWorkers(), what Bull Board shows) and as queue::CountLiveWorkers (the /metrics gauge)
// counts them, with a Node Worker on the same queue.
#include <signal.h>

#include <sstream>
#include <thread>

#include "queue/consumer.h"
#include "service_env.h"
#include "support/redis_server.h"

namespace vg::service_test {
namespace {

class GapsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { signal(SIGPIPE, SIG_IGN); }

  Env VidgenEnv() const {
    return {{"REDIS_URL", redis_.url()},
            {"QUEUE_NAME", "gaps"},
            {"URL_SIGNING_SECRET", "gaps-signing-secret-0123456789"},
            {"DATA_DIR", (dir_.path() / "data").string()},
            {"LOCAL_STORAGE_DIR", (dir_.path() / "videos").string()},
            {"RATE_LIMIT_MAX", "0"},
            {"WORKER_CONCURRENCY", "2"},
            {"JOB_LOCK_MS", "2000"},
            {"STALLED_INTERVAL_MS", "1000"},
            {"SHUTDOWN_GRACE_MS", "300"},
            {"LOG_LEVEL", "info"}};
  }

  queue::RedisOptions Redis() const {
    queue::RedisOptions options;
    options.host = redis_.host();
    options.port = redis_.port();
    return options;
  }

  testing::RedisServer redis_;
  TempDir dir_;
};

// The last "WORKERS <n> <names>" line of bull_workers.js: n, or -1 before the first.
struct WorkersSeen {
  int count = -1;
  Json names;
};
WorkersSeen LastWorkersLine(const std::string& output) {
  WorkersSeen seen;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("WORKERS ", 0) != 0) continue;
    std::istringstream fields(line.substr(8));
    int n = -1;
    fields >> n;
    std::string rest;
    std::getline(fields, rest);
    Json names = Json::parse(rest, nullptr, false);
    if (names.is_discarded()) continue;
    seen = {n, names};
  }
  return seen;
}

TEST_F(GapsE2eTest, BullmqGetWorkersAndCountLiveWorkersSeeEachWorkerOnce) {
  const queue::QueueName queue{"bull", "gaps"};
  auto bull = StartNode("bull_workers.js", {std::to_string(redis_.port()), "gaps", "node-worker"});
  ASSERT_TRUE(WaitFor([&] { return LastWorkersLine(bull->output()).count == 1; }, 15000))
      << bull->output();  // the Node worker alone
  auto worker = StartVidgen({"worker"}, VidgenEnv());
  // Ours (WORKER_CONCURRENCY=2: four connections) is listed once, beside the Node worker.
  ASSERT_TRUE(WaitFor([&] { return LastWorkersLine(bull->output()).count == 2; }, 15000))
      << bull->output() << worker->output();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  WorkersSeen seen = LastWorkersLine(bull->output());
  EXPECT_EQ(seen.count, 2) << bull->output();
  int ours = 0;
  for (const auto& name : seen.names) {
    const std::string raw = name.get<std::string>();
    if (raw.rfind("bull:Z2Fwcw==:w:", 0) == 0 && raw != "bull:Z2Fwcw==:w:node-peer") ++ours;
  }
  EXPECT_EQ(ours, 1) << seen.names.dump();
  auto live = queue::CountLiveWorkers(Redis(), queue);
  ASSERT_TRUE(live.ok()) << live.error().ToString();
  EXPECT_EQ(*live, 2);

  worker->Kill(SIGTERM);
  EXPECT_EQ(worker->Wait(15000), 0);
  EXPECT_TRUE(WaitFor([&] { return LastWorkersLine(bull->output()).count == 1; }, 5000))
      << bull->output();
  live = queue::CountLiveWorkers(Redis(), queue);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(*live, 1);
  bull->Kill(SIGTERM);
  bull->Wait(10000);
}

}  // namespace
}  // namespace vg::service_test

// Service gaps, end to end through the real `vidgen` executable and a real redis-server:
// the live workers of a queue as BullMQ itself sees them (the real bullmq package's
// Queue.getWorkers(), what Bull Board shows) and as queue::CountLiveWorkers (the /metrics gauge)
// counts them, with a Node Worker on the same queue; and a WebSocket subscription while Redis is
// down, answered at once with the documented error while HTTP keeps serving, the events flowing
// again once Redis is back.
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

// The "MSG <ms> <json>" lines of ws_probe.js.
struct Message {
  double ms = 0;
  Json json;
};
std::vector<Message> Messages(const std::string& output) {
  std::vector<Message> out;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("MSG ", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    Message m;
    fields >> m.ms;
    std::string rest;
    std::getline(fields, rest);
    m.json = Json::parse(rest, nullptr, false);
    if (!m.json.is_discarded()) out.push_back(std::move(m));
  }
  return out;
}

TEST_F(GapsE2eTest, WebSocketSubscribeWhileRedisIsDownAnswersAtOnceAndRecovers) {
  Service api("api", VidgenEnv());
  ASSERT_TRUE(api.ready()) << api.output();
  const std::string ws = "ws://127.0.0.1:" + std::to_string(api.port()) + "/ws";
  HttpReply posted = HttpRequest("POST", api.url("/api/video/generate"),
                                 Json{{"template", TestTemplate(640, 360, 2)}}.dump());
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string first = posted.json()["jobId"];

  redis_.Shutdown();
  auto probe = StartNode("ws_probe.js", {ws, first, "20000"});
  ASSERT_TRUE(WaitFor([&] { return !Messages(probe->output()).empty(); }, 10000))
      << probe->output() << api.output();
  const Message answer = Messages(probe->output()).front();
  EXPECT_EQ(answer.json["type"], "error") << answer.json.dump();
  EXPECT_EQ(answer.json["message"], "The job cannot be read right now.") << answer.json.dump();
  EXPECT_LT(answer.ms, 200) << "the subscribe must not wait for the events reader";
  // The I/O threads are free: HTTP keeps answering while Redis is still down.
  const auto asked = std::chrono::steady_clock::now();
  HttpReply health = HttpRequest("GET", api.url("/health"));
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(500));
  HttpReply status = HttpRequest("GET", api.url("/api/video/status/" + first));
  EXPECT_GE(status.status, 500) << status.body;
  probe->Kill(SIGTERM);
  probe->Wait(5000);

  // Redis back (same data): a subscriber gets the status (once the API's own connections are
  // back), then, a worker started, the job's progress and end.
  redis_.Restart();
  std::unique_ptr<testing::Subprocess> again;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < until) {
    again = StartNode("ws_probe.js", {ws, first, "40000"});
    WaitFor([&] { return !Messages(again->output()).empty(); }, 5000);
    auto got = Messages(again->output());
    if (!got.empty() && got.front().json.value("type", "") == "status") break;
    again->Kill(SIGTERM);
    again->Wait(5000);
    again.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_TRUE(again) << "no status after Redis came back\n" << api.output();
  EXPECT_EQ(Messages(again->output()).front().json.value("status", ""), "queued")
      << again->output();
  auto worker = StartVidgen({"worker"}, VidgenEnv());
  bool done = false;
  WaitFor(
      [&] {
        for (const auto& m : Messages(again->output())) {
          if (m.json.value("type", "") == "completed") done = true;
        }
        return done;
      },
      40000);
  ASSERT_TRUE(done) << again->output() << api.output() << worker->output();
  std::vector<std::string> types;
  for (const auto& m : Messages(again->output())) types.push_back(m.json.value("type", ""));
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "status") << again->output();
  EXPECT_NE(std::find(types.begin(), types.end(), "progress"), types.end()) << again->output();
  for (auto* p : {&api.process(), worker.get()}) {
    p->Kill(SIGTERM);
    EXPECT_EQ(p->Wait(15000), 0);
  }
  again->Kill(SIGTERM);
}

}  // namespace
}  // namespace vg::service_test

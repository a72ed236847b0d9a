// `vidgen serve` and `vidgen api` + `vidgen worker` end to end, as a user runs them: serve on a
// free port with a temporary DATA_DIR and its private redis-server; a template POSTed → 202 →
// status until completed → the signed URL downloaded and probed; the webhook verified with the
// `standardwebhooks` npm package, retried after a 500; cancel of a queued and of an active
// job; SIGTERM → exit 0 with no redis-server left; a restart on the same DATA_DIR keeps queued
// jobs; two `api` processes and one `worker` on one Redis, a WebSocket client (npm `ws`) on
// api #1 seeing a job posted to api #2 complete.
#include <signal.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "service_env.h"
#include "support/redis_server.h"

namespace vg::service_test {
namespace {

constexpr char kWebhookSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

class ServeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { signal(SIGPIPE, SIG_IGN); }

  Env ServeEnv() const {
    return {{"DATA_DIR", (dir_.path() / "data").string()},
            {"RATE_LIMIT_MAX", "0"},
            {"JOB_LOCK_MS", "2000"},
            {"STALLED_INTERVAL_MS", "1000"},
            {"SHUTDOWN_GRACE_MS", "500"},
            {"ALLOW_PRIVATE_URLS", "true"},
            {"WEBHOOK_SECRET", kWebhookSecret},
            {"LOG_LEVEL", "info"}};
  }

  static HttpReply Post(Service& s, const Json& body) {
    return HttpRequest("POST", s.url("/api/video/generate"), body.dump());
  }
  static Json Status(Service& s, const std::string& id) {
    return HttpRequest("GET", s.url("/api/video/status/" + id)).json();
  }
  static bool WaitStatus(Service& s, const std::string& id, const std::string& status,
                         int timeout_ms) {
    return WaitFor([&] { return Status(s, id).value("status", "") == status; }, timeout_ms);
  }

  TempDir dir_;
};

TEST_F(ServeE2eTest, PostStatusDownloadWebhookThenSigtermLeavesNoRedis) {
  auto sink = StartNode("webhook_sink.js", {kWebhookSecret, "500"});
  ASSERT_TRUE(WaitFor([&] { return sink->output().find("PORT ") != std::string::npos; }, 10000));
  const std::string hook_port =
      std::regex_replace(sink->output(), std::regex("(?:.|\\n)*PORT ([0-9]+)(?:.|\\n)*"), "$1");

  Service serve("serve", ServeEnv());
  ASSERT_TRUE(serve.ready()) << serve.output();
  const pid_t redis_pid = serve.RedisPid();
  ASSERT_GT(redis_pid, 0) << serve.output();

  HttpReply posted = Post(serve, {{"template", TestTemplate(160, 90, 1.5)},
                                  {"input", {{"name", "Ada"}}},
                                  {"metadata", {{"orderId", "A-17"}}},
                                  {"webhookUrl", "http://127.0.0.1:" + hook_port + "/hook"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json()["jobId"];
  EXPECT_EQ(posted.headers["location"], "/api/video/status/" + id);
  ASSERT_TRUE(WaitStatus(serve, id, "completed", 30000)) << Status(serve, id).dump();
  Json status = Status(serve, id);
  EXPECT_EQ(status["progress"], 100);
  EXPECT_EQ(status["metadata"]["orderId"], "A-17");
  const std::string video_url = status["result"]["url"];

  HttpReply video = HttpRequest("GET", video_url);
  ASSERT_EQ(video.status, 200);
  EXPECT_EQ(video.headers["content-type"], "video/mp4");
  const fs::path downloaded = dir_.path() / "downloaded.mp4";
  std::ofstream(downloaded, std::ios::binary) << video.body;
  Json probe = Probe(downloaded);
  ASSERT_TRUE(probe.contains("streams")) << "not playable";
  EXPECT_EQ(probe["streams"][0]["codec_name"], "h264");
  EXPECT_EQ(probe["streams"][0]["width"], 160);
  EXPECT_NEAR(std::stod(probe["format"]["duration"].get<std::string>()), 1.5, 0.05);
  EXPECT_EQ(HttpRequest("GET", status["result"]["thumbnailUrl"]).headers["content-type"],
            "image/jpeg");

  // The webhook: answered 500 once, then delivered again with the same id, verified by the
  // reference implementation, carrying a freshly signed URL and the metadata.
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string out = sink->output();
        return std::count(out.begin(), out.end(), '\n') >= 3;  // PORT + two deliveries
      },
      15000))
      << sink->output() << serve.output();
  std::istringstream lines(sink->output());
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("REJECTED", 0) == 0) ADD_FAILURE() << line;
    if (line.rfind("VERIFIED ", 0) != 0) continue;
    const size_t space = line.find(' ', 9);
    ids.push_back(line.substr(9, space - 9));
    Json body = Json::parse(line.substr(space + 1));
    EXPECT_EQ(body["type"], "video.completed");
    EXPECT_EQ(body["data"]["jobId"], id);
    EXPECT_EQ(body["data"]["status"], "completed");
    EXPECT_EQ(body["data"]["metadata"]["orderId"], "A-17");
    EXPECT_NE(body["data"]["result"].value("url", "").find("/files/videos/" + id + ".mp4?exp="),
              std::string::npos)
        << body.dump();
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], ids[1]) << "a retry keeps its webhook-id";

  // The worker's metrics show on the API's /metrics (one registry per process).
  const std::string metrics = HttpRequest("GET", serve.url("/metrics")).body;
  EXPECT_NE(metrics.find("vidgen_job_duration_seconds_count{outcome=\"completed\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("vidgen_workers_live 1"), std::string::npos) << metrics;

  serve.process().Kill(SIGTERM);
  EXPECT_EQ(serve.process().Wait(15000), 0) << serve.output();
  errno = 0;
  EXPECT_TRUE(kill(redis_pid, 0) == -1 && errno == ESRCH) << "redis-server left behind";
  sink->Kill(SIGTERM);
}

TEST_F(ServeE2eTest, KillDashNineOfServeTakesItsRedisDownToo) {
  Service serve("serve", ServeEnv());
  ASSERT_TRUE(serve.ready()) << serve.output();
  const pid_t redis_pid = serve.RedisPid();
  ASSERT_GT(redis_pid, 0);
  serve.process().Kill(SIGKILL);
  serve.process().Wait(5000);
  // PR_SET_PDEATHSIG: the orphaned redis-server gets SIGTERM and exits (init reaps it).
  EXPECT_TRUE(WaitFor(
      [&] {
        std::ifstream stat("/proc/" + std::to_string(redis_pid) + "/stat");
        std::string pid, name, state;
        stat >> pid >> name >> state;
        return !stat || state == "Z";
      },
      10000))
      << "redis-server outlived vidgen";
  // The next start on the same DATA_DIR works (the AOF is intact).
  Service again("serve", ServeEnv());
  EXPECT_TRUE(again.ready()) << again.output();
  again.process().Kill(SIGTERM);
  EXPECT_EQ(again.process().Wait(15000), 0);
}

// The private redis-server dies (kill -9) while serve has a delayed job queued and another
// one rendering: serve starts it again on the same port and DATA_DIR (the AOF replays every
// acknowledged write), /ready answers 200 again within a few seconds, both jobs complete, a
// job posted afterwards completes too, and SIGTERM still leaves no redis-server behind.
TEST_F(ServeE2eTest, PrivateRedisKilledMidRunIsRestartedAndNothingIsLost) {
  Service serve("serve", ServeEnv());
  ASSERT_TRUE(serve.ready()) << serve.output();
  const pid_t first_pid = serve.RedisPid();
  ASSERT_GT(first_pid, 0) << serve.output();

  HttpReply delayed = Post(serve, {{"template", TestTemplate(160, 90, 1)}, {"delay", 2500}});
  ASSERT_EQ(delayed.status, 202) << delayed.body;
  const std::string delayed_id = delayed.json()["jobId"];
  HttpReply rendering = Post(serve, {{"template", TestTemplate(640, 360, 4)}});
  ASSERT_EQ(rendering.status, 202) << rendering.body;
  const std::string rendering_id = rendering.json()["jobId"];
  ASSERT_TRUE(WaitStatus(serve, rendering_id, "active", 20000)) << Status(serve, rendering_id);

  ASSERT_EQ(kill(first_pid, SIGKILL), 0);
  const auto killed = std::chrono::steady_clock::now();
  std::string new_pid;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::smatch m;
        const std::string out = serve.output();
        if (!std::regex_search(out, m, std::regex("event=service.redis_restarted pid=([0-9]+)"))) {
          return false;
        }
        new_pid = m[1];
        return HttpRequest("GET", serve.url("/ready")).status == 200;
      },
      10000))
      << serve.output();
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::seconds(5));
  EXPECT_NE(new_pid, std::to_string(first_pid));
  EXPECT_NE(serve.output().find("event=service.redis_exited pid=" + std::to_string(first_pid)),
            std::string::npos)
      << serve.output();

  // Nothing accepted was lost: both jobs finish, and the queue takes new ones.
  EXPECT_TRUE(WaitStatus(serve, delayed_id, "completed", 40000)) << Status(serve, delayed_id);
  EXPECT_TRUE(WaitStatus(serve, rendering_id, "completed", 40000)) << Status(serve, rendering_id);
  HttpReply after = Post(serve, {{"template", TestTemplate(160, 90, 1)}});
  ASSERT_EQ(after.status, 202) << after.body;
  EXPECT_TRUE(WaitStatus(serve, after.json()["jobId"], "completed", 30000)) << serve.output();

  serve.process().Kill(SIGTERM);
  EXPECT_EQ(serve.process().Wait(15000), 0) << serve.output();
  errno = 0;
  EXPECT_TRUE(kill(static_cast<pid_t>(std::stol(new_pid)), 0) == -1 && errno == ESRCH)
      << "the restarted redis-server was left behind";
}

TEST_F(ServeE2eTest, CancelOfAQueuedAndOfAnActiveJob) {
  Service serve("serve", ServeEnv());
  ASSERT_TRUE(serve.ready()) << serve.output();
  HttpReply delayed = Post(serve, {{"template", TestTemplate(160, 90, 1)}, {"delay", 60000}});
  ASSERT_EQ(delayed.status, 202) << delayed.body;
  const std::string queued_id = delayed.json()["jobId"];
  HttpReply long_job = Post(serve, {{"template", TestTemplate(1280, 720, 60)}});
  ASSERT_EQ(long_job.status, 202) << long_job.body;
  const std::string active_id = long_job.json()["jobId"];

  HttpReply cancelled = HttpRequest("DELETE", serve.url("/api/video/cancel/" + queued_id));
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(Status(serve, queued_id)["status"], "cancelled");

  ASSERT_TRUE(WaitFor(
      [&] {
        Json s = Status(serve, active_id);
        return s.value("status", "") == "active" && s.value("progress", 0.0) > 30;
      },
      30000))
      << Status(serve, active_id).dump();
  cancelled = HttpRequest("DELETE", serve.url("/api/video/cancel/" + active_id));
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitStatus(serve, active_id, "cancelled", 5000)) << Status(serve, active_id).dump();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(1200));
  EXPECT_TRUE(FilesUnder(dir_.path() / "data" / "videos").empty());
  EXPECT_EQ(HttpRequest("DELETE", serve.url("/api/video/cancel/" + active_id)).status, 409);
  serve.process().Kill(SIGTERM);
  EXPECT_EQ(serve.process().Wait(15000), 0) << serve.output();
}

TEST_F(ServeE2eTest, RestartOnTheSameDataDirKeepsQueuedJobsAndTheSecret) {
  std::string id;
  std::string secret;
  {
    Service serve("serve", ServeEnv());
    ASSERT_TRUE(serve.ready()) << serve.output();
    HttpReply posted = Post(serve, {{"template", TestTemplate(160, 90, 1)}, {"delay", 3000}});
    ASSERT_EQ(posted.status, 202) << posted.body;
    id = posted.json()["jobId"];
    EXPECT_EQ(Status(serve, id)["status"], "delayed");
    serve.process().Kill(SIGTERM);
    ASSERT_EQ(serve.process().Wait(15000), 0) << serve.output();
    std::ifstream(dir_.path() / "data" / "url-signing-secret") >> secret;
    ASSERT_FALSE(secret.empty());
  }
  Service again("serve", ServeEnv());
  ASSERT_TRUE(again.ready()) << again.output();
  EXPECT_NE(Status(again, id).value("status", ""), "") << "the queued job survived";
  EXPECT_TRUE(WaitStatus(again, id, "completed", 30000)) << Status(again, id).dump();
  std::string secret_after;
  std::ifstream(dir_.path() / "data" / "url-signing-secret") >> secret_after;
  EXPECT_EQ(secret, secret_after);
  EXPECT_EQ(fs::status(dir_.path() / "data" / "url-signing-secret").permissions() &
                (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  again.process().Kill(SIGTERM);
  EXPECT_EQ(again.process().Wait(15000), 0);
}

TEST_F(ServeE2eTest, TwoApisAndAWorkerOnOneRedisWebSocketSeesJobFromTheOtherInstance) {
  testing::RedisServer redis;
  const Env env = {{"REDIS_URL", redis.url()},
                   {"URL_SIGNING_SECRET", "shared-signing-secret-0123456789"},
                   {"LOCAL_STORAGE_DIR", (dir_.path() / "videos").string()},
                   {"DATA_DIR", (dir_.path() / "data").string()},
                   {"RATE_LIMIT_MAX", "0"},
                   {"LOG_LEVEL", "info"}};
  Service api1("api", env);
  Service api2("api", env);
  ASSERT_TRUE(api1.ready()) << api1.output();
  ASSERT_TRUE(api2.ready()) << api2.output();
  auto worker = StartVidgen({"worker"}, env);

  auto watcher = StartNode(
      "ws_watch.js", {"ws://127.0.0.1:" + std::to_string(api1.port()) + "/ws", "all", "40000"});
  ASSERT_TRUE(WaitFor([&] { return watcher->output().find("OPEN") != std::string::npos; }, 10000))
      << watcher->output();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the subscribe is read

  HttpReply posted = Post(api2, {{"template", TestTemplate(640, 360, 2)}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json()["jobId"];
  bool completed = false;
  std::vector<Json> messages;
  WaitFor(
      [&] {
        messages.clear();
        std::istringstream lines(watcher->output());
        for (std::string line; std::getline(lines, line);) {
          Json m = Json::parse(line, nullptr, false);
          if (m.is_discarded() || m.value("jobId", "") != id) continue;
          messages.push_back(m);
          if (m["type"] == "completed") completed = true;
        }
        return completed;
      },
      40000);
  ASSERT_TRUE(completed) << watcher->output() << worker->output();
  const Json& last = messages.back();
  EXPECT_EQ(last["type"], "completed");
  EXPECT_EQ(last["result"]["width"], 640);
  bool saw_progress = false;
  for (const auto& m : messages) saw_progress |= m["type"] == "progress";
  EXPECT_TRUE(saw_progress) << watcher->output();
  // The signed URL api #1 hands out downloads from the shared folder.
  HttpReply video = HttpRequest("GET", Status(api1, id)["result"]["url"]);
  EXPECT_EQ(video.status, 200);

  for (auto* p : {&api1.process(), &api2.process(), worker.get()}) {
    p->Kill(SIGTERM);
    EXPECT_EQ(p->Wait(15000), 0);
  }
  watcher->Kill(SIGTERM);
}

}  // namespace
}  // namespace vg::service_test

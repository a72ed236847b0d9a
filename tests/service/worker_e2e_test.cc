// `vidgen worker` end to end: a real redis-server on a free loopback port, jobs enqueued in
// BullMQ's format (as `vidgen api` or a Node producer would), the real executable rendering
// them into LOCAL_STORAGE_DIR, results checked with ffprobe. Covers kill -9 mid-render (another
// worker completes the job), cancel of an active job, SIGTERM (job handed back, exit 0), a
// Redis restart mid-run (nothing accepted is lost, every job's webhook delivery exists exactly
// once) and bad configuration (exit 2).
#include <signal.h>

#include <map>
#include <thread>

#include "queue/producer.h"
#include "service_env.h"
#include "support/redis_server.h"

namespace vg::service_test {
namespace {

class WorkerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // the producer's socket may be cut by the Redis restart
    storage_ = dir_.path() / "videos";
    fs::create_directories(storage_);
  }

  Env WorkerEnv() const {
    return {{"REDIS_URL", redis_.url()},
            {"QUEUE_NAME", "e2e"},
            {"URL_SIGNING_SECRET", "e2e-signing-secret-0123456789"},
            {"DATA_DIR", dir_.path().string()},
            {"LOCAL_STORAGE_DIR", storage_.string()},
            {"RATE_LIMIT_MAX", "0"},
            {"JOB_LOCK_MS", "1000"},
            {"STALLED_INTERVAL_MS", "1000"},
            {"SHUTDOWN_GRACE_MS", "300"},
            {"LOG_LEVEL", "info"}};
  }

  queue::Producer& producer() {
    if (!producer_) {
      queue::RedisOptions options;
      options.host = redis_.host();
      options.port = redis_.port();
      producer_ = std::make_unique<queue::Producer>(options, queue::QueueName{"bull", "e2e"});
    }
    return *producer_;
  }

  // Enqueues a render job with the API's options. With a custom id, a queue_unavailable answer
  // (Redis restarting) is retried, as an API client retries a 503 with an Idempotency-Key.
  std::string Add(const Json& tmpl, int attempts = 3, const std::string& custom_id = "",
                  const std::string& webhook_url = "") {
    queue::JobOptions options;
    options.attempts = attempts;
    options.backoff = {queue::Backoff::Type::kExponential, 200, 0};
    if (!custom_id.empty()) options.job_id = custom_id;
    Json data = {{"template", tmpl}, {"input", {{"name", "Ada"}}}, {"owner", "public"}};
    if (!webhook_url.empty()) data["webhookUrl"] = webhook_url;
    auto added = producer().Add("render", data, options);
    for (int i = 0; !custom_id.empty() && !added.ok() && i < 50; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      added = producer().Add("render", data, options);
    }
    EXPECT_TRUE(added.ok()) << added.error().ToString();
    return added.ok() ? added->id : "";
  }

  queue::Job Get(const std::string& id) {
    auto job = producer().GetJob(id);
    return job.ok() ? *job : queue::Job{};
  }

  bool WaitState(const std::string& id, queue::JobState state, int timeout_ms) {
    return WaitFor([&] { return Get(id).state == state; }, timeout_ms);
  }

  bool WaitProgressAbove(const std::string& id, int value, int timeout_ms) {
    return WaitFor(
        [&] {
          queue::Job job = Get(id);
          return job.progress.is_number() && job.progress.get<int>() > value;
        },
        timeout_ms);
  }

  TempDir dir_;
  fs::path storage_;
  testing::RedisServer redis_;
  std::unique_ptr<queue::Producer> producer_;
};

TEST_F(WorkerE2eTest, RendersAJobToAPlayableMp4AndExitsZeroOnSigterm) {
  auto worker = StartVidgen({"worker"}, WorkerEnv());
  const std::string id = Add(TestTemplate(160, 90, 1.5));
  ASSERT_TRUE(WaitState(id, queue::JobState::kCompleted, 30000)) << worker->output();
  queue::Job job = Get(id);
  EXPECT_EQ(job.returnvalue["storageKey"], "videos/" + id + ".mp4");
  EXPECT_EQ(job.progress, 100);
  const fs::path video = storage_ / "videos" / (id + ".mp4");
  Json probe = Probe(video);
  ASSERT_TRUE(probe.contains("streams")) << "not a playable file: " << video;
  EXPECT_EQ(probe["streams"][0]["codec_name"], "h264");
  EXPECT_EQ(probe["streams"][0]["width"], 160);
  EXPECT_EQ(probe["streams"][0]["height"], 90);
  EXPECT_NEAR(std::stod(probe["format"]["duration"].get<std::string>()), 1.5, 0.05);
  EXPECT_EQ(fs::file_size(video), job.returnvalue["sizeBytes"].get<uintmax_t>());
  EXPECT_TRUE(fs::exists(storage_ / "videos" / (id + ".jpg")));

  worker->Kill(SIGTERM);
  EXPECT_EQ(worker->Wait(10000), 0) << worker->output();
}

TEST_F(WorkerE2eTest, KillDashNineMidRenderAnotherWorkerCompletesTheJob) {
  auto first = StartVidgen({"worker"}, WorkerEnv());
  const std::string id = Add(TestTemplate(1280, 720, 12));
  ASSERT_TRUE(WaitProgressAbove(id, 30, 30000)) << first->output();
  first->Kill(SIGKILL);
  first->Wait(5000);
  EXPECT_EQ(Get(id).state, queue::JobState::kActive);  // stalled: its lock runs out

  auto second = StartVidgen({"worker"}, WorkerEnv());
  ASSERT_TRUE(WaitState(id, queue::JobState::kCompleted, 60000)) << second->output();
  queue::Job job = Get(id);
  EXPECT_GE(job.attempts_started, 2);
  EXPECT_TRUE(Probe(storage_ / "videos" / (id + ".mp4")).contains("streams"));
  second->Kill(SIGTERM);
  EXPECT_EQ(second->Wait(10000), 0);
}

TEST_F(WorkerE2eTest, CancelOfAnActiveJobEndsCancelledWithinASecondAndLeavesNoFile) {
  auto worker = StartVidgen({"worker"}, WorkerEnv());
  const std::string id = Add(TestTemplate(1280, 720, 60));
  ASSERT_TRUE(WaitProgressAbove(id, 30, 30000)) << worker->output();
  auto outcome = producer().Cancel(id);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*outcome, queue::CancelOutcome::kCancelRequested);
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitState(id, queue::JobState::kFailed, 5000)) << worker->output();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(1200));
  queue::Job job = Get(id);
  EXPECT_EQ(job.failed_reason, "cancelled");
  EXPECT_EQ(job.error_code, "cancelled");
  EXPECT_TRUE(job.cancelled());
  EXPECT_TRUE(FilesUnder(storage_).empty());
  // Never retried: still failed a while later.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(Get(id).state, queue::JobState::kFailed);
  worker->Kill(SIGTERM);
  EXPECT_EQ(worker->Wait(10000), 0);
}

TEST_F(WorkerE2eTest, SigtermHandsARunningJobBackToWaitAfterTheGraceAndExitsZero) {
  auto worker = StartVidgen({"worker"}, WorkerEnv());
  const std::string id = Add(TestTemplate(1280, 720, 60));
  ASSERT_TRUE(WaitProgressAbove(id, 30, 30000)) << worker->output();
  worker->Kill(SIGTERM);
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(worker->Wait(10000), 0) << worker->output();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(3000));
  queue::Job job = Get(id);
  EXPECT_EQ(job.state, queue::JobState::kWaiting) << "handed back without a stall delay";
  EXPECT_EQ(job.failed_reason, "");
  EXPECT_TRUE(FilesUnder(storage_).empty());
}

TEST_F(WorkerE2eTest, RedisRestartedMidRunLosesNothingAccepted) {
  auto worker = StartVidgen({"worker"}, WorkerEnv());
  // Every job asks for a webhook (to a port nobody listens on: the deliveries themselves fail,
  // which does not matter here); its delivery job is added by the script call that completes it.
  const std::string hook = "http://127.0.0.1:9/hook";
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(Add(TestTemplate(320, 180, 1), 3, "", hook));
  ASSERT_TRUE(WaitFor([&] { return Get(ids[0]).state == queue::JobState::kCompleted; }, 30000));
  redis_.Shutdown();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  redis_.Restart();
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Add(TestTemplate(320, 180, 1), 3, "after-restart-" + std::to_string(i), hook));
  }
  for (const auto& id : ids) {
    EXPECT_TRUE(WaitState(id, queue::JobState::kCompleted, 60000)) << id << "\n"
                                                                   << worker->output();
    EXPECT_TRUE(fs::exists(storage_ / "videos" / (id + ".mp4"))) << id;
  }
  worker->Kill(SIGTERM);
  EXPECT_EQ(worker->Wait(10000), 0);

  // Exactly one video.completed delivery per job, whatever state the delivery reached.
  queue::RedisOptions options;
  options.host = redis_.host();
  options.port = redis_.port();
  queue::Producer hooks(options, queue::QueueName{"bull", "e2e-webhooks"});
  std::map<std::string, int> deliveries;
  for (queue::JobState state :
       {queue::JobState::kWaiting, queue::JobState::kDelayed, queue::JobState::kActive,
        queue::JobState::kCompleted, queue::JobState::kFailed}) {
    auto jobs = hooks.ListJobs(state, 0, 1000);
    ASSERT_TRUE(jobs.ok()) << jobs.error().ToString();
    for (const queue::Job& delivery : *jobs) {
      EXPECT_EQ(delivery.data.value("type", ""), "video.completed");
      ++deliveries[delivery.data.value("jobId", "")];
    }
  }
  for (const auto& id : ids) EXPECT_EQ(deliveries[id], 1) << id;
  EXPECT_EQ(deliveries.size(), ids.size());
}

TEST_F(WorkerE2eTest, BadConfigurationIsExitTwoNamingEveryVariable) {
  Env env = WorkerEnv();
  env["WORKER_CONCURRENCY"] = "many";
  env["JOB_LOCK_MS"] = "-5";
  auto worker = StartVidgen({"worker"}, env);
  EXPECT_EQ(worker->Wait(10000), 2);
  const std::string out = worker->output();
  EXPECT_NE(out.find("WORKER_CONCURRENCY"), std::string::npos) << out;
  EXPECT_NE(out.find("JOB_LOCK_MS"), std::string::npos) << out;
}

}  // namespace
}  // namespace vg::service_test

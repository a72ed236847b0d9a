// Worker tests against a real redis-server and the real render engine and local store: a job
// is rendered, stored and completed with API.md's return value and progress; bad data fails
// for good; an asset outside ASSET_DIR is asset_unavailable, not retried; cancel of an active
// job stops it fast with nothing stored; JOB_TIMEOUT_MS gives `timeout`; shutdown hands a
// running job back to wait after the grace; temp files are always removed; webhooks are queued,
// only once the queue accepted the final move (none for a refused finish, exactly one for jobs
// ended without a render: stalled too often, malformed, cancelled at fetch); live workers are
// counted across every worker sharing the Redis (CountLiveWorkers, the vidgen_workers_live gauge).
#include "worker/worker.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "net/test_http_server.h"
#include "notify/webhooks.h"
#include "obs/metrics.h"
#include "queue/events.h"
#include "queue/producer.h"
#include "queue/queue_keys.h"
#include "storage/local_store.h"
#include "support/redis_server.h"
#include "support/test_templates.h"

namespace vg::worker {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool WaitFor(const std::function<bool()>& condition, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

json Template(int width, int height, double seconds, int fps = 30) {
  return vg::testing::MovingShapeTemplate(width, height, seconds, fps);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "vg-worker-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class WorkerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    signal(SIGPIPE, SIG_IGN);  // as vidgen does: a closed Redis socket must not kill the test
    server_ = new vg::testing::RedisServer();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    config_.queue_name = std::string("wt-") + info->name();
    config_.redis.configured = true;
    config_.redis.host = server_->host();
    config_.redis.port = server_->port();
    config_.rate_limit_max = 0;
    config_.job_lock_ms = 2000;
    config_.stalled_interval_ms = 1000;
    storage::LocalStoreOptions store_options;
    store_options.root_dir = (dir_.path() / "store").string();
    store_options.public_base_url = "http://127.0.0.1:1";
    store_options.signing_secret = "test-secret";
    auto store = storage::LocalStore::Open(store_options);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    fs::create_directories(dir_.path() / "tmp");
    tuning_.temp_dir = (dir_.path() / "tmp").string();
    tuning_.drain_delay_ms = 200;
    tuning_.render_threads = 1;
  }

  queue::RedisOptions redis() const { return RedisOptionsOf(config_); }
  queue::QueueName queue_name() const { return {config_.queue_prefix, config_.queue_name}; }

  std::string Add(const json& data, int attempts = 1) {
    queue::Producer producer(redis(), queue_name());
    queue::JobOptions options;
    options.attempts = attempts;
    options.backoff = {queue::Backoff::Type::kFixed, 100, 0};
    auto added = producer.Add("render", data, options);
    EXPECT_TRUE(added.ok()) << added.error().ToString();
    return added.ok() ? added->id : "";
  }

  queue::Job Get(const std::string& id) {
    queue::Producer producer(redis(), queue_name());
    auto job = producer.GetJob(id);
    EXPECT_TRUE(job.ok());
    return job.ok() ? *job : queue::Job{};
  }

  bool WaitState(const std::string& id, queue::JobState state, int timeout_ms) {
    queue::Producer producer(redis(), queue_name());
    return WaitFor(
        [&] {
          auto job = producer.GetJob(id);
          return job.ok() && job->state == state;
        },
        timeout_ms);
  }

  std::unique_ptr<Worker> MakeWorker(notify::WebhookQueue* webhooks = nullptr) {
    Dependencies deps;
    deps.store = store_.get();
    deps.webhooks = webhooks;
    deps.metrics = &metrics_;
    return std::make_unique<Worker>(config_, deps, tuning_);
  }

  bool TempEmpty() const { return fs::is_empty(dir_.path() / "tmp"); }
  std::vector<std::string> StoredFiles() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_.path() / "store", ec);
         it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_regular_file()) names.push_back(fs::relative(it->path(), dir_.path() / "store"));
    }
    return names;
  }

  static inline vg::testing::RedisServer* server_ = nullptr;
  TempDir dir_;
  config::Config config_;
  WorkerTuning tuning_;
  obs::Metrics metrics_;
  std::unique_ptr<storage::LocalStore> store_;
};

TEST_F(WorkerTest, RendersStoresAndCompletesWithResultAndProgress) {
  queue::EventsReader events(redis(), queue_name());
  ASSERT_TRUE(events.Open().ok());
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  // Long enough (about a second) for progress between 30 and 80 to show.
  const std::string id = Add(
      {{"template", Template(1280, 720, 16)}, {"input", {{"name", "Ada"}}}, {"owner", "public"}});
  ASSERT_TRUE(WaitState(id, queue::JobState::kCompleted, 30000));
  queue::Job job = Get(id);
  const json& r = job.returnvalue;
  EXPECT_EQ(r["storageKey"], "videos/" + id + ".mp4");
  EXPECT_EQ(r["thumbnailKey"], "videos/" + id + ".jpg");
  EXPECT_EQ(r["width"], 1280);
  EXPECT_EQ(r["height"], 720);
  EXPECT_EQ(r["fps"], 30);
  EXPECT_EQ(r["format"], "mp4");
  EXPECT_DOUBLE_EQ(r["durationSec"].get<double>(), 16.0);
  EXPECT_FALSE(r.contains("url"));  // signed URLs are never stored
  auto head = store_->Head(r["storageKey"].get<std::string>());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size_bytes, r["sizeBytes"].get<int64_t>());
  EXPECT_TRUE(store_->Head(r["thumbnailKey"].get<std::string>()).ok());
  EXPECT_EQ(job.progress, 100);
  EXPECT_TRUE(TempEmpty());

  // Progress as a client sees it: 10, then 30…80 rising, 90, 100; at most 10 updates a second.
  std::vector<int> progress;
  std::vector<int64_t> stamps_ms;  // times of the 30…80 updates (from their stream ids)
  WaitFor(
      [&] {
        auto batch = events.Read(100);
        if (batch.ok()) {
          for (const auto& e : *batch) {
            if (e.name == "progress" && e.job_id == id) {
              progress.push_back(std::stoi(*e.Field("data")));
              if (progress.back() >= 30 && progress.back() <= 80) {  // the throttled frame updates
                stamps_ms.push_back(std::stoll(e.stream_id.substr(0, e.stream_id.find('-'))));
              }
            }
          }
        }
        return !progress.empty() && progress.back() == 100;
      },
      5000);
  ASSERT_GE(progress.size(), 5u);
  EXPECT_EQ(progress.front(), 10);
  EXPECT_EQ(progress[1], 30);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress[progress.size() - 2], 90);
  EXPECT_EQ(progress.back(), 100);
  EXPECT_TRUE(
      std::any_of(progress.begin(), progress.end(), [](int p) { return p > 30 && p <= 80; }));
  // At most 10 updates a second: frame updates are 100 ms apart on average (allowing for
  // jitter: the stream ids are Redis' clock); without the cap there would be one per 2 %.
  ASSERT_GE(stamps_ms.size(), 3u);
  EXPECT_GE(stamps_ms.back() - stamps_ms.front(), 90 * static_cast<int64_t>(stamps_ms.size() - 1))
      << stamps_ms.size() << " updates";
  worker->Shutdown(std::chrono::milliseconds(1000));
  EXPECT_NE(metrics_.RenderPrometheus().find(
                "vidgen_job_duration_seconds_count{outcome=\"completed\"} 1"),
            std::string::npos);
}

// A store whose uploads take a while and report progress as they go, as a cloud store's do
// (from another thread, like parallel multipart parts).
class SlowUploadStore final : public storage::BlobStore {
 public:
  explicit SlowUploadStore(storage::BlobStore& inner) : inner_(inner) {}
  Status Put(const std::string& key, const std::string& local_path,
             const std::string& content_type,
             const std::function<void(int64_t, int64_t)>& on_progress) override {
    std::thread uploader([&] {
      for (int step = 1; step <= 8 && on_progress; ++step) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        on_progress(step * 1000, 8000);
      }
    });
    uploader.join();
    return inner_.Put(key, local_path, content_type, on_progress);
  }
  Result<storage::SignedUrl> Sign(const std::string& key, int64_t ttl) const override {
    return inner_.Sign(key, ttl);
  }
  Result<storage::BlobInfo> Head(const std::string& key) const override {
    return inner_.Head(key);
  }
  Status Delete(const std::string& key) override { return inner_.Delete(key); }
  Result<std::vector<storage::BlobInfo>> ListOlderThan(int64_t unix_ms) const override {
    return inner_.ListOlderThan(unix_ms);
  }
  Status Check() const override { return inner_.Check(); }
  Result<int64_t> BytesUsed() const override { return inner_.BytesUsed(); }

 private:
  storage::BlobStore& inner_;
};

TEST_F(WorkerTest, UploadProgressRisesFromNinetyTowardsHundred) {
  queue::EventsReader events(redis(), queue_name());
  ASSERT_TRUE(events.Open().ok());
  SlowUploadStore slow(*store_);
  Dependencies deps;
  deps.store = &slow;
  deps.metrics = &metrics_;
  Worker worker(config_, deps, tuning_);
  ASSERT_TRUE(worker.Start().ok());
  const std::string id = Add({{"template", Template(160, 90, 1)}, {"owner", "public"}});
  ASSERT_TRUE(WaitState(id, queue::JobState::kCompleted, 30000));
  std::vector<int> progress;
  WaitFor(
      [&] {
        auto batch = events.Read(100);
        if (batch.ok()) {
          for (const auto& e : *batch) {
            if (e.name == "progress" && e.job_id == id) {
              progress.push_back(std::stoi(*e.Field("data")));
            }
          }
        }
        return !progress.empty() && progress.back() == 100;
      },
      5000);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  const auto uploads = std::count_if(progress.begin(), progress.end(),
                                     [](int p) { return p > 90 && p < 100; });
  EXPECT_GE(uploads, 3) << "a slow upload shows several steps between 90 and 100";
  worker.Shutdown(std::chrono::milliseconds(1000));
}

TEST_F(WorkerTest, BadDataFailsForGoodWithInvalidTemplate) {
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  const std::string no_template = Add({{"input", json::object()}}, 3);
  const std::string bad_template = Add({{"template", {{"version", 7}, {"tracks", 5}}}}, 3);
  ASSERT_TRUE(WaitState(no_template, queue::JobState::kFailed, 10000));
  ASSERT_TRUE(WaitState(bad_template, queue::JobState::kFailed, 10000));
  for (const auto& id : {no_template, bad_template}) {
    queue::Job job = Get(id);
    EXPECT_EQ(job.error_code, "invalid_template") << id;
    EXPECT_EQ(job.attempts_made, 1) << "not retried: " << id;
  }
  EXPECT_TRUE(StoredFiles().empty());
  EXPECT_TRUE(TempEmpty());
}

TEST_F(WorkerTest, LocalAssetWithoutAssetDirIsAssetUnavailableWithClipPath) {
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  json t = Template(160, 90, 1);
  t["tracks"].push_back({{"type", "image"}, {"clips", {{{"src", "/etc/hostname"}}}}});
  const std::string id = Add({{"template", t}}, 3);
  ASSERT_TRUE(WaitState(id, queue::JobState::kFailed, 15000));
  queue::Job job = Get(id);
  EXPECT_EQ(job.error_code, "asset_unavailable");
  EXPECT_NE(job.failed_reason.find("tracks[2].clips[0]"), std::string::npos) << job.failed_reason;
  EXPECT_EQ(job.attempts_made, 1);
  EXPECT_TRUE(TempEmpty());
}

TEST_F(WorkerTest, CancelOfActiveJobStopsFastAndLeavesNothing) {
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  const std::string id = Add({{"template", Template(1280, 720, 300)}}, 3);
  queue::Producer producer(redis(), queue_name());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto job = producer.GetJob(id);
        return job.ok() && job->progress.is_number() && job->progress.get<int>() > 30;
      },
      20000));
  auto cancelled = producer.Cancel(id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, queue::CancelOutcome::kCancelRequested);
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitState(id, queue::JobState::kFailed, 5000));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(1000));
  queue::Job job = Get(id);
  EXPECT_EQ(job.failed_reason, "cancelled");
  EXPECT_TRUE(job.cancelled());
  EXPECT_EQ(job.attempts_made, 1) << "never retried";
  EXPECT_TRUE(StoredFiles().empty());
  EXPECT_TRUE(WaitFor([&] { return TempEmpty(); }, 2000));
}

TEST_F(WorkerTest, JobTimeoutFailsWithTimeout) {
  config_.job_timeout_ms = 300;
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  const std::string id = Add({{"template", Template(1280, 720, 300)}}, 1);
  ASSERT_TRUE(WaitState(id, queue::JobState::kFailed, 10000));
  queue::Job job = Get(id);
  EXPECT_EQ(job.error_code, "timeout");
  EXPECT_NE(job.failed_reason.find("JOB_TIMEOUT_MS"), std::string::npos);
  EXPECT_TRUE(TempEmpty());
}

TEST_F(WorkerTest, ShutdownHandsARunningJobBackAfterTheGrace) {
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  const std::string id = Add({{"template", Template(1280, 720, 300)}}, 3);
  ASSERT_TRUE(WaitState(id, queue::JobState::kActive, 10000));
  const auto start = std::chrono::steady_clock::now();
  worker->Shutdown(std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::milliseconds(3000));
  queue::Job job = Get(id);
  EXPECT_EQ(job.state, queue::JobState::kWaiting);
  EXPECT_EQ(job.failed_reason, "");
  EXPECT_TRUE(TempEmpty());
  EXPECT_TRUE(StoredFiles().empty());
}

TEST_F(WorkerTest, ShutdownGraceLongerThanTheJobLockKeepsTheJobsLock) {
  config_.job_lock_ms = 1000;  // the grace outlasts the lock: it must be renewed meanwhile
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  const std::string id = Add({{"template", Template(1280, 720, 300)}}, 3);
  ASSERT_TRUE(WaitState(id, queue::JobState::kActive, 10000));
  const auto start = std::chrono::steady_clock::now();
  worker->Shutdown(std::chrono::milliseconds(2500));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(2400));
  EXPECT_LT(took, std::chrono::milliseconds(4000));
  queue::Job job = Get(id);
  // Handed back by its own worker: with an expired lock the hand-back would be refused and
  // the job left active for a stall check.
  EXPECT_EQ(job.state, queue::JobState::kWaiting);
  EXPECT_EQ(job.stalled_count, 0);
}

TEST_F(WorkerTest, ShutdownLetsAShortJobFinishWithinTheGrace) {
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  const std::string id = Add({{"template", Template(160, 90, 2)}}, 3);
  ASSERT_TRUE(WaitState(id, queue::JobState::kActive, 10000));
  worker->Shutdown(std::chrono::milliseconds(20000));
  EXPECT_EQ(Get(id).state, queue::JobState::kCompleted);
}

TEST_F(WorkerTest, FinalOutcomesQueueWebhooksWithTheSameData) {
  notify::WebhookQueue webhooks(redis(), queue_name());
  auto worker = MakeWorker(&webhooks);
  ASSERT_TRUE(worker->Start().ok());
  const std::string ok = Add({{"template", Template(160, 90, 1)},
                              {"webhookUrl", "http://127.0.0.1:9/hook"},
                              {"metadata", {{"orderId", "A-17"}}}});
  const std::string bad = Add({{"input", 1}, {"webhookUrl", "http://127.0.0.1:9/hook"}}, 3);
  const std::string quiet = Add({{"template", Template(160, 90, 1)}});  // no webhookUrl
  ASSERT_TRUE(WaitState(ok, queue::JobState::kCompleted, 15000));
  ASSERT_TRUE(WaitState(bad, queue::JobState::kFailed, 15000));
  ASSERT_TRUE(WaitState(quiet, queue::JobState::kCompleted, 15000));
  queue::Producer deliveries(redis(), notify::WebhookQueueName(queue_name()));
  auto waiting = deliveries.ListJobs(queue::JobState::kWaiting, 0, 10);
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 2u);
  std::set<std::string> job_ids;
  std::string all;
  for (const auto& d : *waiting) {
    job_ids.insert(d.data.value("jobId", ""));
    all += d.data.dump();
  }
  EXPECT_EQ(job_ids, (std::set<std::string>{ok, bad}));
  EXPECT_NE(all.find("video.completed"), std::string::npos) << all;
  EXPECT_NE(all.find("video.failed"), std::string::npos) << all;
  EXPECT_NE(all.find("A-17"), std::string::npos) << all;
  EXPECT_NE(all.find("videos/" + ok + ".mp4"), std::string::npos) << all;
}

// The webhook deliveries queued so far (waiting: no delivery worker runs in these tests).
std::vector<queue::Job> Deliveries(const queue::RedisOptions& redis, const queue::QueueName& q) {
  queue::Producer deliveries(redis, notify::WebhookQueueName(q));
  auto waiting = deliveries.ListJobs(queue::JobState::kWaiting, 0, 100);
  EXPECT_TRUE(waiting.ok());
  return waiting.ok() ? *waiting : std::vector<queue::Job>{};
}

TEST_F(WorkerTest, FinishRefusedForALostLockQueuesNoWebhook) {
  config_.job_timeout_ms = 800;  // the attempt ends (timeout, final) while the lock is gone
  config_.job_lock_ms = 60000;   // renewed every 15 s: the render never hears of the loss
  notify::WebhookQueue webhooks(redis(), queue_name());
  auto worker = MakeWorker(&webhooks);
  ASSERT_TRUE(worker->Start().ok());
  const std::string id =
      Add({{"template", Template(1280, 720, 300)}, {"webhookUrl", "http://127.0.0.1:9/hook"}}, 1);
  ASSERT_TRUE(WaitState(id, queue::JobState::kActive, 10000));
  // Another worker took the job over (our lock expired and it was fetched again).
  vg::testing::RedisClient client(server_->host(), server_->port());
  client.Command({"SET", queue::QueueKeys(queue_name()).Job(id) + ":lock", "thief", "PX", "60000"});
  ASSERT_TRUE(WaitFor([&] { return worker->stats().lost_locks == 1; }, 10000));
  EXPECT_EQ(worker->stats().failed, 0);
  EXPECT_NE(
      metrics_.RenderPrometheus().find("vidgen_job_duration_seconds_count{outcome=\"failed\"} 1"),
      std::string::npos)
      << "the render ended as a final failure (timeout), unaware of the lost lock";
  EXPECT_EQ(Get(id).state, queue::JobState::kActive) << "the thief still holds it";
  EXPECT_TRUE(Deliveries(redis(), queue_name()).empty())
      << "the queue refused our finish: the job's outcome is not ours to announce";
}

TEST_F(WorkerTest, JobStalledTooOftenGetsExactlyOneFailedWebhook) {
  notify::WebhookQueue webhooks(redis(), queue_name());
  const std::string id = Add({{"template", Template(160, 90, 1)},
                              {"webhookUrl", "http://127.0.0.1:9/hook"},
                              {"metadata", {{"orderId", "S-1"}}}},
                             3);
  // A worker took it and died, for the second time: active, a lock that expires, stalled once.
  const queue::QueueKeys keys(queue_name());
  vg::testing::RedisClient client(server_->host(), server_->port());
  client.Command({"RPOPLPUSH", keys.Key("wait"), keys.Key("active")});
  client.Command({"SET", keys.Job(id) + ":lock", "dead-token", "PX", "300"});
  client.Command({"HSET", keys.Job(id), "stc", "1"});
  // Two live workers: each runs stalled checks and may fetch the job; one webhook in all.
  auto a = MakeWorker(&webhooks);
  auto b = MakeWorker(&webhooks);
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(b->Start().ok());
  ASSERT_TRUE(WaitState(id, queue::JobState::kFailed, 15000));
  queue::Job job = Get(id);
  EXPECT_EQ(job.failed_reason, "job stalled more than allowable limit");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // room for a second one
  a->Shutdown(std::chrono::milliseconds(0));
  b->Shutdown(std::chrono::milliseconds(0));
  EXPECT_EQ(a->stats().completed + b->stats().completed, 0) << "never rendered";
  auto deliveries = Deliveries(redis(), queue_name());
  ASSERT_EQ(deliveries.size(), 1u);
  const json& d = deliveries[0].data;
  EXPECT_EQ(d.value("jobId", ""), id) << d.dump();
  const std::string all = d.dump();
  EXPECT_NE(all.find("video.failed"), std::string::npos) << all;
  EXPECT_NE(all.find("job stalled more than allowable limit"), std::string::npos) << all;
  EXPECT_NE(all.find("S-1"), std::string::npos) << all;
}

TEST_F(WorkerTest, JobsEndedWithoutARenderStillGetTheirWebhook) {
  notify::WebhookQueue webhooks(redis(), queue_name());
  const queue::QueueKeys keys(queue_name());
  vg::testing::RedisClient client(server_->host(), server_->port());
  // Cancelled while a worker that then died had it: the next fetch ends it as cancelled.
  const std::string cancelled =
      Add({{"template", Template(160, 90, 1)}, {"webhookUrl", "http://127.0.0.1:9/hook"}}, 3);
  client.Command({"RPOPLPUSH", keys.Key("wait"), keys.Key("active")});
  client.Command({"SET", keys.Lock(cancelled), "dead-token", "PX", "300"});
  client.Command({"SET", keys.Cancel(cancelled), "1", "PX", "60000"});
  client.Command({"HSET", keys.Job(cancelled), "cancelRequestedAt", "1"});
  // Options that are not JSON: failed at fetch, never rendered.
  const std::string malformed =
      Add({{"template", Template(160, 90, 1)}, {"webhookUrl", "http://127.0.0.1:9/hook"}}, 3);
  client.Command({"HSET", keys.Job(malformed), "opts", "{not json"});
  auto worker = MakeWorker(&webhooks);
  ASSERT_TRUE(worker->Start().ok());
  ASSERT_TRUE(WaitState(malformed, queue::JobState::kFailed, 10000));
  ASSERT_TRUE(WaitState(cancelled, queue::JobState::kFailed, 15000));
  EXPECT_TRUE(Get(cancelled).cancelled());
  worker->Shutdown(std::chrono::milliseconds(0));
  EXPECT_EQ(worker->stats().completed, 0);
  std::map<std::string, json> by_job;
  for (const auto& d : Deliveries(redis(), queue_name())) {
    EXPECT_EQ(by_job.count(d.data.value("jobId", "")), 0u) << "one webhook per job";
    by_job[d.data.value("jobId", "")] = d.data;
  }
  ASSERT_EQ(by_job.size(), 2u);
  EXPECT_NE(by_job[malformed].dump().find("video.failed"), std::string::npos)
      << by_job[malformed].dump();
  EXPECT_NE(by_job[malformed].dump().find("invalid_argument"), std::string::npos)
      << by_job[malformed].dump();
  EXPECT_NE(by_job[cancelled].dump().find("video.cancelled"), std::string::npos)
      << by_job[cancelled].dump();
}

TEST_F(WorkerTest, LiveWorkersAreCountedAcrossProcessesSharingTheRedis) {
  config_.worker_concurrency = 3;  // several connections per worker, counted once
  auto count = [&] { return queue::CountLiveWorkers(redis(), queue_name()); };
  ASSERT_TRUE(count().ok());
  EXPECT_EQ(*count(), 0);
  auto a = MakeWorker();
  tuning_.worker_name = "second";
  auto b = MakeWorker();
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(b->Start().ok());
  EXPECT_TRUE(WaitFor([&] { return count().ok() && *count() == 2; }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(*count(), 2);
  // The /metrics gauge is that fleet-wide count (refreshed at most once a second).
  EXPECT_TRUE(WaitFor(
      [&] {
        return metrics_.RenderPrometheus().find("\nvidgen_workers_live 2\n") != std::string::npos;
      },
      5000))
      << metrics_.RenderPrometheus();
  // Another queue's workers are not ours.
  EXPECT_EQ(*queue::CountLiveWorkers(redis(), {config_.queue_prefix, config_.queue_name + "x"}), 0);
  b->Shutdown(std::chrono::milliseconds(0));
  EXPECT_TRUE(WaitFor([&] { return count().ok() && *count() == 1; }, 5000));
  EXPECT_TRUE(WaitFor(
      [&] {
        return metrics_.RenderPrometheus().find("\nvidgen_workers_live 1\n") != std::string::npos;
      },
      5000))
      << metrics_.RenderPrometheus();
  a->Shutdown(std::chrono::milliseconds(0));
  EXPECT_TRUE(WaitFor([&] { return count().ok() && *count() == 0; }, 5000));
}

TEST_F(WorkerTest, LiveWorkersIsQueueUnavailableWithoutRedis) {
  queue::RedisOptions nowhere = redis();
  nowhere.port = vg::testing::FreeLoopbackPort();
  auto count = queue::CountLiveWorkers(nowhere, queue_name());
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.error().code(), ErrorCode::kQueueUnavailable);
}

TEST_F(WorkerTest, AssetHttp5xxIsRetriedAnd404IsNot) {
  net::testing::TestHttpServer http([](const net::testing::TestRequest& request) {
    net::testing::TestReply reply;
    reply.status = request.path == "/busy.png" ? 503 : 404;
    reply.body = "no";
    return reply;
  });
  ASSERT_TRUE(http.Start().ok());
  config_.allow_private_urls = true;  // the test server is on loopback
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  auto with_image = [&](const std::string& url) {
    json t = Template(160, 90, 1);
    t["tracks"].push_back({{"type", "image"}, {"clips", {{{"src", url}}}}});
    return json{{"template", t}};
  };
  const std::string busy = Add(with_image(http.Url("/busy.png")), 2);
  const std::string gone = Add(with_image(http.Url("/gone.png")), 2);
  ASSERT_TRUE(WaitState(busy, queue::JobState::kFailed, 15000));
  ASSERT_TRUE(WaitState(gone, queue::JobState::kFailed, 15000));
  EXPECT_EQ(Get(busy).attempts_made, 2) << "a 5xx may pass later: retried";
  EXPECT_EQ(Get(gone).attempts_made, 1) << "a 404 will not: not retried";
  EXPECT_EQ(Get(busy).error_code, "asset_unavailable");
  EXPECT_EQ(Get(gone).error_code, "asset_unavailable");
  EXPECT_EQ(http.hits("/busy.png"), 2);
}

TEST_F(WorkerTest, SweepDeletesStoredObjectsOlderThanTheHistory) {
  const fs::path source = dir_.path() / "object.bin";
  std::ofstream(source) << "bytes";
  ASSERT_TRUE(store_->Put("videos/old.mp4", source.string(), "video/mp4").ok());
  ASSERT_TRUE(store_->Put("videos/new.mp4", source.string(), "video/mp4").ok());
  auto old_path = store_->PathFor("videos/old.mp4");
  ASSERT_TRUE(old_path.ok());
  fs::last_write_time(*old_path, fs::file_time_type::clock::now() - std::chrono::hours(49));
  config_.completed_job_ttl_days = 2;
  tuning_.sweep_interval = std::chrono::milliseconds(50);
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  EXPECT_TRUE(WaitFor([&] { return !store_->Head("videos/old.mp4").ok(); }, 5000));
  EXPECT_TRUE(store_->Head("videos/new.mp4").ok());
}

TEST_F(WorkerTest, ConcurrencyRunsThatManyJobsAtOnce) {
  config_.worker_concurrency = 2;
  auto worker = MakeWorker();
  ASSERT_TRUE(worker->Start().ok());
  const std::string a = Add({{"template", Template(1280, 720, 300)}});
  const std::string b = Add({{"template", Template(1280, 720, 300)}});
  const std::string c = Add({{"template", Template(1280, 720, 300)}});
  EXPECT_TRUE(WaitFor([&] { return worker->active_jobs() == 2; }, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(worker->active_jobs(), 2);
  EXPECT_EQ(Get(c).state, queue::JobState::kWaiting);
  worker->Shutdown(std::chrono::milliseconds(0));
  for (const auto& id : {a, b, c}) EXPECT_EQ(Get(id).state, queue::JobState::kWaiting) << id;
}

}  // namespace
}  // namespace vg::worker

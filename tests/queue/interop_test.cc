// Interop with the real bullmq 6.7.0 and @bull-board/api (tests/node): Node producers feed our
// consumer, our producer feeds a Node Worker, Node's QueueEvents / getJob / getJobCounts and
// Bull Board read what we wrote, and retry timing matches bullmq's on the same settings.
// The Node side is peer.js, run with NODE_PATH=tests/node/node_modules.
#include <filesystem>
#include <mutex>
#include <sstream>

#include "queue/consumer.h"
#include "queue/producer.h"
#include "queue_test_util.h"
#include "support/subprocess.h"

namespace vg::queue::testing {
namespace {

using Json = nlohmann::json;
using vg::testing::Subprocess;

std::vector<Json> JsonLines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

class InteropTest : public RedisSuite {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(std::string(VG_NODE_MODULES) + "/bullmq/package.json"))
        << "The Node test peers are not installed: run `npm ci` in tests/node (scripts/test.sh "
           "does this) so that "
        << VG_NODE_MODULES << " holds bullmq and @bull-board/api.";
  }
  std::map<std::string, std::string> NodeEnv() const {
    return {{"NODE_PATH", VG_NODE_MODULES}, {"REDIS_PORT", std::to_string(server().port())}};
  }
  std::vector<std::string> PeerArgs(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"node", VG_PEER_SCRIPT};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  // Runs peer.js to completion and returns its JSON lines; fails the test on a non-zero exit.
  std::vector<Json> Peer(const std::vector<std::string>& args, int timeout_ms = 20000) {
    auto [code, output] = vg::testing::RunProcess(PeerArgs(args), NodeEnv(), timeout_ms);
    EXPECT_EQ(code, 0) << "node peer.js " << args[0] << " failed:\n" << output;
    return JsonLines(output);
  }
  std::unique_ptr<Subprocess> StartPeer(const std::vector<std::string>& args) {
    return std::make_unique<Subprocess>(PeerArgs(args), NodeEnv());
  }
  ConsumerOptions Options() const {
    ConsumerOptions o;
    o.lock_ms = 2000;
    o.stalled_interval_ms = 1000;
    o.drain_delay_ms = 200;
    o.worker_name = "cpp-interop";
    return o;
  }
};

TEST_F(InteropTest, NodeProducerCppConsumerNodeQueueEventsSeeOurResults) {
  const std::string q = queue().name;
  auto events = StartPeer({"events", q, "5"});
  ASSERT_TRUE(
      WaitFor([&] { return events->output().find("\"ready\"") != std::string::npos; }, 15000))
      << events->output();
  std::vector<Json> added =
      Peer({"add", q,
            Json::array({{{"name", "a"}, {"data", {{"i", 1}}}},
                         {{"name", "lifo"}, {"data", {{"i", 2}}}, {"opts", {{"lifo", true}}}},
                         {{"name", "p"}, {"data", {{"i", 3}}}, {"opts", {{"priority", 3}}}},
                         {{"name", "d"}, {"data", {{"i", 4}}}, {"opts", {{"delay", 500}}}},
                         {{"name", "c"}, {"data", {{"i", 5}}}, {"opts", {{"jobId", "custom-1"}}}}})
                .dump()});
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0]["ids"], Json::array({"1", "2", "3", "4", "custom-1"}));

  Producer producer(redis(), queue());
  Json node_counts = Peer({"counts", q})[0];
  JobCounts ours = *producer.GetCounts();
  EXPECT_EQ(node_counts["waiting"], ours.waiting);
  EXPECT_EQ(node_counts["prioritized"], ours.prioritized);
  EXPECT_EQ(node_counts["delayed"], ours.delayed);
  EXPECT_EQ(ours.waiting, 3);

  std::mutex mutex;
  std::vector<std::string> order;
  Consumer consumer(redis(), queue(), Options(), [&](const Job& job, JobContext& context) {
    {
      std::lock_guard lock(mutex);
      order.push_back(job.name);
    }
    EXPECT_TRUE(context.ReportProgress(42).ok());
    EXPECT_TRUE(context.ReportProgress(Json{{"stage", "encode"}}).ok());
    return JobOutcome::Completed(Json{{"url", "u-" + job.id}, {"i", job.data["i"]}});
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 5; }));
  consumer.Close();
  // BullMQ's order: LIFO first, then FIFO through wait, then prioritized. The delayed job runs
  // once due (whether that is before or after "p" depends on how fast Node added the jobs).
  std::vector<std::string> undelayed;
  std::copy_if(order.begin(), order.end(), std::back_inserter(undelayed),
               [](const std::string& n) { return n != "d"; });
  EXPECT_EQ(undelayed, (std::vector<std::string>{"lifo", "a", "c", "p"}));
  Result<Job> delayed_job = producer.GetJob("4");
  EXPECT_GE(delayed_job->processed_on_ms, delayed_job->timestamp_ms + 500);

  ASSERT_EQ(events->Wait(15000), 0) << events->output();
  std::map<std::string, std::vector<std::string>> per_job;
  int errors = -1;
  for (const Json& e : JsonLines(events->output())) {
    if (e["event"] == "done") errors = e["errors"];
    if (!e.contains("args") || !e["args"].contains("jobId")) continue;
    std::string id = e["args"]["jobId"];
    per_job[id].push_back(e["event"]);
    if (e["event"] == "completed") {
      // QueueEvents parsed our returnvalue as JSON.
      EXPECT_EQ(e["args"]["returnvalue"]["url"], "u-" + id);
    }
    if (e["event"] == "progress" && per_job[id].size() < 5) {
      EXPECT_TRUE(e["args"]["data"] == 42 || e["args"]["data"]["stage"] == "encode");
    }
  }
  EXPECT_EQ(errors, 0);
  for (const char* id : {"1", "2", "3", "4", "custom-1"}) {
    const auto& seen = per_job[id];
    EXPECT_NE(std::find(seen.begin(), seen.end(), "active"), seen.end()) << id;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), "progress"), 2) << id;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), "completed"), 1) << id;
  }

  Json job = Peer({"getjob", q, "1"})[0];
  EXPECT_EQ(job["state"], "completed");
  EXPECT_EQ(job["attemptsMade"], 1);
  EXPECT_EQ(job["attemptsStarted"], 1);
  EXPECT_EQ(job["processedBy"], "cpp-interop");
  EXPECT_EQ(job["returnvalue"]["url"], "u-1");
  EXPECT_EQ(job["progress"]["stage"], "encode");
  EXPECT_EQ(job["data"]["i"], 1);
  node_counts = Peer({"counts", q})[0];
  EXPECT_EQ(node_counts["completed"], 5);
  EXPECT_EQ(node_counts["waiting"], 0);
  EXPECT_EQ(node_counts["active"], 0);
}

TEST_F(InteropTest, CppProducerNodeWorkerKeepsDataAndOptions) {
  const std::string q = queue().name;
  Producer producer(redis(), queue());
  JobOptions plain;
  plain.attempts = 3;
  plain.backoff = {Backoff::Type::kExponential, 5000, 0};
  plain.remove_on_complete = KeepJobs{-1, 86400, 1000};
  JobOptions custom;
  custom.job_id = "render-abc";
  JobOptions prio;
  prio.priority = 2;
  JobOptions delayed;
  delayed.delay_ms = 200;
  Json data = {{"template", {{"width", 1920}, {"clips", Json::array({1, 2})}}}, {"owner", "ab12"}};
  ASSERT_EQ(producer.Add("render", data, plain)->id, "1");
  ASSERT_EQ(producer.Add("render", Json{{"k", "custom"}}, custom)->id, "render-abc");
  ASSERT_EQ(producer.Add("render", Json{{"k", "prio"}}, prio)->id, "3");
  ASSERT_EQ(producer.Add("render", Json{{"k", "delayed"}}, delayed)->id, "4");
  EXPECT_TRUE(producer.Add("render", Json{{"k", "other"}}, custom)->duplicated);

  Json counts = Peer({"counts", q})[0];
  EXPECT_EQ(counts["waiting"], 2);
  EXPECT_EQ(counts["prioritized"], 1);
  EXPECT_EQ(counts["delayed"], 1);

  std::vector<Json> seen = Peer({"worker", q, "4"});
  std::map<std::string, Json> by_id;
  for (const Json& e : seen) {
    if (e["event"] == "process") {
      EXPECT_EQ(by_id.count(e["id"]), 0u) << "processed twice: " << e["id"];
      by_id[e["id"]] = e;
    }
  }
  ASSERT_EQ(by_id.size(), 4u);
  EXPECT_EQ(by_id["1"]["data"], data);
  EXPECT_EQ(by_id["1"]["opts"]["attempts"], 3);
  EXPECT_EQ(by_id["1"]["opts"]["backoff"], (Json{{"type", "exponential"}, {"delay", 5000}}));
  EXPECT_EQ(by_id["1"]["opts"]["removeOnComplete"], (Json{{"age", 86400}}));
  EXPECT_EQ(by_id["1"]["name"], "render");
  EXPECT_EQ(by_id["render-abc"]["data"]["k"], "custom");
  EXPECT_EQ(by_id["3"]["priority"], 2);
  EXPECT_EQ(by_id["4"]["opts"]["delay"], 200);
  EXPECT_GE(by_id["4"]["at"].get<int64_t>(), by_id["4"]["timestamp"].get<int64_t>() + 200);
  EXPECT_EQ(by_id["1"]["timestamp"], producer.GetJob("1")->timestamp_ms);

  for (const char* id : {"1", "render-abc", "3", "4"}) {
    Result<Job> job = producer.GetJob(id);
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->state, JobState::kCompleted) << id;
    EXPECT_EQ(job->returnvalue["by"], "node") << id;
    EXPECT_EQ(job->attempts_made, 1) << id;
  }
  counts = Peer({"counts", q})[0];
  EXPECT_EQ(counts["completed"], 4);
  EXPECT_EQ(producer.GetCounts()->completed, 4);
}

TEST_F(InteropTest, RetryBackoffTimingMatchesBullMq) {
  // Same settings on both sides: attempts 3, fixed backoff 300 ms, fail twice then succeed.
  JobOptions options;
  options.attempts = 3;
  options.backoff = {Backoff::Type::kFixed, 300, 0};
  QueueName node_queue{"bull", queue().name + "-node"};
  Producer node_producer(redis(), node_queue);
  ASSERT_TRUE(node_producer.Add("flaky", Json::object(), options).ok());
  std::vector<int64_t> node_starts;
  for (const Json& e : Peer({"worker", node_queue.name, "1", "3"})) {
    if (e["event"] == "process") node_starts.push_back(e["at"]);
  }
  ASSERT_EQ(node_starts.size(), 3u);

  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("flaky", Json::object(), options).ok());
  std::vector<int64_t> starts;
  std::mutex mutex;
  Consumer consumer(redis(), queue(), Options(), [&](const Job& job, JobContext&) {
    std::lock_guard lock(mutex);
    starts.push_back(NowMs());
    if (job.attempts_made < 2) return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "x"));
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 1; }));
  consumer.Close();
  ASSERT_EQ(starts.size(), 3u);
  for (int i = 1; i < 3; ++i) {
    int64_t ours = starts[i] - starts[i - 1];
    int64_t theirs = node_starts[i] - node_starts[i - 1];
    EXPECT_GE(ours, 300);
    EXPECT_GE(theirs, 300);
    EXPECT_LT(std::abs(ours - theirs), 250) << "ours " << ours << " ms, bullmq " << theirs << " ms";
  }
  EXPECT_EQ(producer.GetJob("1")->attempts_made, 3);
  EXPECT_EQ(node_producer.GetJob("1")->attempts_made, 3);
  EXPECT_EQ(node_producer.GetJob("1")->stacktrace.size(), 2u);
}

TEST_F(InteropTest, BullBoardListsOurJobsInTheirStates) {
  const std::string q = queue().name;
  Producer producer(redis(), queue());
  std::atomic<bool> release{false};
  std::atomic<bool> holding{false};
  Consumer consumer(redis(), queue(), Options(), [&](const Job& job, JobContext& context) {
    if (job.name == "bad")
      return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "encoder exploded"));
    if (job.name == "hold") {
      EXPECT_TRUE(context.ReportProgress(10).ok());
      EXPECT_TRUE(context.Log("fetching assets").ok());
      holding = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return JobOutcome::Completed();
    }
    EXPECT_TRUE(context.ReportProgress(100).ok());
    return JobOutcome::Completed(Json{{"sizeBytes", 123}});
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_EQ(producer.Add("done", Json{{"n", 1}})->id, "1");
  ASSERT_EQ(producer.Add("bad", Json{{"n", 2}})->id, "2");
  ASSERT_TRUE(
      WaitFor([&] { return consumer.stats().completed == 1 && consumer.stats().failed == 1; }));
  ASSERT_EQ(producer.Add("hold", Json{{"n", 3}})->id, "3");
  ASSERT_TRUE(WaitFor([&] { return holding.load(); }));
  JobOptions delayed, prio;
  delayed.delay_ms = 60000;
  prio.priority = 4;
  ASSERT_EQ(producer.Add("w", Json{{"n", 4}})->id, "4");
  ASSERT_EQ(producer.Add("d", Json{{"n", 5}}, delayed)->id, "5");
  ASSERT_EQ(producer.Add("p", Json{{"n", 6}}, prio)->id, "6");

  std::vector<Json> board = Peer({"board", q, "latest", "3"});
  release = true;
  ASSERT_EQ(board.size(), 3u);
  const Json& queue_json = board[0]["queues"][0];
  EXPECT_EQ(queue_json["name"], q);
  EXPECT_EQ(queue_json["counts"]["active"], 1);
  EXPECT_EQ(queue_json["counts"]["waiting"], 1);
  EXPECT_EQ(queue_json["counts"]["prioritized"], 1);
  EXPECT_EQ(queue_json["counts"]["delayed"], 1);
  EXPECT_EQ(queue_json["counts"]["completed"], 1);
  EXPECT_EQ(queue_json["counts"]["failed"], 1);
  EXPECT_EQ(queue_json["hasWorkers"], true);
  EXPECT_EQ(queue_json["isPaused"], false);
  std::map<std::string, Json> jobs;
  for (const Json& j : queue_json["jobs"]) jobs[j["id"]] = j;
  ASSERT_EQ(jobs.size(), 6u);
  EXPECT_EQ(jobs["1"]["progress"], 100);
  EXPECT_EQ(jobs["1"]["returnValue"]["sizeBytes"], 123);
  EXPECT_EQ(jobs["1"]["attempts"], 1);
  EXPECT_EQ(jobs["1"]["processedBy"], "cpp-interop");
  EXPECT_EQ(jobs["2"]["failedReason"], "encoder exploded");
  EXPECT_EQ(jobs["2"]["isFailed"], true);
  EXPECT_EQ(jobs["2"]["stacktrace"].size(), 1u);
  EXPECT_EQ(jobs["3"]["progress"], 10);
  EXPECT_EQ(jobs["5"]["delay"], 60000);
  EXPECT_EQ(jobs["6"]["priority"], 4);
  EXPECT_EQ(board[1]["detail"]["status"], "active");
  EXPECT_EQ(board[2]["logs"], Json::array({"fetching assets"}));

  // Node's waitUntilFinished resolves for our completed job and rejects for our failed one.
  Json finished = Peer({"waitfinished", q, "1"})[0];
  EXPECT_EQ(finished["result"]["sizeBytes"], 123);
  Json rejected = Peer({"waitfinished", q, "2"})[0];
  EXPECT_EQ(rejected["rejected"], "encoder exploded");
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed >= 2; }));
  consumer.Close();
}

TEST_F(InteropTest, NodeQueueEventsSeeOurFailuresRetriesAndDelays) {
  const std::string q = queue().name;
  auto events = StartPeer({"events", q, "2"});
  ASSERT_TRUE(
      WaitFor([&] { return events->output().find("\"ready\"") != std::string::npos; }, 15000))
      << events->output();
  Producer producer(redis(), queue());
  JobOptions flaky;
  flaky.attempts = 2;
  flaky.backoff = {Backoff::Type::kFixed, 100, 0};
  JobOptions later;
  later.delay_ms = 200;
  ASSERT_EQ(producer.Add("flaky", Json::object(), flaky)->id, "1");
  ASSERT_EQ(producer.Add("later", Json::object(), later)->id, "2");
  Consumer consumer(redis(), queue(), Options(), [&](const Job& job, JobContext&) {
    if (job.name == "flaky") return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "no luck"));
    return JobOutcome::Completed("plain string");  // must reach Node as a JSON string
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_EQ(events->Wait(15000), 0) << events->output();
  consumer.Close();
  std::vector<Json> seen = JsonLines(events->output());
  auto find = [&](const std::string& name, const std::string& id) -> Json {
    for (const Json& e : seen) {
      if (e["event"] == name && e.contains("args") && e["args"].value("jobId", "") == id) {
        return e["args"];
      }
    }
    return nullptr;
  };
  Json delayed_retry = find("delayed", "1");
  ASSERT_FALSE(delayed_retry.is_null());
  // QueueEvents turns `delay` into a Number: the absolute due time in ms.
  EXPECT_GT(delayed_retry["delay"].get<int64_t>(), NowMs() - 10000);
  EXPECT_EQ(find("failed", "1")["failedReason"], "no luck");
  Json exhausted = find("retries-exhausted", "1");
  EXPECT_TRUE(exhausted["attemptsMade"] == "2" || exhausted["attemptsMade"] == 2) << exhausted;
  EXPECT_EQ(find("waiting", "2").is_null(), false);
  bool promoted = false;
  for (const Json& e : seen) {
    promoted |= e["event"] == "waiting" && e["args"].value("jobId", "") == "2" &&
                e["args"].value("prev", "") == "delayed";
  }
  EXPECT_TRUE(promoted);
  EXPECT_EQ(find("completed", "2")["returnvalue"], "plain string");
  Json done = seen.back();
  EXPECT_EQ(done["event"], "done");
  EXPECT_EQ(done["errors"], 0);
}

TEST_F(InteropTest, NodeActionsOnOurJobsAreHonoured) {
  const std::string q = queue().name;
  Producer producer(redis(), queue());
  std::atomic<int> runs_of_1{0};
  Consumer consumer(redis(), queue(), Options(), [&](const Job& job, JobContext&) {
    if (job.id == "1" && ++runs_of_1 == 1) {
      return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "first try fails"));
    }
    return JobOutcome::Completed(Json{{"id", job.id}});
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_EQ(producer.Add("a", Json::object())->id, "1");
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().failed == 1; }));
  // Node (Bull Board's retry button) retries our failed job; our consumer runs it again.
  Peer({"action", q, "retry", "1"});
  ASSERT_TRUE(WaitFor([&] { return producer.GetJob("1")->state == JobState::kCompleted; }));
  EXPECT_EQ(runs_of_1, 2);
  // Node promotes a delayed job; our consumer takes it at once.
  JobOptions later;
  later.delay_ms = 60000;
  ASSERT_EQ(producer.Add("d", Json::object(), later)->id, "2");
  Peer({"action", q, "promote", "2"});
  ASSERT_TRUE(WaitFor([&] { return producer.GetJob("2")->state == JobState::kCompleted; }, 5000));
  // Node pauses: jobs wait; Node resumes: our consumer wakes up and runs them.
  Peer({"action", q, "pause"});
  ASSERT_EQ(producer.Add("p", Json::object())->id, "3");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(producer.GetJob("3")->state, JobState::kWaiting);
  Peer({"action", q, "resume"});
  ASSERT_TRUE(WaitFor([&] { return producer.GetJob("3")->state == JobState::kCompleted; }, 5000));
  // Node removes a waiting job of ours.
  ASSERT_TRUE(producer.Pause().ok());
  ASSERT_EQ(producer.Add("r", Json::object())->id, "4");
  Peer({"action", q, "remove", "4"});
  EXPECT_EQ(producer.GetJob("4").error().code(), ErrorCode::kNotFound);
  consumer.Close();
}

TEST_F(InteropTest, MixedFleetSoakRunsEveryJobExactlyOnce) {
  // One Node Worker and two of our consumers on one queue; every 20th job fails its first
  // attempt and is retried (by whichever worker takes it next).
  const std::string q = queue().name;
  constexpr int kJobs = 3000;
  Producer producer(redis(), queue());
  std::vector<NewJob> jobs;
  for (int i = 0; i < kJobs; ++i) {
    NewJob job{"soak", Json{{"i", i}}, {}};
    job.options.attempts = 2;
    jobs.push_back(job);
  }
  std::mutex mutex;
  std::map<std::string, int> ours;
  auto handler = [&](const Job& job, JobContext&) {
    if (std::stoi(job.id) % 20 == 0 && job.attempts_made == 0) {
      return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "soak failure"));
    }
    std::lock_guard lock(mutex);
    ++ours[job.id];
    return JobOutcome::Completed(Json{{"by", "cpp"}});
  };
  ConsumerOptions options = Options();
  options.concurrency = 2;
  auto node = StartPeer({"soak", q, std::to_string(kJobs), "4"});
  ASSERT_TRUE(WaitFor([&] { return node->output().find("\"ready\"") != std::string::npos; }, 15000))
      << node->output();
  Consumer a(redis(), queue(), options, handler);
  Consumer b(redis(), queue(), options, handler);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(producer.AddBulk(jobs).ok());
  ASSERT_EQ(node->Wait(60000), 0) << node->output();
  a.Close();
  b.Close();
  std::map<std::string, int> runs = ours;
  int node_runs = 0;
  for (const Json& e : JsonLines(node->output())) {
    if (e["event"] == "ok") {
      ++runs[e["id"].get<std::string>()];
      ++node_runs;
    }
  }
  EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));
  int duplicates = 0;
  for (const auto& [id, n] : runs) duplicates += n - 1;
  EXPECT_EQ(duplicates, 0);
  EXPECT_GT(node_runs, 0);
  EXPECT_GT(static_cast<int>(ours.size()), 0);
  JobCounts counts = *producer.GetCounts();
  EXPECT_EQ(counts.completed, kJobs);
  EXPECT_EQ(counts.failed, 0);
  EXPECT_EQ(counts.waiting + counts.active + counts.delayed + counts.prioritized, 0);
  EXPECT_EQ(client().Int({"SCARD", Key("stalled")}), 0);
}

}  // namespace
}  // namespace vg::queue::testing

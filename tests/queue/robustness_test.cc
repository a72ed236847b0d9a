// Failure tests: a consumer process killed with SIGKILL mid-job (ours and a Node one), the
// rate limit across two consumer processes, and redis-server restarts (graceful SHUTDOWN and
// kill -9, AOF with appendfsync always) while jobs wait and run: nothing accepted is lost and
// consumers reconnect by themselves.
#include <signal.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "queue/consumer.h"
#include "queue/events.h"
#include "queue/producer.h"
#include "queue_test_util.h"
#include "support/subprocess.h"

namespace vg::queue::testing {
namespace {

using Json = nlohmann::json;
using vg::testing::Subprocess;

class RobustnessTest : public RedisSuite {
 protected:
  std::unique_ptr<Subprocess> StartWorker(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {VG_TEST_WORKER, "--port", std::to_string(server().port()),
                                     "--queue", queue().name};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto worker = std::make_unique<Subprocess>(argv);
    EXPECT_TRUE(WaitFor([&] { return worker->output().find("ready") != std::string::npos; }))
        << worker->output();
    return worker;
  }
  ConsumerOptions Options() const {
    ConsumerOptions o;
    o.lock_ms = 1000;
    o.stalled_interval_ms = 500;
    o.drain_delay_ms = 200;
    o.worker_name = "rescuer";
    return o;
  }
  int64_t CompletedEvents(const std::string& id) {
    int64_t n = 0;
    auto entries = client().Command({"XRANGE", Key("events"), "-", "+"});
    for (const auto& e : entries.elements) {
      const auto& kv = e.elements[1].elements;
      if (kv.size() >= 4 && kv[1].text == "completed" && kv[3].text == id) ++n;
    }
    return n;
  }
};

TEST_F(RobustnessTest, KilledConsumerProcessJobIsRecoveredAndCompletesOnce) {
  Producer producer(redis(), queue());
  auto worker = StartWorker({"--sleep-ms", "5000", "--lock-ms", "1000", "--stalled-ms", "500"});
  ASSERT_TRUE(producer.Add("render", Json{{"n", 1}}).ok());
  ASSERT_TRUE(WaitFor([&] { return worker->output().find("start 1 ") != std::string::npos; }));
  worker->Kill(SIGKILL);
  ASSERT_EQ(worker->Wait(5000), 128 + SIGKILL);
  EXPECT_EQ(producer.GetJob("1")->state, JobState::kActive);

  std::atomic<int> runs{0};
  Consumer rescuer(redis(), queue(), Options(), [&](const Job& job, JobContext&) {
    ++runs;
    EXPECT_EQ(job.stalled_count, 1);
    return JobOutcome::Completed(Json{{"rescued", true}});
  });
  int64_t start = NowMs();
  ASSERT_TRUE(rescuer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return rescuer.stats().completed == 1; }, 10000));
  int64_t took = NowMs() - start;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // one more stalled interval
  rescuer.Close();
  EXPECT_EQ(runs, 1);
  EXPECT_LT(took, 5000);
  EXPECT_EQ(worker->output().find("done 1"), std::string::npos);
  Result<Job> job = producer.GetJob("1");
  EXPECT_EQ(job->state, JobState::kCompleted);
  EXPECT_EQ(job->returnvalue["rescued"], true);
  EXPECT_EQ(job->attempts_started, 2);
  EXPECT_EQ(CompletedEvents("1"), 1);
  EXPECT_EQ(client().Int({"LLEN", Key("active")}), 0);
  EXPECT_EQ(client().Int({"LLEN", Key("wait")}), 0);
}

TEST_F(RobustnessTest, KilledNodeWorkersJobIsRecoveredByOurConsumer) {
  ASSERT_TRUE(std::filesystem::exists(std::string(VG_NODE_MODULES) + "/bullmq/package.json"))
      << "Run `npm ci` in tests/node: " << VG_NODE_MODULES << " is missing bullmq.";
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("render", Json{{"n", 1}}).ok());
  Subprocess node(
      {"node", VG_PEER_SCRIPT, "hang", queue().name, "1000"},
      {{"NODE_PATH", VG_NODE_MODULES}, {"REDIS_PORT", std::to_string(server().port())}});
  ASSERT_TRUE(
      WaitFor([&] { return node.output().find("\"process\"") != std::string::npos; }, 15000))
      << node.output();
  node.Kill(SIGKILL);
  node.Wait(5000);
  std::atomic<int> runs{0};
  Consumer rescuer(redis(), queue(), Options(), [&](const Job&, JobContext&) {
    ++runs;
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(rescuer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return rescuer.stats().completed == 1; }, 10000));
  rescuer.Close();
  EXPECT_EQ(runs, 1);
  Result<Job> job = producer.GetJob("1");
  EXPECT_EQ(job->state, JobState::kCompleted);
  EXPECT_EQ(job->stalled_count, 1);
  EXPECT_EQ(job->processed_by, "rescuer");
}

TEST_F(RobustnessTest, RateLimitHoldsAcrossTwoConsumerProcesses) {
  Producer producer(redis(), queue());
  std::vector<NewJob> jobs(6, NewJob{"r", Json::object(), {}});
  ASSERT_TRUE(producer.AddBulk(jobs).ok());
  std::vector<std::string> args = {"--concurrency", "2", "--rate-max", "2", "--rate-ms", "1000"};
  auto a = StartWorker(args);
  auto b = StartWorker(args);
  ASSERT_TRUE(WaitFor([&] { return producer.GetCounts()->completed == 6; }, 15000));
  a->Kill(SIGTERM);
  b->Kill(SIGTERM);
  EXPECT_EQ(a->Wait(5000), 0);
  EXPECT_EQ(b->Wait(5000), 0);
  std::vector<int64_t> starts;
  for (int id = 1; id <= 6; ++id)
    starts.push_back(producer.GetJob(std::to_string(id))->processed_on_ms);
  std::sort(starts.begin(), starts.end());
  // At most 2 starts per 1000 ms window, whichever process fetched.
  EXPECT_GE(starts[2] - starts[0], 900);
  EXPECT_GE(starts[4] - starts[2], 900);
  EXPECT_GE(starts[4] - starts[0], 1900);
}

TEST_F(RobustnessTest, RedisRestartsLoseNothingAndConsumersReconnect) {
  Producer producer(redis(), queue());
  std::mutex mutex;
  std::map<std::string, int> runs;
  ConsumerOptions options = Options();
  options.concurrency = 2;
  options.lock_ms = 8000;
  options.stalled_interval_ms = 1000;
  Consumer consumer(redis(), queue(), options, [&](const Job& job, JobContext&) {
    {
      std::lock_guard lock(mutex);
      ++runs[job.id];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  std::set<std::string> accepted;
  auto add_batch = [&](int n) {
    for (int i = 0; i < n; ++i) {
      // A client retries an add that failed while Redis was away; a custom id keeps it
      // idempotent if the failed attempt did land.
      JobOptions o;
      o.job_id = "job-" + std::to_string(accepted.size());
      Result<AddResult> r = producer.Add("r", Json::object(), o);
      for (int attempt = 0; !r.ok() && attempt < 100; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        r = producer.Add("r", Json::object(), o);
      }
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      accepted.insert(r->id);
    }
  };
  auto completed = [&] {
    Result<JobCounts> c = producer.GetCounts();
    return c.ok() ? c->completed : -1;
  };
  add_batch(20);
  ASSERT_TRUE(WaitFor([&] { return completed() >= 3; }));
  server().Shutdown();  // graceful, with jobs waiting and active
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server().Restart();
  add_batch(10);
  ASSERT_TRUE(WaitFor([&] { return completed() >= 25; }, 20000));
  server().Kill();  // kill -9
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server().Restart();
  add_batch(10);
  ASSERT_TRUE(WaitFor([&] { return completed() == 40; }, 30000)) << completed();
  consumer.Close();
  std::set<std::string> done;
  for (const auto& e : client().Command({"ZRANGE", Key("completed"), "0", "-1"}).elements) {
    done.insert(e.text);
  }
  EXPECT_EQ(done, accepted);
  int duplicates = 0;
  for (const auto& [id, n] : runs) duplicates += n - 1;
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(client().Int({"LLEN", Key("active")}), 0);
}

TEST_F(RobustnessTest, EventsReaderResumesAfterARestart) {
  Producer producer(redis(), queue());
  EventsReader reader(redis(), queue());
  ASSERT_TRUE(reader.Open().ok());
  ASSERT_TRUE(producer.Add("before", Json::object()).ok());
  auto saw_added = [&](const std::string& id) {
    return WaitFor(
        [&] {
          Result<std::vector<QueueEvent>> events = reader.Read(100);
          if (!events.ok()) return false;  // Redis away: the next Read reconnects
          for (const auto& e : *events) {
            if (e.name == "added" && e.job_id == id) return true;
          }
          return false;
        },
        15000);
  };
  ASSERT_TRUE(saw_added("1"));
  server().Kill();
  server().Restart();
  Result<AddResult> added = producer.Add("after", Json::object());
  for (int i = 0; !added.ok() && i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    added = producer.Add("after", Json::object());
  }
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE(saw_added(added->id));
}

}  // namespace
}  // namespace vg::queue::testing

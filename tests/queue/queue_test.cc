// Black-box tests of the queue against a real redis-server: BullMQ's layout as stored (hash
// fields, lists, sorted sets, markers, events), processing order, retries and backoff,
// cancel, retry of failed jobs, retention, locks, stalled recovery, rate limit, events reader.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "queue/consumer.h"
#include "queue/events.h"
#include "queue/owner_index.h"
#include "queue/producer.h"
#include "queue_test_util.h"

namespace vg::queue::testing {
namespace {

using Json = nlohmann::json;

ConsumerOptions FastOptions() {
  ConsumerOptions o;
  o.lock_ms = 2000;
  o.stalled_interval_ms = 1000;
  o.drain_delay_ms = 200;
  o.worker_name = "cpp-test";
  return o;
}

class QueueTest : public RedisSuite {};

TEST_F(QueueTest, AddStoresBullMqHashListMarkerAndEvents) {
  Producer producer(redis(), queue());
  JobOptions options;
  options.attempts = 3;
  options.backoff = {Backoff::Type::kExponential, 5000, 0};
  Result<AddResult> added = producer.Add("render", Json{{"template", {{"w", 1}}}}, options);
  ASSERT_TRUE(added.ok()) << added.error().ToString();
  EXPECT_EQ(added->id, "1");
  EXPECT_FALSE(added->duplicated);

  auto& c = client();
  EXPECT_EQ(c.Get({"HGET", Key("1"), "name"}), "render");
  EXPECT_EQ(Json::parse(c.Get({"HGET", Key("1"), "data"})), (Json{{"template", {{"w", 1}}}}));
  Json opts = Json::parse(c.Get({"HGET", Key("1"), "opts"}));
  EXPECT_EQ(opts["attempts"], 3);
  EXPECT_EQ(opts["backoff"]["type"], "exponential");
  EXPECT_EQ(c.Get({"HGET", Key("1"), "delay"}), "0");
  EXPECT_EQ(c.Get({"HGET", Key("1"), "priority"}), "0");
  EXPECT_NEAR(std::stoll(c.Get({"HGET", Key("1"), "timestamp"})), NowMs(), 5000);
  EXPECT_EQ(c.Get({"LINDEX", Key("wait"), "0"}), "1");
  EXPECT_EQ(c.Get({"ZSCORE", Key("marker"), "0"}), "0");
  EXPECT_EQ(c.Get({"HGET", Key("meta"), "opts.maxLenEvents"}), "10000");
  auto events = c.Command({"XRANGE", Key("events"), "-", "+"});
  ASSERT_EQ(events.elements.size(), 2u);
  EXPECT_EQ(events.elements[0].elements[1].elements[1].text, "added");
  EXPECT_EQ(events.elements[0].elements[1].elements[5].text, "render");
  EXPECT_EQ(events.elements[1].elements[1].elements[1].text, "waiting");

  Result<Job> job = producer.GetJob("1");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kWaiting);
  EXPECT_EQ(job->options.attempts, 3);

  // Custom id: stored under that id; a re-add is a no-op that still advances the counter.
  options.job_id = "order-7";
  ASSERT_TRUE(producer.Add("render", Json{{"v", 1}}, options).ok());
  Result<AddResult> again = producer.Add("render", Json{{"v", 2}}, options);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicated);
  EXPECT_EQ(again->id, "order-7");
  EXPECT_EQ(Json::parse(c.Get({"HGET", Key("order-7"), "data"}))["v"], 1);
  EXPECT_EQ(c.Get({"GET", Key("id")}), "3");
  options.job_id = "42";
  EXPECT_EQ(producer.Add("render", Json{}, options).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(producer.GetJob("nope").error().code(), ErrorCode::kNotFound);
}

TEST_F(QueueTest, GetJobSummaryKeepsOnlyTheNamedTopLevelDataKeys) {
  Producer producer(redis(), queue());
  Json data = {{"owner", "u1"},
               {"metadata", {{"orderId", "A-17"}, {"template", "kept: nested"}}},
               {"template", {{"tracks", Json::array({{{"owner", "not top level"}}})}}},
               {"input", {{"name", "Ada"}}}};
  ASSERT_TRUE(producer.Add("render", data).ok());
  const std::string_view keys[] = {"owner", "metadata"};
  Result<Job> summary = producer.GetJobSummary("1", keys);
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  EXPECT_EQ(summary->data, (Json{{"owner", "u1"}, {"metadata", data["metadata"]}}));
  EXPECT_EQ(summary->state, JobState::kWaiting);
  EXPECT_EQ(summary->name, "render");
  EXPECT_TRUE(summary->malformed.empty());
  EXPECT_EQ(producer.GetJob("1")->data, data);  // the worker's read is whole
  EXPECT_EQ(producer.GetJobSummary("nope", keys).error().code(), ErrorCode::kNotFound);

  // Data that is not valid JSON, or not an object, reads as GetJob reads it.
  auto& c = client();
  c.Command({"HSET", Key("bad-1"), "name", "render", "data", "{\"owner\": ", "opts", "{}"});
  Result<Job> bad = producer.GetJobSummary("bad-1", keys);
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->data.is_null());
  EXPECT_NE(bad->malformed.find("data is not valid JSON"), std::string::npos);
  c.Command({"HSET", Key("arr-1"), "name", "render", "data", "[1,2]", "opts", "{}"});
  EXPECT_EQ(producer.GetJobSummary("arr-1", keys)->data, Json::array({1, 2}));
}

TEST_F(QueueTest, DelayedAndPrioritizedScoresFollowBullMq) {
  Producer producer(redis(), queue());
  int64_t ts = NowMs();
  JobOptions delayed;
  delayed.delay_ms = 60000;
  delayed.timestamp_ms = ts;
  ASSERT_TRUE(producer.Add("d", Json::object(), delayed).ok());
  ASSERT_TRUE(producer.Add("d", Json::object(), delayed).ok());
  JobOptions prio;
  prio.priority = 5;
  ASSERT_TRUE(producer.Add("p", Json::object(), prio).ok());
  auto& c = client();
  // Same due millisecond: scores T*4096 and T*4096+1 keep FIFO.
  EXPECT_EQ(c.Get({"ZSCORE", Key("delayed"), "1"}), std::to_string((ts + 60000) * 4096));
  EXPECT_EQ(c.Get({"ZSCORE", Key("delayed"), "2"}), std::to_string((ts + 60000) * 4096 + 1));
  EXPECT_EQ(c.Get({"ZSCORE", Key("marker"), "1"}), std::to_string(ts + 60000));
  EXPECT_EQ(c.Get({"ZSCORE", Key("prioritized"), "3"}), std::to_string(5LL * 4294967296LL + 1));
  Result<JobCounts> counts = producer.GetCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->delayed, 2);
  EXPECT_EQ(counts->prioritized, 1);
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_EQ(producer.GetJob("3")->state, JobState::kPrioritized);
  EXPECT_EQ(producer.GetJob("1")->state, JobState::kDelayed);
}

TEST_F(QueueTest, ListsNewestFirstWithPagingRemovesAndPauses) {
  Producer producer(redis(), queue());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(producer.Add("j", Json{{"i", i}}).ok());
  Result<std::vector<Job>> page = producer.ListJobs(JobState::kWaiting, 0, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, "5");
  EXPECT_EQ((*page)[1].id, "4");
  page = producer.ListJobs(JobState::kWaiting, 4, 10);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].id, "1");
  EXPECT_EQ((*page)[0].data["i"], 0);

  ASSERT_TRUE(producer.Remove("3").ok());
  EXPECT_EQ(producer.GetJob("3").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(producer.GetCounts()->waiting, 4);
  EXPECT_EQ(producer.Remove("3").code(), ErrorCode::kNotFound);

  auto& c = client();
  ASSERT_TRUE(producer.Pause().ok());
  EXPECT_TRUE(*producer.IsPaused());
  EXPECT_EQ(c.Int({"EXISTS", Key("marker")}), 0);
  ASSERT_TRUE(producer.Add("j", Json::object()).ok());
  EXPECT_EQ(c.Int({"EXISTS", Key("marker")}), 0);  // paused: no marker
  EXPECT_EQ(c.Int({"LLEN", Key("wait")}), 5);      // 6.x: jobs stay in wait
  ASSERT_TRUE(producer.Resume().ok());
  EXPECT_FALSE(*producer.IsPaused());
  EXPECT_EQ(c.Get({"ZSCORE", Key("marker"), "0"}), "0");
}

TEST_F(QueueTest, ConsumerRunsJobsInBullMqOrderAndRecordsTheFinish) {
  Producer producer(redis(), queue());
  JobOptions plain, lifo, p1, p2, delayed;
  lifo.lifo = true;
  p1.priority = 1;
  p2.priority = 2;
  delayed.delay_ms = 400;
  ASSERT_TRUE(producer.Add("a", Json::object(), plain).ok());    // 1
  ASSERT_TRUE(producer.Add("d", Json::object(), delayed).ok());  // 2
  ASSERT_TRUE(producer.Add("b", Json::object(), plain).ok());    // 3
  ASSERT_TRUE(producer.Add("p2", Json::object(), p2).ok());      // 4
  ASSERT_TRUE(producer.Add("p1", Json::object(), p1).ok());      // 5
  ASSERT_TRUE(producer.Add("lifo", Json::object(), lifo).ok());  // 6
  ASSERT_TRUE(producer.Add("p1b", Json::object(), p1).ok());     // 7

  std::mutex mutex;
  std::vector<std::string> order;
  Consumer consumer(redis(), queue(), FastOptions(), [&](const Job& job, JobContext&) {
    std::lock_guard lock(mutex);
    order.push_back(job.name);
    return JobOutcome::Completed(Json{{"name", job.name}});
  });
  int64_t start = NowMs();
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 7; }));
  consumer.Close();
  // LIFO first, FIFO through wait, then by priority (FIFO within one). The delayed job runs
  // once due; on a loaded machine that can be before the prioritized ones (wait comes first).
  std::vector<std::string> undelayed;
  std::copy_if(order.begin(), order.end(), std::back_inserter(undelayed),
               [](const std::string& n) { return n != "d"; });
  EXPECT_EQ(undelayed, (std::vector<std::string>{"lifo", "a", "b", "p1", "p1b", "p2"}));
  ASSERT_EQ(order.size(), 7u);

  auto& c = client();
  for (int id = 1; id <= 7; ++id) {
    std::string key = Key(std::to_string(id));
    EXPECT_EQ(c.Get({"HGET", key, "atm"}), "1");
    EXPECT_EQ(c.Get({"HGET", key, "ats"}), "1");
    EXPECT_EQ(c.Get({"HGET", key, "pb"}), "cpp-test");
    std::string finished = c.Get({"HGET", key, "finishedOn"});
    EXPECT_EQ(c.Get({"ZSCORE", Key("completed"), std::to_string(id)}), finished);
    EXPECT_GE(std::stoll(finished), std::stoll(c.Get({"HGET", key, "processedOn"})));
    EXPECT_TRUE(Json::parse(c.Get({"HGET", key, "returnvalue"})).contains("name"));
  }
  // The delayed job ran only after its due time and was reset to delay 0 on promotion.
  EXPECT_GE(std::stoll(c.Get({"HGET", Key("2"), "processedOn"})),
            std::stoll(c.Get({"HGET", Key("2"), "timestamp"})) + 400);
  EXPECT_GE(NowMs(), start);
  EXPECT_EQ(c.Get({"HGET", Key("2"), "delay"}), "0");
  EXPECT_EQ(c.Int({"LLEN", Key("active")}), 0);
  EXPECT_EQ(c.Int({"EXISTS", Key("1:lock")}), 0);
}

TEST_F(QueueTest, RetriesWithExponentialBackoffThenSucceeds) {
  Producer producer(redis(), queue());
  JobOptions options;
  options.attempts = 3;
  options.backoff = {Backoff::Type::kExponential, 150, 0};
  ASSERT_TRUE(producer.Add("flaky", Json::object(), options).ok());
  std::mutex mutex;
  std::vector<int64_t> starts;
  Consumer consumer(redis(), queue(), FastOptions(), [&](const Job& job, JobContext&) {
    std::lock_guard lock(mutex);
    starts.push_back(NowMs());
    if (job.attempts_made < 2) {
      return JobOutcome::Failed(
          Error(ErrorCode::kRenderFailed, "boom " + std::to_string(job.attempts_made)));
    }
    return JobOutcome::Completed("done");
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 1; }));
  consumer.Close();
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_GE(starts[1] - starts[0], 150);  // 2^0 * 150
  EXPECT_GE(starts[2] - starts[1], 300);  // 2^1 * 150
  EXPECT_LT(starts[2] - starts[0], 2000);
  Result<Job> job = producer.GetJob("1");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kCompleted);
  EXPECT_EQ(job->attempts_made, 3);
  EXPECT_EQ(job->attempts_started, 3);
  EXPECT_EQ(job->returnvalue, "done");
  EXPECT_EQ(job->stacktrace.size(), 2u);
  EXPECT_EQ(job->failed_reason, "boom 1");  // the last failed attempt's reason stays
  EXPECT_EQ(consumer.stats().retried, 2);
}

TEST_F(QueueTest, ExhaustedAndUnrecoverableFailuresEndFailed) {
  Producer producer(redis(), queue());
  JobOptions two;
  two.attempts = 2;
  JobOptions five;
  five.attempts = 5;
  ASSERT_TRUE(producer.Add("always", Json::object(), two).ok());
  ASSERT_TRUE(producer.Add("fatal", Json::object(), five).ok());
  EventsReader reader(redis(), queue());
  ASSERT_TRUE(reader.Open().ok());
  Consumer consumer(redis(), queue(), FastOptions(), [&](const Job& job, JobContext&) {
    if (job.name == "fatal") {
      return JobOutcome::Failed(Error(ErrorCode::kInvalidTemplate, "bad template"), Retry::kNever);
    }
    return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "encoder exploded"));
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().failed == 2; }));
  consumer.Close();
  Result<Job> always = producer.GetJob("1");
  EXPECT_EQ(always->state, JobState::kFailed);
  EXPECT_EQ(always->attempts_made, 2);
  EXPECT_EQ(always->failed_reason, "encoder exploded");
  EXPECT_EQ(always->error_code, "render_failed");
  Result<Job> fatal = producer.GetJob("2");
  EXPECT_EQ(fatal->state, JobState::kFailed);
  EXPECT_EQ(fatal->attempts_made, 1);
  EXPECT_EQ(fatal->error_code, "invalid_template");
  EXPECT_GT(fatal->finished_on_ms, 0);

  std::multiset<std::string> names;
  std::string exhausted_attempts;
  for (int i = 0; i < 20; ++i) {
    auto events = reader.Read(50);
    ASSERT_TRUE(events.ok());
    for (const auto& e : *events) {
      names.insert(e.name + ":" + e.job_id);
      if (e.name == "retries-exhausted" && e.job_id == "1") {
        exhausted_attempts = e.Field("attemptsMade").value_or("");
      }
      if (e.name == "failed") {
        EXPECT_EQ(e.Field("prev"), "active");
      }
    }
  }
  EXPECT_EQ(names.count("failed:1"), 1u);
  EXPECT_EQ(names.count("failed:2"), 1u);
  EXPECT_EQ(names.count("waiting:1"), 1u);  // the immediate retry (no backoff)
  EXPECT_EQ(exhausted_attempts, "2");
  EXPECT_EQ(names.count("retries-exhausted:2"), 0u);  // 1 of 5 attempts: not exhausted
}

TEST_F(QueueTest, MalformedJobDataFailsThatJobAndTheConsumerCarriesOn) {
  auto& c = client();
  // A foreign producer writes a job whose data is not JSON.
  c.Command({"HSET", Key("bad-1"), "name", "render", "data", "{not json", "opts", "{}", "timestamp",
             std::to_string(NowMs()), "delay", "0", "priority", "0"});
  c.Command({"LPUSH", Key("wait"), "bad-1"});
  c.Command({"LPUSH", Key("wait"), "ghost"});  // an id with no hash at all
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("good", Json{{"x", 1}}).ok());
  std::atomic<int> ran{0};
  Consumer consumer(redis(), queue(), FastOptions(), [&](const Job&, JobContext&) {
    ++ran;
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(
      WaitFor([&] { return consumer.stats().completed == 1 && consumer.stats().failed == 1; }));
  consumer.Close();
  EXPECT_EQ(ran, 1);
  Result<Job> bad = producer.GetJob("bad-1");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->state, JobState::kFailed);
  EXPECT_NE(bad->failed_reason.find("data is not valid JSON"), std::string::npos)
      << bad->failed_reason;
  EXPECT_EQ(c.Int({"LLEN", Key("active")}), 0);
  EXPECT_EQ(c.Int({"LLEN", Key("wait")}), 0);
}

TEST_F(QueueTest, CancelWaitingAndDelayedJobsAtOnce) {
  Producer producer(redis(), queue());
  JobOptions delayed;
  delayed.delay_ms = 60000;
  ASSERT_TRUE(producer.Add("w", Json::object()).ok());
  ASSERT_TRUE(producer.Add("d", Json::object(), delayed).ok());
  EXPECT_EQ(*producer.Cancel("1"), CancelOutcome::kCancelled);
  EXPECT_EQ(*producer.Cancel("2"), CancelOutcome::kCancelled);
  for (const char* id : {"1", "2"}) {
    Result<Job> job = producer.GetJob(id);
    EXPECT_EQ(job->state, JobState::kFailed);
    EXPECT_EQ(job->failed_reason, "cancelled");
    EXPECT_EQ(job->error_code, "cancelled");
    EXPECT_TRUE(job->cancelled());
    EXPECT_GT(job->finished_on_ms, 0);
  }
  EXPECT_EQ(producer.GetCounts()->delayed, 0);
  EXPECT_EQ(producer.GetCounts()->waiting, 0);
  EXPECT_EQ(producer.Cancel("1").error().code(), ErrorCode::kAlreadyFinished);
  EXPECT_EQ(producer.Cancel("99").error().code(), ErrorCode::kNotFound);
}

// The job a FollowUpBuilder adds for `job` ending in `state`: "after-<id>" on `<queue>-after`.
FollowUp AfterJob(const QueueName& queue, const Job& job, FinalState state) {
  FollowUp f;
  f.queue = QueueName{queue.prefix, queue.name + "-after"};
  f.job.name = "after";
  f.job.data = {{"for", job.id}, {"state", static_cast<int>(state)}};
  f.job.options.job_id = "after-" + job.id;
  return f;
}

TEST_F(QueueTest, FinalMovesAddTheirFollowUpJobInTheSameCallAndOnlyThen) {
  Producer producer(redis(), queue());
  Producer after(redis(), QueueName{queue().prefix, queue().name + "-after"});
  JobOptions two;
  two.attempts = 2;
  ASSERT_TRUE(producer.Add("ok", Json::object()).ok());          // 1: completes
  ASSERT_TRUE(producer.Add("flaky", Json::object(), two).ok());  // 2: fails, retried, completes
  ASSERT_TRUE(producer.Add("fatal", Json::object(), two).ok());  // 3: fails for good at once
  std::atomic<int> flaky_runs{0};
  std::mutex mutex;
  std::vector<std::string> asked;  // "<id>:<state>" for each final move the builder was asked for
  ConsumerOptions options = FastOptions();
  options.follow_up = [&](const Job& job, FinalState state, const JobOutcome&) {
    std::lock_guard lock(mutex);
    asked.push_back(job.id + ":" + std::to_string(static_cast<int>(state)));
    return std::optional<FollowUp>(AfterJob(queue(), job, state));
  };
  Consumer consumer(redis(), queue(), options, [&](const Job& job, JobContext&) {
    if (job.name == "flaky" && flaky_runs++ == 0) {
      return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "once"));
    }
    if (job.name == "fatal") {
      return JobOutcome::Failed(Error(ErrorCode::kInvalidTemplate, "bad"), Retry::kNever);
    }
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(
      WaitFor([&] { return consumer.stats().completed == 2 && consumer.stats().failed == 1; }));
  consumer.Close();
  {
    std::lock_guard lock(mutex);
    std::sort(asked.begin(), asked.end());
    // Asked once per final move, never for the retried attempt.
    EXPECT_EQ(asked, (std::vector<std::string>{"1:0", "2:0", "3:1"}));
  }
  for (const auto& [id, state] :
       {std::pair{"1", FinalState::kCompleted}, std::pair{"2", FinalState::kCompleted},
        std::pair{"3", FinalState::kFailed}}) {
    Result<Job> follow_up = after.GetJob(std::string("after-") + id);
    ASSERT_TRUE(follow_up.ok()) << id;
    EXPECT_EQ(follow_up->state, JobState::kWaiting);
    EXPECT_EQ(follow_up->name, "after");
    EXPECT_EQ(follow_up->data, (Json{{"for", id}, {"state", static_cast<int>(state)}}));
  }
  EXPECT_EQ(after.GetCounts()->waiting, 3);

  // Cancel: added with a cancel that happens, not with one that is refused.
  ASSERT_TRUE(producer.Add("queued", Json::object()).ok());  // 4
  Job four;
  four.id = "4";
  FollowUp cancelled = AfterJob(queue(), four, FinalState::kCancelled);
  EXPECT_EQ(*producer.Cancel("4", &cancelled), CancelOutcome::kCancelled);
  Result<Job> added = after.GetJob("after-4");
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->data["state"], static_cast<int>(FinalState::kCancelled));
  Job one;
  one.id = "1";
  FollowUp refused = AfterJob(queue(), one, FinalState::kCancelled);
  refused.job.options.job_id = "after-refused";
  EXPECT_EQ(producer.Cancel("1", &refused).error().code(), ErrorCode::kAlreadyFinished);
  EXPECT_EQ(after.GetJob("after-refused").error().code(), ErrorCode::kNotFound);
  // A second cancel of the cancelled job adds nothing.
  EXPECT_EQ(producer.Cancel("4", &cancelled).error().code(), ErrorCode::kAlreadyFinished);
  EXPECT_EQ(after.GetCounts()->waiting, 4);
}

TEST_F(QueueTest, ActiveJobSeesCancelWithin500MsAndIsNotRetried) {
  Producer producer(redis(), queue());
  JobOptions options;
  options.attempts = 3;
  ASSERT_TRUE(producer.Add("long", Json::object(), options).ok());
  std::atomic<bool> started{false};
  std::atomic<int64_t> seen_at{0};
  Consumer consumer(redis(), queue(), FastOptions(), [&](const Job&, JobContext& context) {
    started = true;
    while (!context.IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    seen_at = NowMs();
    return JobOutcome::Failed(Error(ErrorCode::kCancelled, "stopped"));
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  int64_t cancel_at = NowMs();
  EXPECT_EQ(*producer.Cancel("1"), CancelOutcome::kCancelRequested);
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().cancelled == 1; }));
  consumer.Close();
  EXPECT_LT(seen_at - cancel_at, 500);
  Result<Job> job = producer.GetJob("1");
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->failed_reason, "cancelled");
  EXPECT_EQ(job->attempts_made, 1);
  EXPECT_TRUE(job->cancelled());
  EXPECT_EQ(client().Int({"EXISTS", Key("1:cancel")}), 0);
  EXPECT_EQ(producer.Cancel("1").error().code(), ErrorCode::kAlreadyFinished);
}

TEST_F(QueueTest, CancelOfAJobWhoseWorkerDiedEndsItWithoutRunning) {
  Producer producer(redis(), queue());
  JobOptions options;
  options.attempts = 3;
  ASSERT_TRUE(producer.Add("orphan", Json::object(), options).ok());
  auto& c = client();
  c.Command({"RPOPLPUSH", Key("wait"), Key("active")});
  c.Command({"SET", Key("1:lock"), "dead-token", "PX", "300"});
  EXPECT_EQ(*producer.Cancel("1"), CancelOutcome::kCancelRequested);
  std::atomic<int> runs{0};
  ConsumerOptions options_fast = FastOptions();
  options_fast.stalled_interval_ms = 300;
  Consumer consumer(redis(), queue(), options_fast, [&](const Job&, JobContext&) {
    ++runs;
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().cancelled == 1; }, 5000));
  consumer.Close();
  EXPECT_EQ(runs, 0);
  Result<Job> job = producer.GetJob("1");
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->failed_reason, "cancelled");
  EXPECT_TRUE(job->cancelled());
  EXPECT_EQ(c.Int({"EXISTS", Key("1:cancel")}), 0);
}

TEST_F(QueueTest, RetryRunsAFailedJobAgainWithFreshAttempts) {
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("once", Json::object()).ok());
  std::atomic<int> runs{0};
  Consumer consumer(redis(), queue(), FastOptions(), [&](const Job&, JobContext&) {
    if (++runs == 1) return JobOutcome::Failed(Error(ErrorCode::kRenderFailed, "first"));
    return JobOutcome::Completed(Json{{"ok", true}});
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().failed == 1; }));
  EXPECT_EQ(producer.Retry("1").ok(), true);
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 1; }));
  consumer.Close();
  Result<Job> job = producer.GetJob("1");
  EXPECT_EQ(job->state, JobState::kCompleted);
  EXPECT_EQ(job->attempts_made, 1);
  EXPECT_TRUE(job->failed_reason.empty());
  EXPECT_EQ(producer.Retry("1").code(), ErrorCode::kNotRetryable);
  EXPECT_EQ(producer.Retry("nope").code(), ErrorCode::kNotFound);
}

TEST_F(QueueTest, EventsReaderFollowsALifecycleFromNow) {
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("before", Json::object()).ok());  // before Open: not seen
  EventsReader reader(redis(), queue());
  ASSERT_TRUE(reader.Open().ok());
  ASSERT_TRUE(producer.Add("render", Json::object()).ok());
  Consumer consumer(redis(), queue(), FastOptions(), [&](const Job& job, JobContext& context) {
    if (job.id == "2") {
      EXPECT_TRUE(context.ReportProgress(50).ok());
      EXPECT_TRUE(context.ReportProgress(Json{{"frame", 10}}).ok());
      EXPECT_TRUE(context.Log("hello from C++").ok());
    }
    return JobOutcome::Completed(Json{{"url", "x"}});
  });
  ASSERT_TRUE(consumer.Start().ok());
  std::vector<std::string> seen;
  std::string progress_data, returnvalue;
  ASSERT_TRUE(WaitFor([&] {
    auto events = reader.Read(100);
    if (!events.ok()) return false;
    for (const auto& e : *events) {
      if (e.job_id != "2" && !e.job_id.empty()) continue;
      seen.push_back(e.name);
      if (e.name == "progress" && progress_data.empty()) progress_data = *e.Field("data");
      if (e.name == "completed") returnvalue = *e.Field("returnvalue");
    }
    return !returnvalue.empty();
  }));
  consumer.Close();
  std::vector<std::string> expected_prefix = {"added",    "waiting",  "active",
                                              "progress", "progress", "completed"};
  ASSERT_GE(seen.size(), expected_prefix.size());
  EXPECT_EQ(std::vector<std::string>(seen.begin(), seen.begin() + 6), expected_prefix);
  EXPECT_EQ(progress_data, "50");
  EXPECT_EQ(Json::parse(returnvalue), (Json{{"url", "x"}}));
  EXPECT_EQ(producer.GetJob("2")->progress, (Json{{"frame", 10}}));
  EXPECT_EQ(client().Get({"LINDEX", Key("2:logs"), "0"}), "hello from C++");
}

TEST_F(QueueTest, ConcurrencyRunsNJobsAtOnce) {
  Producer producer(redis(), queue());
  std::vector<NewJob> jobs(8, NewJob{"sleep", Json::object(), {}});
  ASSERT_TRUE(producer.AddBulk(jobs).ok());
  std::atomic<int> running{0}, peak{0};
  ConsumerOptions options = FastOptions();
  options.concurrency = 4;
  Consumer consumer(redis(), queue(), options, [&](const Job&, JobContext&) {
    int now = ++running;
    int expected = peak.load();
    while (now > expected && !peak.compare_exchange_weak(expected, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    --running;
    return JobOutcome::Completed();
  });
  int64_t start = NowMs();
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 8; }));
  int64_t elapsed = NowMs() - start;
  consumer.Close();
  EXPECT_EQ(peak, 4);
  EXPECT_LT(elapsed, 1200);  // 2 rounds of 200 ms, not 8
}

TEST_F(QueueTest, RateLimitSpacesJobStarts) {
  Producer producer(redis(), queue());
  std::vector<NewJob> jobs(6, NewJob{"r", Json::object(), {}});
  ASSERT_TRUE(producer.AddBulk(jobs).ok());
  std::mutex mutex;
  std::vector<int64_t> starts;
  ConsumerOptions options = FastOptions();
  options.concurrency = 3;
  options.rate_limit = {2, 400};
  Consumer consumer(redis(), queue(), options, [&](const Job&, JobContext&) {
    std::lock_guard lock(mutex);
    starts.push_back(NowMs());
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 6; }));
  consumer.Close();
  std::sort(starts.begin(), starts.end());
  // Windows of 2 jobs per 400 ms: the 3rd and 5th start at least one and two windows later.
  EXPECT_GE(starts[2] - starts[0], 350);
  EXPECT_GE(starts[4] - starts[0], 750);
}

TEST_F(QueueTest, DeadWorkersJobIsRecoveredAfterTheStalledInterval) {
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("orphan", Json::object()).ok());
  ASSERT_TRUE(producer.Add("doomed", Json::object()).ok());
  auto& c = client();
  // Simulate workers that took the jobs and died: active, with locks that expire.
  c.Command({"RPOPLPUSH", Key("wait"), Key("active")});
  c.Command({"RPOPLPUSH", Key("wait"), Key("active")});
  c.Command({"SET", Key("1:lock"), "dead-token", "PX", "300"});
  c.Command({"SET", Key("2:lock"), "dead-token", "PX", "300"});
  c.Command({"HSET", Key("2"), "stc", "1"});  // already stalled once: next time it fails
  std::atomic<int> runs{0};
  ConsumerOptions options = FastOptions();
  options.stalled_interval_ms = 300;
  Consumer consumer(redis(), queue(), options, [&](const Job&, JobContext&) {
    ++runs;
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor(
      [&] { return consumer.stats().completed == 1 && consumer.stats().failed == 1; }, 5000));
  consumer.Close();
  EXPECT_EQ(runs, 1);
  Result<Job> orphan = producer.GetJob("1");
  EXPECT_EQ(orphan->state, JobState::kCompleted);
  EXPECT_EQ(orphan->stalled_count, 1);
  Result<Job> doomed = producer.GetJob("2");
  EXPECT_EQ(doomed->state, JobState::kFailed);
  EXPECT_EQ(doomed->failed_reason, "job stalled more than allowable limit");
  EXPECT_EQ(consumer.stats().recovered_stalled, 2);
}

TEST_F(QueueTest, LongJobKeepsItsLockAndRunsOnce) {
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("long", Json::object()).ok());
  std::atomic<int> runs{0};
  ConsumerOptions options = FastOptions();
  options.lock_ms = 600;
  options.stalled_interval_ms = 200;
  auto handler = [&](const Job&, JobContext& context) {
    ++runs;
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // over 3x the lock
    EXPECT_FALSE(context.LockLost());
    return JobOutcome::Completed();
  };
  Consumer a(redis(), queue(), options, handler);
  Consumer b(redis(), queue(), options, handler);  // a second worker running stalled checks
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return a.stats().completed + b.stats().completed == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  a.Close();
  b.Close();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(producer.GetJob("1")->stalled_count, 0);
  EXPECT_EQ(a.stats().lost_locks + b.stats().lost_locks, 0);
}

TEST_F(QueueTest, GracefulCloseKeepsRenewingTheLockOfARunningJob) {
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("long", Json::object()).ok());
  std::atomic<bool> started{false};
  std::atomic<bool> lock_lost{false};
  ConsumerOptions options = FastOptions();
  options.lock_ms = 400;
  Consumer consumer(redis(), queue(), options, [&](const Job&, JobContext& context) {
    started = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // outlives the lock 3x
    lock_lost = context.LockLost();
    return JobOutcome::Completed();
  });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  consumer.Close(CloseMode::kFinishCurrent);  // returns once the handler is done
  EXPECT_FALSE(lock_lost);
  EXPECT_EQ(consumer.stats().completed, 1);
  EXPECT_EQ(consumer.stats().lost_locks, 0);
  EXPECT_EQ(producer.GetJob("1")->state, JobState::kCompleted);
}

TEST_F(QueueTest, CloseWithHandBackReturnsTheJobToWait) {
  Producer producer(redis(), queue());
  JobOptions options;
  options.attempts = 2;
  ASSERT_TRUE(producer.Add("render", Json::object(), options).ok());
  std::atomic<bool> started{false};
  auto consumer = std::make_unique<Consumer>(
      redis(), queue(), FastOptions(), [&](const Job&, JobContext& context) {
        started = true;
        while (!context.IsStopping()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return JobOutcome::Failed(Error(ErrorCode::kCancelled, "shutting down"));
      });
  ASSERT_TRUE(consumer->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  consumer->Close(CloseMode::kHandBack);
  Result<Job> job = producer.GetJob("1");
  EXPECT_EQ(job->state, JobState::kWaiting);
  EXPECT_EQ(job->attempts_made, 0);
  EXPECT_EQ(client().Int({"EXISTS", Key("1:lock")}), 0);
}

TEST_F(QueueTest, RetentionByCountAndRemoveOnCompleteTrue) {
  Producer producer(redis(), queue());
  JobOptions keep2;
  keep2.remove_on_complete = KeepJobs{2, 0, 1000};
  JobOptions drop;
  drop.remove_on_complete = KeepJobs::None();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(producer.Add("k", Json::object(), keep2).ok());
  ASSERT_TRUE(producer.Add("drop", Json::object(), drop).ok());
  EventsReader reader(redis(), queue());
  ASSERT_TRUE(reader.Open().ok());
  Consumer consumer(redis(), queue(), FastOptions(),
                    [&](const Job&, JobContext&) { return JobOutcome::Completed(); });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 6; }));
  consumer.Close();
  auto& c = client();
  EXPECT_EQ(c.Int({"ZCARD", Key("completed")}), 2);
  EXPECT_EQ(c.Int({"EXISTS", Key("1")}), 0);
  EXPECT_EQ(c.Int({"EXISTS", Key("5")}), 1);
  EXPECT_EQ(c.Int({"EXISTS", Key("6")}), 0);  // removeOnComplete: true
  bool saw_completed_6 = false;
  for (int i = 0; i < 10 && !saw_completed_6; ++i) {
    Result<std::vector<QueueEvent>> events = reader.Read(50);
    ASSERT_TRUE(events.ok());
    for (const auto& e : *events) saw_completed_6 |= e.name == "completed" && e.job_id == "6";
  }
  EXPECT_TRUE(saw_completed_6);
}

TEST_F(QueueTest, RetentionByAgeRemovesOldFinishedJobs) {
  Producer producer(redis(), queue());
  JobOptions by_age;
  by_age.remove_on_complete = KeepJobs{-1, 1, 1000};  // keep for 1 s
  ASSERT_TRUE(producer.Add("old", Json::object(), by_age).ok());
  Consumer consumer(redis(), queue(), FastOptions(),
                    [&](const Job&, JobContext&) { return JobOutcome::Completed(); });
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_TRUE(producer.Add("new", Json::object(), by_age).ok());
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().completed == 2; }));
  consumer.Close();
  EXPECT_EQ(producer.GetJob("1").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(producer.GetJob("2")->state, JobState::kCompleted);
  EXPECT_EQ(client().Int({"ZCARD", Key("completed")}), 1);
}

TEST_F(QueueTest, ProducerReportsQueueUnavailableWhileRedisIsDown) {
  RedisOptions nowhere = redis();
  nowhere.port = vg::testing::FreeLoopbackPort();
  nowhere.connect_timeout_ms = 200;
  Producer producer(nowhere, queue());
  Result<AddResult> added = producer.Add("x", Json::object());
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code(), ErrorCode::kQueueUnavailable);
  EXPECT_EQ(producer.GetCounts().error().code(), ErrorCode::kQueueUnavailable);
}

// Waits for `count` async callbacks.
class Latch {
 public:
  explicit Latch(int count) : left_(count) {}
  void CountDown() {
    std::lock_guard lock(mutex_);
    if (--left_ == 0) done_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, timeout, [this] { return left_ <= 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  int left_;
};

// `threads` threads each make `per_thread` async adds ({"t", "i", "owner": "o"}) at once; the
// ids of the adds that succeeded as new jobs, once all have answered (empty on a timeout).
std::set<std::string> AddFromThreads(Producer& producer, int threads, int per_thread) {
  std::mutex mutex;
  std::set<std::string> ids;
  Latch added(threads * per_thread);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        producer.AddAsync("render", Json{{"t", t}, {"i", i}, {"owner", "o"}}, {},
                          [&](Result<AddResult> r) {
                            if (r.ok() && !r->duplicated) {
                              std::lock_guard lock(mutex);
                              ids.insert(r->id);
                            }
                            added.CountDown();
                          });
      }
    });
  }
  for (auto& w : workers) w.join();
  if (!added.Wait(std::chrono::seconds(10))) return {};
  std::lock_guard lock(mutex);
  return ids;
}

TEST_F(QueueTest, AsyncCallsFromManyThreadsArePipelinedAndAnswerLikeTheSyncForms) {
  Producer producer(redis(), queue());
  constexpr int kThreads = 8, kPerThread = 50;
  const std::set<std::string> ids = AddFromThreads(producer, kThreads, kPerThread);
  ASSERT_EQ(ids.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(client().Int({"LLEN", Key("wait")}), kThreads * kPerThread);

  // A summary keeps only the named data keys; an unknown id is not_found; same as the sync form.
  static constexpr std::string_view kKeys[] = {"owner"};
  const std::string some_id = *ids.begin();
  Latch read(2);
  Result<Job> summary = Status(ErrorCode::kInternal, "not called");
  Result<Job> missing = Status(ErrorCode::kInternal, "not called");
  producer.GetJobSummaryAsync(some_id, kKeys, [&](Result<Job> j) {
    summary = std::move(j);
    read.CountDown();
  });
  producer.GetJobSummaryAsync("nope", kKeys, [&](Result<Job> j) {
    missing = std::move(j);
    read.CountDown();
  });
  ASSERT_TRUE(read.Wait(std::chrono::seconds(5)));
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  EXPECT_EQ(summary->state, JobState::kWaiting);
  EXPECT_EQ(summary->data, (Json{{"owner", "o"}}));
  EXPECT_EQ(producer.GetJobSummary(some_id, kKeys)->data, summary->data);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);

  // Plain commands in order (the owner index), and the scripts reloaded after SCRIPT FLUSH.
  client().Get({"SCRIPT", "FLUSH"});
  Latch indexed(2);
  Status index_status = Status(ErrorCode::kInternal, "not called");
  producer.CommandsAsync(OwnerIndex::AddCommands(producer.keys(), "o", some_id, 1000, 500),
                         [&](Status s) {
                           index_status = s;
                           indexed.CountDown();
                         });
  Result<AddResult> after_flush = Status(ErrorCode::kInternal, "not called");
  producer.AddAsync("render", Json::object(), {}, [&](Result<AddResult> r) {
    after_flush = std::move(r);
    indexed.CountDown();
  });
  ASSERT_TRUE(indexed.Wait(std::chrono::seconds(5)));
  EXPECT_TRUE(index_status.ok()) << index_status.ToString();
  OwnerIndex index(redis(), queue());
  EXPECT_EQ(client().Get({"ZSCORE", index.Key("o"), some_id}), "1000");
  EXPECT_TRUE(after_flush.ok()) << after_flush.error().ToString();
}

// One async call and its result, waited for.
Result<Job> SummaryOf(Producer& producer, const std::string& id, std::chrono::milliseconds wait) {
  static constexpr std::string_view kKeys[] = {"owner"};
  auto result = std::make_shared<std::optional<Result<Job>>>();
  auto latch = std::make_shared<Latch>(1);
  producer.GetJobSummaryAsync(id, kKeys, [result, latch](Result<Job> j) {
    *result = std::move(j);
    latch->CountDown();
  });
  if (!latch->Wait(wait)) return Status(ErrorCode::kInternal, "no answer in time");
  return std::move(**result);
}

TEST_F(QueueTest, AsyncCallsSpreadOverSeveralConnectionsStayCorrect) {
  Producer producer(redis(), queue());
  producer.UseIoWatcher(nullptr, 3);
  auto clients = [&] {
    const std::string list = client().Get({"CLIENT", "LIST"});
    return std::count(list.begin(), list.end(), '\n');
  };
  const auto clients_before = clients();
  constexpr int kThreads = 6, kPerThread = 50;
  const std::set<std::string> ids = AddFromThreads(producer, kThreads, kPerThread);
  EXPECT_EQ(ids.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(client().Int({"LLEN", Key("wait")}), kThreads * kPerThread);
  EXPECT_EQ(clients() - clients_before, 3);
  // Each connection answers its own calls.
  for (const std::string& id : {std::string("1"), std::string("150"), std::string("300")}) {
    Result<Job> job = SummaryOf(producer, id, std::chrono::seconds(3));
    ASSERT_TRUE(job.ok()) << job.error().ToString();
    EXPECT_EQ(job->id, id);
    EXPECT_EQ(job->data, (Json{{"owner", "o"}}));
  }
}

TEST_F(QueueTest, AsyncAddWritesTheOwnerIndexInTheSameCallAndTrimsIt) {
  Producer producer(redis(), queue());
  const std::string key = OwnerIndex::KeyFor(producer.keys(), "o");
  client().Command({"ZADD", key, "100", "old"});
  client().Command({"ZADD", key, "5000", "recent"});
  auto add = [&](const JobOptions& options, const AddIndexEntry* index) {
    Latch done(1);
    Result<AddResult> added = Status(ErrorCode::kInternal, "not called");
    producer.AddAsync(
        "render", Json{{"owner", "o"}}, options,
        [&](Result<AddResult> r) {
          added = std::move(r);
          done.CountDown();
        },
        index);
    EXPECT_TRUE(done.Wait(std::chrono::seconds(5)));
    return added;
  };
  JobOptions options;
  options.timestamp_ms = 9000;
  AddIndexEntry index{key, 1000};  // entries scored below 1000 go
  Result<AddResult> first = add(options, &index);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(client().Get({"ZSCORE", key, first->id}), "9000");
  EXPECT_EQ(client().Get({"ZSCORE", key, "recent"}), "5000");
  EXPECT_TRUE(client().Command({"ZSCORE", key, "old"}).is_nil);
  EXPECT_EQ(client().Get({"HGET", Key(first->id), "timestamp"}), "9000");
  // A duplicate (same custom id) is not indexed again; no trim asked: nothing removed.
  options.job_id = "custom";
  options.timestamp_ms = 10000;
  AddIndexEntry no_trim{key, 0};
  ASSERT_TRUE(add(options, &no_trim).ok());
  options.timestamp_ms = 20000;
  Result<AddResult> again = add(options, &no_trim);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicated);
  EXPECT_EQ(client().Get({"ZSCORE", key, "custom"}), "10000");
  EXPECT_EQ(client().Get({"ZCARD", key}), "3");
  // Without an index the add leaves the set alone.
  options.job_id.reset();
  Result<AddResult> plain = add(options, nullptr);
  ASSERT_TRUE(plain.ok()) << plain.error().ToString();
  EXPECT_EQ(client().Get({"ZCARD", key}), "3");
}

TEST_F(QueueTest, AsyncCallsFailAtOnceWhileRedisIsDown) {
  RedisOptions nowhere = redis();
  nowhere.port = vg::testing::FreeLoopbackPort();
  nowhere.connect_timeout_ms = 200;
  Producer producer(nowhere, queue());
  Latch done(2);
  Result<AddResult> added = Status(ErrorCode::kInternal, "not called");
  Result<Job> job = Status(ErrorCode::kInternal, "not called");
  const auto start = std::chrono::steady_clock::now();
  producer.AddAsync("x", Json::object(), {}, [&](Result<AddResult> r) {
    added = std::move(r);
    done.CountDown();
  });
  static constexpr std::string_view kKeys[] = {"owner"};
  producer.GetJobSummaryAsync("1", kKeys, [&](Result<Job> j) {
    job = std::move(j);
    done.CountDown();
  });
  ASSERT_TRUE(done.Wait(std::chrono::seconds(3)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code(), ErrorCode::kQueueUnavailable);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code(), ErrorCode::kQueueUnavailable);
}

TEST_F(QueueTest, AsyncCallsReconnectAfterARedisRestartAndNeverHang) {
  Producer producer(redis(), queue());
  ASSERT_TRUE(producer.Add("render", Json{{"owner", "o"}}, {}).ok());
  Result<Job> before = SummaryOf(producer, "1", std::chrono::seconds(3));
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  server().Kill();
  server().Restart();  // AOF on: the job is still there
  // The first call on the dead connection may fail (queue_unavailable, never another error and
  // never a hang); the pipeline then reconnects by itself.
  bool recovered = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!recovered && std::chrono::steady_clock::now() < deadline) {
    Result<Job> after = SummaryOf(producer, "1", std::chrono::seconds(3));
    if (after.ok()) {
      recovered = true;
      EXPECT_EQ(after->data["owner"], "o");
    } else {
      ASSERT_EQ(after.error().code(), ErrorCode::kQueueUnavailable) << after.error().ToString();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(recovered);
}

TEST_F(QueueTest, AsyncCallsFailAfterTheCommandTimeoutWhenRedisHangsThenRecover) {
  RedisOptions options = redis();
  options.command_timeout_ms = 400;
  Producer producer(options, queue());
  ASSERT_TRUE(producer.Add("render", Json{{"owner", "o"}}, {}).ok());
  ASSERT_TRUE(SummaryOf(producer, "1", std::chrono::seconds(3)).ok());
  ASSERT_EQ(kill(server().pid(), SIGSTOP), 0);
  const auto start = std::chrono::steady_clock::now();
  Result<Job> hung = SummaryOf(producer, "1", std::chrono::seconds(5));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(kill(server().pid(), SIGCONT), 0);
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.error().code(), ErrorCode::kQueueUnavailable) << hung.error().ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(350));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
  EXPECT_TRUE(
      WaitFor([&] { return SummaryOf(producer, "1", std::chrono::seconds(3)).ok(); }, 5000));
}

TEST_F(QueueTest, AsyncCallsLargerThanTheSocketBuffersAreWrittenAsRedisReadsThem) {
  Producer producer(redis(), queue());
  // 48 MiB in one go: far more than a loopback socket holds, so the write waits for room.
  constexpr int kCommands = 192;
  const std::string value(256 * 1024, 'v');
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < kCommands; ++i)
    commands.push_back({"SET", Key("big" + std::to_string(i)), value});
  Latch done(1);
  Status result = Status(ErrorCode::kInternal, "not called");
  producer.CommandsAsync(std::move(commands), [&](Status s) {
    result = s;
    done.CountDown();
  });
  ASSERT_TRUE(done.Wait(std::chrono::seconds(30)));
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(client().Get({"STRLEN", Key("big0")}), std::to_string(value.size()));
  EXPECT_EQ(client().Get({"STRLEN", Key("big" + std::to_string(kCommands - 1))}),
            std::to_string(value.size()));
  // The connection is still in step: a call after the big batch gets its own answer.
  ASSERT_TRUE(producer.Add("render", Json{{"owner", "o"}}, {}).ok());
  Result<Job> job = SummaryOf(producer, "1", std::chrono::seconds(3));
  ASSERT_TRUE(job.ok()) << job.error().ToString();
  EXPECT_EQ(job->data["owner"], "o");
}

}  // namespace
}  // namespace vg::queue::testing

// Consumer: a BullMQ-compatible worker. It takes jobs (waiting, prioritized, due delayed) with
// a lock token, blocks on the queue's marker while idle (as BullMQ does), runs a handler on N
// threads, renews locks and polls cancel keys on its own thread, runs the stalled-job check,
// honours the global rate limiter, and finishes each job in one script that also fetches the
// next one. Node Workers and our consumers can share a queue.
//
// Threads: `concurrency` job threads ("vg-queue-job") run the handler; their script calls share
// one connection and are combined into pipelines, and each has its own connection only for
// blocking on the marker while idle. One keeper thread ("vg-queue-keep") renews locks, polls cancel
// keys and checks for stalled jobs; its connection alone carries the BullMQ worker name (CLIENT
// SETNAME `P:<base64(Q)>:w:<worker_name>`) and is kept connected (a PING when otherwise idle), so
// Queue.getWorkers(), Bull Board and CountLiveWorkers see each consumer once. The public methods
// are thread-safe. Redis outages are survived: every thread reconnects with backoff by itself.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/status.h"
#include "queue/job.h"
#include "queue/producer.h"
#include "queue/queue_keys.h"
#include "queue/redis_options.h"

namespace vg::obs {
class Metrics;
}

namespace vg::queue {

namespace internal {
class RedisConnection;
class PipelinedConnection;
}  // namespace internal

enum class Retry { kAllowed, kNever };

// What a handler returns: a JSON return value, or an error with a code and whether the job may
// be retried (BullMQ's UnrecoverableError is Retry::kNever).
class JobOutcome {
 public:
  static JobOutcome Completed(nlohmann::json returnvalue = nullptr) {
    JobOutcome o;
    o.returnvalue_ = std::move(returnvalue);
    return o;
  }
  static JobOutcome Failed(Status error, Retry retry = Retry::kAllowed) {
    JobOutcome o;
    o.error_ = std::move(error);
    o.retry_ = retry;
    return o;
  }
  bool ok() const { return error_.ok(); }
  const nlohmann::json& returnvalue() const { return returnvalue_; }
  const Status& error() const { return error_; }
  Retry retry() const { return retry_; }

 private:
  nlohmann::json returnvalue_;
  Status error_;
  Retry retry_ = Retry::kAllowed;
};

// The handler's view of its running job. Thread-safe: a handler may hand it to its own
// threads, but it must not be used after the handler returns.
class JobContext {
 public:
  virtual ~JobContext() = default;
  // True once the job was cancelled (API cancel); the handler should stop and return any
  // outcome: the job then ends as cancelled, without retry.
  virtual bool IsCancelled() const = 0;
  // True once the consumer is closing with CloseMode::kHandBack: return
  // JobOutcome::Failed(Status(ErrorCode::kCancelled, ...)) to hand the job back to the queue.
  virtual bool IsStopping() const = 0;
  // True when the lock could not be renewed (another worker may now run the job).
  virtual bool LockLost() const = 0;
  // Stores progress (JSON: a number 0-100 or an object) and emits a `progress` event.
  virtual Status ReportProgress(const nlohmann::json& progress) = 0;
  // Appends a line to the job's log (Bull Board's Logs tab).
  virtual Status Log(std::string_view line) = 0;
};

// Runs one job. Called on a job thread; exceptions are caught and fail the attempt.
using JobHandler = std::function<JobOutcome(const Job& job, JobContext& context)>;

enum class FinalState { kCompleted, kFailed, kCancelled };

// Told once the queue ACCEPTED a final move this consumer made with its lock: completed, failed
// for good, or cancelled. This includes jobs ended without the handler (a malformed job, BullMQ's
// deferred failure `defa` of a job stalled more than max_stalled_count, a cancel seen at fetch),
// and excludes every finish the queue refused (lock lost or taken). Since one script with one
// lock moves a job to its end, exactly one consumer in the fleet is told about each ending.
// `outcome` is the handler's (or the consumer's own failure). Called on a job thread, after the
// move and before the thread takes its next job; exceptions are caught and logged.
using FinishedHandler =
    std::function<void(const Job& job, FinalState state, const JobOutcome& outcome)>;

// Asked, just before this consumer sends a job's final move (completed, failed for good or
// cancelled; the same endings FinishedHandler is told about), for a job to add to another queue
// in that same script call (the job's webhook delivery, see FollowUp): it then exists if and only
// if the queue accepts the ending. nullopt = none. Called on a job thread; a throw means none
// (logged).
using FollowUpBuilder = std::function<std::optional<FollowUp>(const Job& job, FinalState state,
                                                              const JobOutcome& outcome)>;

struct RateLimit {
  int64_t max = 0;          // jobs started per window across all workers; 0 = no limit
  int64_t duration_ms = 0;  // the window
};

struct ConsumerOptions {
  int concurrency = 1;
  int64_t lock_ms = 30000;              // JOB_LOCK_MS
  int64_t stalled_interval_ms = 30000;  // STALLED_INTERVAL_MS
  int max_stalled_count = 1;            // recoveries before a stalled job fails
  RateLimit rate_limit;                 // RATE_LIMIT_MAX / RATE_LIMIT_DURATION_MS
  std::string worker_name;              // BullMQ's worker `name`: job field `pb`, connection name
  int64_t drain_delay_ms = 5000;        // longest block on the marker while idle
  int64_t cancel_poll_ms = 250;         // how often active jobs' cancel keys are checked
  // Worker-level retention, used when the job's opts do not say (BullMQ's precedence).
  KeepJobs remove_on_complete = KeepJobs::All();
  KeepJobs remove_on_fail = KeepJobs::All();
  FinishedHandler on_finished;  // optional; see FinishedHandler
  FollowUpBuilder follow_up;    // optional; see FollowUpBuilder
};

struct ConsumerStats {
  int64_t completed = 0;
  int64_t failed = 0;   // final failures, including cancelled jobs
  int64_t retried = 0;  // failed attempts that will run again
  int64_t cancelled = 0;
  int64_t recovered_stalled = 0;  // jobs this consumer's stalled checks moved back to wait
  int64_t lost_locks = 0;         // finishes refused because the lock was gone or taken
};

// Workers alive on `queue` across every machine sharing the Redis: the clients named as BullMQ
// workers name their connection (CLIENT LIST; `P:<base64(Q)>` or `P:<base64(Q)>:w:<name>`, the
// names Queue.getWorkers() and Bull Board look for). A Consumer names exactly one connection so
// (its keeper's, kept connected), so each live consumer, ours or Node's, counts once.
// queue_unavailable when Redis cannot be reached. Opens (and closes) one connection per call;
// thread-safe.
Result<int64_t> CountLiveWorkers(const RedisOptions& redis, const QueueName& queue);

// Keeps the gauge `vidgen_workers_live` of `metrics` at CountLiveWorkers(redis, queue): a scrape
// hook (so it runs on the scraping thread) that asks Redis at most once a second; the last count
// stays while Redis cannot be reached. The hook owns copies of its arguments, so it stays valid
// for as long as `metrics` lives, whoever called this. Thread-safe.
void AddLiveWorkersGauge(obs::Metrics& metrics, RedisOptions redis, QueueName queue);

enum class CloseMode {
  kFinishCurrent,  // stop taking jobs; let running handlers finish and record their outcome
  kHandBack,       // also tell handlers to stop (IsStopping) and put their jobs back in wait
};

class Consumer {
 public:
  // `handler` is called concurrently from `options.concurrency` threads. `clock` is borrowed
  // (must outlive the consumer); null = system clock. Nothing runs until Start().
  Consumer(RedisOptions redis, QueueName queue, ConsumerOptions options, JobHandler handler,
           const Clock* clock = nullptr);
  // Closes with kFinishCurrent if still running.
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Starts the threads. invalid_argument for bad options. Redis being down is not an error:
  // the threads keep reconnecting.
  Status Start();
  // Stops taking jobs and joins every thread (see CloseMode). Locks of running jobs stay renewed
  // and cancel keys polled until their handlers return. Idempotent.
  void Close(CloseMode mode = CloseMode::kFinishCurrent);

  ConsumerStats stats() const;
  // Jobs this consumer is running right now.
  int active_jobs() const;

 private:
  struct ActiveJob;
  class Context;
  struct FetchResult;
  struct Slot;

  void SlotLoop(Slot* slot);
  void KeeperLoop();
  // Runs one job and finishes it; returns the next job handed back by the finish script.
  std::unique_ptr<FetchResult> ProcessJob(Slot* slot, Job job, bool cancel_requested);
  std::unique_ptr<FetchResult> Finish(Slot* slot, const Job& job, const JobOutcome& outcome,
                                      bool cancelled, bool lock_lost);
  // options_.follow_up's answer (nullopt when unset or when it throws).
  std::optional<FollowUp> BuildFollowUp(const Job& job, FinalState state,
                                        const JobOutcome& outcome);
  void WaitForWork(Slot* slot, int64_t next_delayed_ms);
  // Sleeps up to `ms` unless the consumer is closing. Returns false if closing.
  bool SleepUnlessClosing(int64_t ms);
  // Sleeps up to `ms` unless `stop` becomes true.
  void SleepUnless(int64_t ms, const std::atomic<bool>& stop);
  std::vector<std::string> FetchArgs(const std::string& token, int64_t now) const;

  QueueKeys keys_;
  const std::vector<std::string> worker_keys_;     // keys_.WorkerKeys(), built once
  const std::vector<std::string> completed_keys_;  // worker keys + completed
  const std::vector<std::string> failed_keys_;     // worker keys + failed
  QueueName queue_;
  RedisOptions redis_;
  ConsumerOptions options_;
  JobHandler handler_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::string worker_id_;  // random; job tokens are "<worker_id_>:<slot>"

  std::atomic<bool> closing_{false};
  std::atomic<bool> handing_back_{false};
  // The keeper outlives the job threads at close: running jobs keep their locks renewed.
  std::atomic<bool> keeper_stop_{false};
  mutable std::mutex mutex_;  // guards active_, the sleep cv, started_
  std::condition_variable wake_;
  std::map<std::string, std::shared_ptr<ActiveJob>> active_;
  bool started_ = false;
  bool closed_ = false;

  // Script calls of all job threads, combined into pipelines (see PipelinedConnection).
  std::unique_ptr<internal::PipelinedConnection> shared_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::thread keeper_;

  std::atomic<int64_t> completed_{0}, failed_{0}, retried_{0}, cancelled_{0}, recovered_{0},
      lost_locks_{0};
};

}  // namespace vg::queue

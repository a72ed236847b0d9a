// Producer: the queue's client side for API servers and tools. Adds jobs in BullMQ's layout,
// reads them back (state, progress, attempts, results, timestamps), counts and lists them,
// removes, pauses/resumes, cancels (API.md) and retries failed jobs. Each state change is one
// Lua script (EVALSHA), so it is atomic against Node BullMQ clients and our consumers.
//
// Thread safety: every method is thread-safe; calls share one connection and are serialised.
// A thread that calls into the queue gets SIGPIPE blocked (a dead Redis socket is an error,
// not a signal); the same holds for EventsReader.
// Errors: queue_unavailable while Redis is down (the connection is retried with backoff on the
// next call), not_found for an unknown job, and the codes named per method.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "queue/job.h"
#include "queue/queue_keys.h"
#include "queue/redis_options.h"

namespace vg::queue {

class IoWatcher;
namespace internal {
class RedisConnection;
class AsyncPipeline;
struct Reply;
}  // namespace internal

// A sorted set an add also writes (the API's per-owner index, OwnerIndex::KeyFor).
struct AddIndexEntry {
  std::string key;
  int64_t trim_below_ms = 0;
};

struct AddResult {
  std::string id;
  bool duplicated = false;  // a job with this custom id existed: nothing was changed
};

struct NewJob {
  std::string name;
  nlohmann::json data = nlohmann::json::object();
  JobOptions options;
};

// A job added to another queue of the same Redis by the very script call that ends a job (its
// webhook delivery: Consumer's follow_up, Producer::Cancel), so it exists if and only if that
// ending was accepted, whatever happens to the caller or the connection right after. A custom
// id (job.options.job_id) makes a repeated call add it only once.
struct FollowUp {
  QueueName queue;
  NewJob job;
};

// Appends `follow_up`'s add keys and its queue base + 8 add values to a script call's `keys`
// and `args` (the layout of lua/include/add.lua). invalid_argument for options Add refuses.
Status AppendFollowUp(const FollowUp& follow_up, int64_t now, std::vector<std::string>* keys,
                      std::vector<std::string>* args);

struct JobCounts {
  int64_t waiting = 0;
  int64_t prioritized = 0;
  int64_t delayed = 0;
  int64_t active = 0;
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t waiting_children = 0;
};

enum class CancelOutcome {
  kCancelled,        // was waiting/prioritized/delayed: now failed with reason "cancelled"
  kCancelRequested,  // is active: its worker sees the cancel key within its poll period
};

class Producer {
 public:
  // Does not connect yet: the first call does, so a Producer can be built while Redis is
  // down. `clock` (borrowed, must outlive the producer) gives job timestamps; null = system.
  Producer(RedisOptions redis, QueueName queue, const Clock* clock = nullptr);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  const QueueKeys& keys() const { return keys_; }

  // Adds one job. `data` is stored as JSON text. A custom id (options.job_id) must not be an
  // integer and must not contain ':' (invalid_argument); adding an existing custom id returns
  // it with duplicated=true and changes nothing. If this fails with queue_unavailable the job
  // may or may not have been stored: retry with a custom id to stay idempotent.
  Result<AddResult> Add(std::string_view name, const nlohmann::json& data,
                        const JobOptions& options = {});
  // Adds many jobs with few round trips (batches of jobs per script call, pipelined). Each
  // batch is atomic; the whole call is not.
  Result<std::vector<AddResult>> AddBulk(const std::vector<NewJob>& jobs);

  // The job with its state; not_found if there is no such job.
  Result<Job> GetJob(std::string_view id);
  // As GetJob, but `data` keeps only its top-level keys named in `data_keys`: the others (e.g.
  // a large stored template) are skipped while parsing and never built. For readers that need
  // a few fields of `data` (the API's status, list and cancel). A `data` that is not a JSON
  // object is read as GetJob reads it.
  Result<Job> GetJobSummary(std::string_view id, std::span<const std::string_view> data_keys);
  Result<JobCounts> GetCounts();
  // Jobs in `state`, newest first, skipping `offset` and returning at most `limit`. Ids whose
  // hash is gone are skipped.
  Result<std::vector<Job>> ListJobs(JobState state, int64_t offset, int64_t limit);

  // Removes a job that no worker holds: invalid_argument if it is active (locked).
  Status Remove(std::string_view id);
  // 6.x pause: workers stop taking jobs; jobs keep waiting in `wait`.
  Status Pause();
  Status Resume();
  Result<bool> IsPaused();

  // API.md cancel: already_finished for a completed or failed job, not_found for none,
  // invalid_argument for a job waiting for children. With `follow_up`, the same script call adds
  // it when the job is cancelled there (kCancelled; an active job's worker ends it instead).
  Result<CancelOutcome> Cancel(std::string_view id, const FollowUp* follow_up = nullptr);
  // Runs a failed (or cancelled) job again with a fresh attempt count (BullMQ's retryJob):
  // not_retryable unless the job is failed.
  Status Retry(std::string_view id);

  // Appends a log line to a job (Bull Board shows it); not_found if no such job.
  Status AddLog(std::string_view id, std::string_view line);

  // Asynchronous forms, for servers that must not hold a thread while Redis answers (the API's
  // hot routes). Each call is written to the producer's own async connection (made by the first
  // such call) and returns at once; each `done` runs with the result the synchronous form would
  // give, on the thread of the IoWatcher that saw the reply (the caller's event loop, see
  // UseIoWatcher, or else a poll thread of the producer's). Callbacks run one at a time, in
  // order: keep them short, hand heavy work elsewhere; they may make further async calls.
  // `data_keys` must outlive the call. Destroying the producer runs or fails (queue_unavailable)
  // every queued call before it returns, so whatever `done` uses must outlive the producer.
  void GetJobSummaryAsync(std::string id, std::span<const std::string_view> data_keys,
                          std::function<void(Result<Job>)> done);
  // With `index`, the same script call also puts the new job (not a duplicate) in that sorted
  // set, scored by its timestamp, and trims the set below `index->trim_below_ms` (0: no trim):
  // what OwnerIndex::Add does, without a second round trip.
  void AddAsync(std::string_view name, const nlohmann::json& data, const JobOptions& options,
                std::function<void(Result<AddResult>)> done, const AddIndexEntry* index = nullptr);
  // Plain commands (e.g. OwnerIndex::AddCommands), sent in order; `done` gets the first error.
  void CommandsAsync(std::vector<std::vector<std::string>> commands,
                     std::function<void(Status)> done);
  // The async calls' replies are read on `watcher`'s loop (not owned, may be null; must outlive
  // the producer, whose async callbacks it must stop running before the producer is destroyed),
  // over `connections` connections taken in turn (one per loop thread keeps the callbacks of
  // many threads from queueing behind one reader). Call before the first async call.
  void UseIoWatcher(IoWatcher* watcher, int connections = 1);

 private:
  Result<internal::RedisConnection*> Connection();
  friend Status AppendFollowUp(const FollowUp& follow_up, int64_t now,
                               std::vector<std::string>* keys, std::vector<std::string>* args);
  // Validates one job's options and appends its 8 add_jobs arguments to `args`.
  static Status AppendAdd(std::vector<std::string>& args, std::string_view name,
                          const nlohmann::json& data, const JobOptions& options, int64_t now);
  // Runs add_jobs calls (each: base key, then 8 arguments per job), pipelined.
  Result<std::vector<AddResult>> RunAdds(std::vector<std::vector<std::string>> calls,
                                         size_t job_count);
  // GetJob and GetJobSummary: `data_keys` null = the whole of `data`.
  Result<Job> ReadJob(std::string_view id, const std::span<const std::string_view>* data_keys);
  std::vector<std::string> GetJobKeys(std::string_view id) const;
  const std::vector<std::string>& AddKeys() const { return add_keys_; }
  internal::AsyncPipeline& Async();

  QueueKeys keys_;
  std::vector<std::string> add_keys_;  // add_jobs' KEYS, built once
  SystemClock system_clock_;
  const Clock* clock_;
  std::mutex mutex_;  // serialises use of connection_
  std::unique_ptr<internal::RedisConnection> connection_;
  RedisOptions redis_;                                           // for the async connection
  std::mutex async_mutex_;                                       // guards the members below
  std::vector<std::unique_ptr<internal::AsyncPipeline>> async_;  // made by the first async call
  size_t next_async_ = 0;  // the connection the next async call takes
  IoWatcher* io_watcher_ = nullptr;
  int async_connections_ = 1;
};

// Checks a custom job id against BullMQ's rules (not an integer, no ':', not "0").
Status ValidateCustomJobId(std::string_view id);

}  // namespace vg::queue

// Consumer: job threads (fetch → handler → finish-and-fetch-next) and the keeper thread (lock
// renewal, cancel polling, stalled check), all over the embedded scripts.
#include "queue/consumer.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <optional>
#include <random>

#include "obs/log.h"
#include "obs/metrics.h"
#include "queue/backoff.h"
#include "queue/redis_connection.h"
#include "queue/scripts.h"

namespace vg::queue {
namespace {

using internal::HashPairs;
using internal::RedisConnection;
using internal::Reply;
using internal::Script;

std::string RandomHex(size_t chars) {
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device());
  std::string out;
  while (out.size() < chars) out += fmt::format("{:016x}", rng());
  out.resize(chars);
  return out;
}

void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

// JSON text that Node's JSON.parse accepts, whatever the handler returned (invalid UTF-8 is
// replaced rather than thrown).
std::string SafeDump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

struct Consumer::ActiveJob {
  ActiveJob(std::string i, std::string t) : id(std::move(i)), token(std::move(t)) {}
  const std::string id;
  const std::string token;
  std::atomic<bool> cancelled{false};
  std::atomic<bool> lock_lost{false};
};

struct Consumer::FetchResult {
  std::optional<Job> job;
  bool cancel_requested = false;
  int64_t rate_limit_pttl_ms = 0;
  int64_t next_delayed_ms = 0;
};

struct Consumer::Slot {
  int index = 0;
  std::string token;
  std::unique_ptr<RedisConnection> connection;  // only for the blocking BZPOPMIN
  std::mutex block_mutex;  // guards blocking (Close interrupts a blocked BZPOPMIN)
  bool blocking = false;
  std::mt19937_64 rng;
  std::thread thread;
};

class Consumer::Context final : public JobContext {
 public:
  Context(Consumer* consumer, Slot* slot, std::shared_ptr<ActiveJob> entry)
      : consumer_(consumer), slot_(slot), entry_(std::move(entry)) {}

  bool IsCancelled() const override { return entry_->cancelled.load(); }
  bool IsStopping() const override { return consumer_->handing_back_.load(); }
  bool LockLost() const override { return entry_->lock_lost.load(); }

  Status ReportProgress(const nlohmann::json& progress) override {
    const QueueKeys& k = consumer_->keys_;
    VG_ASSIGN_OR_RETURN(
        Reply reply, consumer_->shared_->Eval(Script("update_progress"),
                                              {k.Job(entry_->id), k.Key("events"), k.Key("meta")},
                                              {entry_->id, SafeDump(progress)}));
    if (reply.AsInteger() < 0) return internal::ScriptCodeStatus(-1, entry_->id);
    return Status::Ok();
  }

  Status Log(std::string_view line) override {
    const QueueKeys& k = consumer_->keys_;
    VG_ASSIGN_OR_RETURN(Reply reply, consumer_->shared_->Eval(
                                         Script("add_log"), {k.Job(entry_->id), k.Logs(entry_->id)},
                                         {std::string(line), "0"}));
    if (reply.AsInteger() < 0) return internal::ScriptCodeStatus(-1, entry_->id);
    return Status::Ok();
  }

 private:
  Consumer* consumer_;
  Slot* slot_;
  std::shared_ptr<ActiveJob> entry_;
};

Consumer::Consumer(RedisOptions redis, QueueName queue, ConsumerOptions options, JobHandler handler,
                   const Clock* clock)
    : keys_(queue),
      worker_keys_(keys_.WorkerKeys()),
      completed_keys_([this] {
        auto k = keys_.WorkerKeys();
        k.push_back(keys_.Key("completed"));
        return k;
      }()),
      failed_keys_([this] {
        auto k = keys_.WorkerKeys();
        k.push_back(keys_.Key("failed"));
        return k;
      }()),
      queue_(std::move(queue)),
      redis_(std::move(redis)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      clock_(clock ? clock : &system_clock_),
      worker_id_(RandomHex(16)) {}

Consumer::~Consumer() { Close(CloseMode::kFinishCurrent); }

Status Consumer::Start() {
  if (options_.concurrency < 1 || options_.lock_ms < 10 || options_.stalled_interval_ms < 10 ||
      options_.drain_delay_ms < 1 || options_.cancel_poll_ms < 1 || !handler_) {
    return Error(ErrorCode::kInvalidArgument,
                 "Consumer options need concurrency >= 1, lock and stalled interval >= 10 ms, "
                 "and a handler.");
  }
  if (options_.rate_limit.max > 0 && options_.rate_limit.duration_ms <= 0) {
    return Error(ErrorCode::kInvalidArgument, "A rate limit needs a duration.");
  }
  std::lock_guard lock(mutex_);
  if (started_) return Error(ErrorCode::kInvalidArgument, "The consumer was already started.");
  started_ = true;
  // Only the keeper's connection carries the worker name (see the header); the others are
  // named so that CLIENT LIST still shows whose they are, without counting as workers.
  const std::string connection_name = WorkerConnectionName(queue_, "") + ":wc";
  // Two lanes once several jobs run: Redis works on one batch while the other is prepared.
  shared_ = std::make_unique<internal::PipelinedConnection>(redis_, connection_name,
                                                            options_.concurrency > 1 ? 2 : 1);
  std::random_device device;
  for (int i = 0; i < options_.concurrency; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->index = i;
    slot->token = fmt::format("{}:{}", worker_id_, i);
    slot->connection = std::make_unique<RedisConnection>(redis_, connection_name);
    slot->rng.seed((static_cast<uint64_t>(device()) << 32) ^ device());
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) {
    Slot* s = slot.get();
    s->thread = std::thread([this, s] { SlotLoop(s); });
  }
  keeper_ = std::thread([this] { KeeperLoop(); });
  obs::Log(obs::Level::kInfo, "queue.consumer_started",
           {{"queue", queue_.name},
            {"concurrency", options_.concurrency},
            {"worker", options_.worker_name},
            {"redis", redis_.Describe()}});
  return Status::Ok();
}

void Consumer::Close(CloseMode mode) {
  {
    std::lock_guard lock(mutex_);
    if (!started_ || closed_) return;
    closed_ = true;
  }
  if (mode == CloseMode::kHandBack) handing_back_ = true;
  closing_ = true;
  wake_.notify_all();
  for (auto& slot : slots_) {
    std::lock_guard lock(slot->block_mutex);
    if (slot->blocking) slot->connection->Interrupt();
  }
  for (auto& slot : slots_) {
    if (slot->thread.joinable()) slot->thread.join();
  }
  keeper_stop_ = true;
  wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  obs::Log(obs::Level::kInfo, "queue.consumer_closed",
           {{"queue", queue_.name}, {"completed", completed_.load()}, {"failed", failed_.load()}});
}

ConsumerStats Consumer::stats() const {
  return {completed_.load(), failed_.load(),    retried_.load(),
          cancelled_.load(), recovered_.load(), lost_locks_.load()};
}

int Consumer::active_jobs() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(active_.size());
}

void Consumer::SleepUnless(int64_t ms, const std::atomic<bool>& stop) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [&stop] { return stop.load(); });
}

bool Consumer::SleepUnlessClosing(int64_t ms) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return closing_.load(); });
  return !closing_.load();
}

std::vector<std::string> Consumer::FetchArgs(const std::string& token, int64_t now) const {
  return {keys_.Base(),
          token,
          std::to_string(options_.lock_ms),
          std::to_string(now),
          std::to_string(options_.rate_limit.max),
          std::to_string(options_.rate_limit.duration_ms),
          options_.worker_name};
}

namespace {

// Decodes {code, id, hash, pttl, nextDelayed, cancel} as returned by the fetching scripts. The
// hash is the one read before the fetch's own write, so that write (ats+1, processedOn, pb) is
// applied here too.
void ParseFetch(const Reply& reply, int64_t now, const std::string& worker_name,
                std::optional<Job>* job, bool* cancel, int64_t* pttl, int64_t* next_delayed) {
  const auto& e = reply.elements;
  if (e.size() < 6) return;
  if (!e[1].text.empty()) {
    *job = JobFromHash(e[1].text, HashPairs(e[2]));
    (*job)->state = JobState::kActive;
    (*job)->attempts_started += 1;
    (*job)->processed_on_ms = now;
    if (!worker_name.empty()) (*job)->processed_by = worker_name;
  }
  *pttl = e[3].AsInteger();
  *next_delayed = e[4].AsInteger();
  *cancel = e[5].AsInteger() == 1;
}

}  // namespace

void Consumer::SlotLoop(Slot* slot) {
  NameThisThread("vg-queue-job");
  std::unique_ptr<FetchResult> next;
  int64_t error_backoff_ms = 0;
  while (!closing_) {
    if (!next || !next->job) {
      const int64_t now = clock_->NowUnixMs();
      Result<Reply> reply =
          shared_->Eval(Script("move_to_active"), worker_keys_, FetchArgs(slot->token, now));
      if (!reply.ok()) {
        error_backoff_ms = std::clamp<int64_t>(error_backoff_ms * 2, 50, 1000);
        if (reply.error().code() != ErrorCode::kQueueUnavailable) {
          obs::Log(obs::Level::kError, "queue.fetch_failed",
                   {{"queue", queue_.name}, {"error", reply.error().ToString()}});
        }
        SleepUnlessClosing(error_backoff_ms);
        continue;
      }
      error_backoff_ms = 0;
      next = std::make_unique<FetchResult>();
      ParseFetch(*reply, now, options_.worker_name, &next->job, &next->cancel_requested,
                 &next->rate_limit_pttl_ms, &next->next_delayed_ms);
      if (!next->job) {
        if (next->rate_limit_pttl_ms > 0) {
          SleepUnlessClosing(std::min<int64_t>(next->rate_limit_pttl_ms, 30000));
        } else {
          WaitForWork(slot, next->next_delayed_ms);
        }
        next.reset();
        continue;
      }
    }
    std::unique_ptr<FetchResult> current = std::move(next);
    next = ProcessJob(slot, std::move(*current->job), current->cancel_requested);
  }
  // A job handed to us by the last finish script while closing goes straight back.
  if (next && next->job) {
    Result<Reply> reply = shared_->Eval(Script("move_to_wait"), worker_keys_,
                                        {keys_.Base(), next->job->id, slot->token});
    if (!reply.ok()) {
      obs::Log(obs::Level::kWarn, "queue.hand_back_failed",
               {{"job", next->job->id}, {"error", reply.error().ToString()}});
    }
  }
}

void Consumer::WaitForWork(Slot* slot, int64_t next_delayed_ms) {
  int64_t timeout_ms = options_.drain_delay_ms;
  if (next_delayed_ms > 0) {
    timeout_ms = std::clamp<int64_t>(next_delayed_ms - clock_->NowUnixMs(), 1, timeout_ms);
  }
  {
    std::lock_guard lock(slot->block_mutex);
    if (closing_) return;
    slot->blocking = true;
  }
  Result<Reply> reply = slot->connection->BlockingCommand(
      {"BZPOPMIN", keys_.Key("marker"),
       fmt::format("{:.3f}", static_cast<double>(timeout_ms) / 1000)},
      timeout_ms);
  {
    std::lock_guard lock(slot->block_mutex);
    slot->blocking = false;
  }
  if (!reply.ok() && !closing_) SleepUnlessClosing(100);
}

std::unique_ptr<Consumer::FetchResult> Consumer::ProcessJob(Slot* slot, Job job,
                                                            bool cancel_requested) {
  auto entry = std::make_shared<ActiveJob>(job.id, slot->token);
  entry->cancelled = cancel_requested;
  {
    std::lock_guard lock(mutex_);
    active_[job.id] = entry;
  }
  JobOutcome outcome;
  if (!job.malformed.empty()) {
    outcome = JobOutcome::Failed(
        Error(ErrorCode::kInvalidArgument, "Malformed job: " + job.malformed + "."), Retry::kNever);
  } else if (!job.deferred_failure.empty()) {
    outcome = JobOutcome::Failed(Error(ErrorCode::kInternal, job.deferred_failure), Retry::kNever);
  } else if (!cancel_requested) {
    Context context(this, slot, entry);
    try {
      outcome = handler_(job, context);
    } catch (const std::exception& e) {
      outcome = JobOutcome::Failed(Error(ErrorCode::kInternal, e.what()));
    } catch (...) {
      outcome = JobOutcome::Failed(Error(ErrorCode::kInternal, "The job handler threw."));
    }
  }
  std::unique_ptr<FetchResult> next =
      Finish(slot, job, outcome, entry->cancelled.load(), entry->lock_lost.load());
  {
    std::lock_guard lock(mutex_);
    active_.erase(job.id);
  }
  return next;
}

std::unique_ptr<Consumer::FetchResult> Consumer::Finish(Slot* slot, const Job& job,
                                                        const JobOutcome& outcome, bool cancelled,
                                                        bool lock_lost) {
  const int64_t now = clock_->NowUnixMs();
  const bool fetch_next = !closing_;
  enum class Kind { kComplete, kFail, kRetry, kHandBack } kind;
  std::string reason;
  std::string error_code;
  if (cancelled) {
    kind = Kind::kFail;
    reason = "cancelled";
    error_code = ErrorCodeName(ErrorCode::kCancelled);
  } else if (outcome.ok()) {
    kind = Kind::kComplete;
  } else {
    reason = outcome.error().message();
    if (reason.empty()) reason = std::string(ErrorCodeName(outcome.error().code()));
    error_code = ErrorCodeName(outcome.error().code());
    if (handing_back_ && outcome.error().code() == ErrorCode::kCancelled) {
      kind = Kind::kHandBack;
    } else if (outcome.retry() == Retry::kAllowed && ShouldRetry(job.options, job.attempts_made)) {
      kind = Kind::kRetry;
    } else {
      kind = Kind::kFail;
    }
  }
  std::string stacktrace;
  if (kind == Kind::kFail || kind == Kind::kRetry) {
    nlohmann::json trace = nlohmann::json::array();
    for (const auto& line : job.stacktrace) trace.push_back(line);
    trace.push_back(fmt::format("{}: {}", error_code, reason));
    int limit = job.options.stack_trace_limit;
    if (limit > 0 && static_cast<int>(trace.size()) > limit) {
      trace.erase(trace.begin(), trace.begin() + (static_cast<int>(trace.size()) - limit));
    }
    stacktrace = SafeDump(trace);
  }

  const char* script_name = kind == Kind::kRetry      ? "retry_job"
                            : kind == Kind::kHandBack ? "move_to_wait"
                                                      : "move_to_finished";
  const std::vector<std::string>* keys = &worker_keys_;
  std::vector<std::string> args;
  std::vector<std::string> keys_with_follow_up;
  int64_t backoff_ms = 0;
  const FinalState final_state = kind == Kind::kComplete ? FinalState::kCompleted
                                 : cancelled             ? FinalState::kCancelled
                                                         : FinalState::kFailed;
  switch (kind) {
    case Kind::kComplete:
    case Kind::kFail: {
      const bool complete = kind == Kind::kComplete;
      keys = complete ? &completed_keys_ : &failed_keys_;
      KeepJobs keep = complete
                          ? job.options.remove_on_complete.value_or(options_.remove_on_complete)
                          : job.options.remove_on_fail.value_or(options_.remove_on_fail);
      args = {keys_.Base(),
              job.id,
              slot->token,
              std::to_string(now),
              complete ? "completed" : "failed",
              complete ? SafeDump(outcome.returnvalue()) : reason,
              std::to_string(keep.count),
              std::to_string(keep.age_seconds),
              std::to_string(keep.limit),
              fetch_next ? "1" : "0",
              std::to_string(options_.lock_ms),
              std::to_string(options_.rate_limit.max),
              std::to_string(options_.rate_limit.duration_ms),
              options_.worker_name,
              std::to_string(job.options.attempts),
              stacktrace,
              error_code,
              cancelled ? std::to_string(now) : "",
              std::to_string(job.attempts_made + 1),
              cancelled ? "1" : "0"};
      if (std::optional<FollowUp> follow_up = BuildFollowUp(job, final_state, outcome)) {
        const size_t finish_args = args.size();
        keys_with_follow_up = *keys;
        Status appended = AppendFollowUp(*follow_up, now, &keys_with_follow_up, &args);
        if (appended.ok()) {
          keys = &keys_with_follow_up;
        } else {
          args.resize(finish_args);  // the finish goes ahead without it
          obs::Log(obs::Level::kError, "queue.follow_up_refused",
                   {{"queue", queue_.name}, {"job", job.id}, {"error", appended.ToString()}});
        }
      }
      break;
    }
    case Kind::kRetry:
      backoff_ms = BackoffDelayMs(job.options.backoff, job.attempts_made,
                                  std::uniform_real_distribution<double>(0, 1)(slot->rng));
      args = {keys_.Base(),
              job.id,
              slot->token,
              std::to_string(now),
              std::to_string(backoff_ms),
              reason,
              stacktrace,
              error_code,
              job.options.lifo ? "1" : "0"};
      break;
    case Kind::kHandBack:
      args = {keys_.Base(), job.id, slot->token};
      break;
  }

  // Redis may be restarting: keep trying while our lock can still be valid.
  const auto give_up_at = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::max<int64_t>(options_.lock_ms, 10000));
  int64_t wait_ms = 50;
  Result<Reply> reply = Error(ErrorCode::kQueueUnavailable, "not sent");
  while (true) {
    reply = shared_->Eval(Script(script_name), *keys, args);
    if (reply.ok() || reply.error().code() != ErrorCode::kQueueUnavailable ||
        std::chrono::steady_clock::now() > give_up_at) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    wait_ms = std::min<int64_t>(wait_ms * 2, 1000);
  }
  if (!reply.ok()) {
    obs::Log(obs::Level::kError, "queue.finish_failed",
             {{"queue", queue_.name}, {"job", job.id}, {"error", reply.error().ToString()}});
    return nullptr;
  }
  int64_t code = reply->elements.empty() ? reply->AsInteger() : reply->elements[0].AsInteger();
  if (code < 0) {
    ++lost_locks_;
    obs::Log(obs::Level::kWarn, "queue.finish_refused",
             {{"queue", queue_.name},
              {"job", job.id},
              {"lock_lost_seen", lock_lost},
              {"error", internal::ScriptCodeStatus(code, job.id).message()}});
    return nullptr;
  }
  switch (kind) {
    case Kind::kComplete:
      ++completed_;
      break;
    case Kind::kFail:
      ++failed_;
      if (cancelled) ++cancelled_;
      obs::Log(obs::Level::kInfo, "queue.job_failed",
               {{"queue", queue_.name}, {"job", job.id}, {"reason", reason}, {"code", error_code}});
      break;
    case Kind::kRetry:
      ++retried_;
      obs::Log(obs::Level::kInfo, "queue.job_retry",
               {{"queue", queue_.name},
                {"job", job.id},
                {"reason", reason},
                {"backoff_ms", backoff_ms}});
      break;
    case Kind::kHandBack:
      break;
  }
  if (kind != Kind::kComplete && kind != Kind::kFail) return nullptr;
  if (options_.on_finished) {
    // Accepted by the queue with our lock: this consumer alone finalised the job.
    try {
      options_.on_finished(job, final_state, outcome);
    } catch (const std::exception& e) {
      obs::Log(obs::Level::kError, "queue.on_finished_threw",
               {{"job", job.id}, {"error", e.what()}});
    } catch (...) {
      obs::Log(obs::Level::kError, "queue.on_finished_threw", {{"job", job.id}});
    }
  }
  auto next = std::make_unique<FetchResult>();
  ParseFetch(*reply, now, options_.worker_name, &next->job, &next->cancel_requested,
             &next->rate_limit_pttl_ms, &next->next_delayed_ms);
  if (!next->job) return nullptr;
  return next;
}

std::optional<FollowUp> Consumer::BuildFollowUp(const Job& job, FinalState state,
                                                const JobOutcome& outcome) {
  if (!options_.follow_up) return std::nullopt;
  try {
    return options_.follow_up(job, state, outcome);
  } catch (const std::exception& e) {
    obs::Log(obs::Level::kError, "queue.follow_up_threw", {{"job", job.id}, {"error", e.what()}});
  } catch (...) {
    obs::Log(obs::Level::kError, "queue.follow_up_threw", {{"job", job.id}});
  }
  return std::nullopt;
}

void Consumer::KeeperLoop() {
  NameThisThread("vg-queue-keep");
  RedisConnection connection(redis_, WorkerConnectionName(queue_, options_.worker_name));
  const int64_t tick_ms =
      std::clamp<int64_t>(std::min(options_.cancel_poll_ms, options_.lock_ms / 4), 5, 1000);
  const int64_t renew_every_ms = std::max<int64_t>(options_.lock_ms / 4, 1);
  const int64_t stalled_every_ms = options_.stalled_interval_ms;
  auto last_renew = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> last_stalled;
  // The named connection must stay connected (and be re-named after a Redis restart) for the
  // worker to be seen: a PING when nothing else was sent for a while.
  const auto keep_alive = std::chrono::milliseconds(std::min<int64_t>(stalled_every_ms, 2000));
  auto last_sent = std::chrono::steady_clock::now() - keep_alive;
  while (!keeper_stop_) {
    std::vector<std::shared_ptr<ActiveJob>> entries;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, entry] : active_) entries.push_back(entry);
    }
    auto now = std::chrono::steady_clock::now();
    if (!entries.empty()) {
      std::vector<std::vector<std::string>> checks;
      for (const auto& e : entries) checks.push_back({"EXISTS", keys_.Cancel(e->id)});
      Result<std::vector<Reply>> exists = connection.Pipeline(checks);
      last_sent = now;
      if (exists.ok()) {
        for (size_t i = 0; i < entries.size(); ++i) {
          if ((*exists)[i].AsInteger() == 1 && !entries[i]->cancelled.exchange(true)) {
            obs::Log(obs::Level::kInfo, "queue.cancel_seen",
                     {{"queue", queue_.name}, {"job", entries[i]->id}});
          }
        }
      }
      if (now - last_renew >= std::chrono::milliseconds(renew_every_ms)) {
        std::vector<std::string> args = {keys_.Base(), std::to_string(options_.lock_ms)};
        for (const auto& e : entries) {
          args.push_back(e->id);
          args.push_back(e->token);
        }
        Result<Reply> lost = connection.Eval(Script("extend_locks"), {keys_.Key("stalled")}, args);
        if (lost.ok()) {
          last_renew = now;
          std::lock_guard lock(mutex_);
          for (const Reply& id : lost->elements) {
            // A job that finished since the snapshot released its lock: not lost.
            auto it = active_.find(id.text);
            for (const auto& e : entries) {
              if (e->id == id.text && it != active_.end() && it->second == e &&
                  !e->lock_lost.exchange(true)) {
                obs::Log(obs::Level::kWarn, "queue.lock_lost",
                         {{"queue", queue_.name}, {"job", e->id}});
              }
            }
          }
        }
      }
    } else {
      last_renew = now;
    }
    if (!closing_ &&
        (!last_stalled || now - *last_stalled >= std::chrono::milliseconds(stalled_every_ms))) {
      std::vector<std::string> keys = keys_.WorkerKeys();
      keys.push_back(keys_.Key("stalled-check"));
      Result<Reply> recovered =
          connection.Eval(Script("move_stalled_jobs"), keys,
                          {keys_.Base(), std::to_string(options_.max_stalled_count),
                           std::to_string(clock_->NowUnixMs()), std::to_string(stalled_every_ms)});
      last_sent = now;
      if (recovered.ok()) {
        last_stalled = now;
        for (const Reply& id : recovered->elements) {
          ++recovered_;
          obs::Log(obs::Level::kWarn, "queue.stalled_job_recovered",
                   {{"queue", queue_.name}, {"job", id.text}});
        }
      }
    }
    if (now - last_sent >= keep_alive) {
      last_sent = now;
      (void)connection.Command({"PING"});  // a failure reconnects on the next call
    }
    SleepUnless(tick_ms, keeper_stop_);
  }
}

Result<int64_t> CountLiveWorkers(const RedisOptions& redis, const QueueName& queue) {
  RedisConnection connection(redis, "");
  VG_ASSIGN_OR_RETURN(Reply list, connection.Command({"CLIENT", "LIST"}));
  // BullMQ's Queue.getWorkers matcher: the exact unnamed-worker name, or the named prefix.
  const std::string unnamed = WorkerConnectionName(queue, "");
  const std::string named = unnamed + ":w:";
  int64_t count = 0;
  size_t start = 0;
  const std::string& text = list.text;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    // Fields are space-separated key=value; a name never holds spaces.
    size_t at = line.find(" name=");
    if (at == std::string_view::npos) continue;
    std::string_view name = line.substr(at + 6);
    name = name.substr(0, name.find(' '));
    if (name == unnamed || name.substr(0, named.size()) == named) ++count;
  }
  return count;
}

void AddLiveWorkersGauge(obs::Metrics& metrics, RedisOptions redis, QueueName queue) {
  struct State {
    RedisOptions redis;
    QueueName queue;
    std::mutex mutex;
    std::optional<std::chrono::steady_clock::time_point> last;  // guarded by mutex
  };
  auto state = std::make_shared<State>();
  state->redis = std::move(redis);
  state->queue = std::move(queue);
  obs::Gauge* gauge =
      &metrics.gauge("vidgen_workers_live",
                     "Render workers alive on the queue, across every machine sharing Redis");
  metrics.AddScrapeHook([state, gauge] {
    std::lock_guard lock(state->mutex);
    const auto now = std::chrono::steady_clock::now();
    if (state->last && now - *state->last < std::chrono::seconds(1)) return;
    state->last = now;
    Result<int64_t> live = CountLiveWorkers(state->redis, state->queue);
    if (live.ok()) gauge->Set(static_cast<double>(*live));
  });
}

}  // namespace vg::queue

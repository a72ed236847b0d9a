// Worker: wiring of the consumer, the per-job render, webhooks, metrics and the storage sweep
// (see worker.h).
#include "worker/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "notify/webhooks.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "storage/blob_store.h"
#include "storage/local_store.h"

namespace vg::worker {
namespace {

std::string DefaultWorkerName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host[0] ? host : "vidgen", static_cast<long>(getpid()));
}

const char* EndingName(Ending ending) {
  switch (ending) {
    case Ending::kCompleted:
      return "completed";
    case Ending::kFailedRetry:
      return "retry";
    case Ending::kFailedFinal:
      return "failed";
    case Ending::kCancelled:
      return "cancelled";
    case Ending::kHandedBack:
      return "handed_back";
  }
  return "failed";
}

}  // namespace

queue::RedisOptions RedisOptionsOf(const config::Config& config) {
  queue::RedisOptions options;
  options.host = config.redis.host;
  options.port = config.redis.port;
  options.password = config.redis.password;
  options.db = config.redis.db;
  return options;
}

Worker::Worker(const config::Config& config, Dependencies dependencies, WorkerTuning tuning)
    : config_(config), deps_(dependencies), tuning_(std::move(tuning)) {
  if (deps_.clock == nullptr) deps_.clock = &system_clock_;
  if (tuning_.worker_name.empty()) tuning_.worker_name = DefaultWorkerName();
  settings_.limits = config_.limits;
  settings_.asset_dir = config_.asset_dir;
  settings_.allow_private_urls = config_.allow_private_urls;
  settings_.job_timeout_ms = config_.job_timeout_ms;
  settings_.temp_dir = tuning_.temp_dir;
  settings_.render_threads = tuning_.render_threads;
  if (settings_.render_threads <= 0) {
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    settings_.render_threads = std::max(1, cores / std::max(1, config_.worker_concurrency));
  }
}

Worker::~Worker() { Shutdown(std::chrono::milliseconds(0)); }

Status Worker::Start() {
  if (deps_.store == nullptr)
    return Error(ErrorCode::kInvalidArgument, "The worker needs a store.");
  if (started_) return Error(ErrorCode::kInvalidArgument, "The worker is already started.");
  queue::ConsumerOptions options;
  options.concurrency = config_.worker_concurrency;
  options.lock_ms = config_.job_lock_ms;
  options.stalled_interval_ms = config_.stalled_interval_ms;
  options.rate_limit.max = config_.rate_limit_max;
  options.rate_limit.duration_ms = config_.rate_limit_duration_ms;
  options.worker_name = tuning_.worker_name;
  options.drain_delay_ms = tuning_.drain_delay_ms;
  // Jobs added by Node producers without retention keep API.md's history.
  options.remove_on_complete =
      queue::KeepJobs{-1, int64_t{config_.completed_job_ttl_days} * 86400, 1000};
  options.remove_on_fail = queue::KeepJobs{-1, int64_t{config_.failed_job_ttl_days} * 86400, 1000};
  // The webhook delivery goes in with the job's final move (one script call), so it exists if
  // and only if the ending was accepted: no crash or Redis outage in between can lose it.
  options.follow_up = [this](const queue::Job& job, queue::FinalState state,
                             const queue::JobOutcome& outcome) {
    return WebhookDelivery(job, state, outcome);
  };
  options.on_finished = [this](const queue::Job& job, queue::FinalState state,
                               const queue::JobOutcome& /*outcome*/) {
    WebhookAccepted(job, state);
  };
  consumer_ = std::make_unique<queue::Consumer>(
      RedisOptionsOf(config_), queue::QueueName{config_.queue_prefix, config_.queue_name}, options,
      [this](const queue::Job& job, queue::JobContext& context) { return Handle(job, context); },
      deps_.clock);
  VG_RETURN_IF_ERROR(consumer_->Start());
  started_ = true;
  if (deps_.metrics != nullptr) {
    // Fleet-wide (API.md /metrics): every worker on the queue, on any machine.
    queue::AddLiveWorkersGauge(*deps_.metrics, RedisOptionsOf(config_),
                               queue::QueueName{config_.queue_prefix, config_.queue_name});
  }
  sweeper_ = std::thread([this] { SweepLoop(); });
  obs::Log(obs::Level::kInfo, "worker.started",
           {{"name", tuning_.worker_name},
            {"queue", config_.queue_name},
            {"concurrency", config_.worker_concurrency},
            {"render_threads", settings_.render_threads}});
  return Status::Ok();
}

void Worker::Shutdown(std::chrono::milliseconds grace) {
  if (!started_) return;
  started_ = false;
  // Running jobs keep their locks renewed while the consumer closes (queue::Consumer::Close),
  // so the grace may be longer than JOB_LOCK_MS.
  const int64_t grace_ms = std::max<int64_t>(grace.count(), 0);
  hand_back_at_unix_ms_.store(deps_.clock->NowUnixMs() + grace_ms);
  obs::Log(obs::Level::kInfo, "worker.stopping",
           {{"active", consumer_->active_jobs()}, {"grace_ms", static_cast<long long>(grace_ms)}});
  // kHandBack stops fetching at once; running handlers keep rendering until the deadline
  // above, then return kCancelled, which the consumer turns into a move back to wait.
  consumer_->Close(queue::CloseMode::kHandBack);
  {
    std::lock_guard lock(sweep_mutex_);
    stopping_ = true;
  }
  sweep_wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  const queue::ConsumerStats s = consumer_->stats();
  obs::Log(obs::Level::kInfo, "worker.stopped",
           {{"completed", static_cast<long long>(s.completed)},
            {"failed", static_cast<long long>(s.failed)},
            {"cancelled", static_cast<long long>(s.cancelled)}});
}

queue::ConsumerStats Worker::stats() const {
  return consumer_ ? consumer_->stats() : queue::ConsumerStats{};
}

int Worker::active_jobs() const { return consumer_ ? consumer_->active_jobs() : 0; }

queue::JobOutcome Worker::Handle(const queue::Job& job, queue::JobContext& context) {
  const auto started = std::chrono::steady_clock::now();
  obs::Log(obs::Level::kInfo, "worker.job_started",
           {{"job", job.id}, {"attempt", static_cast<long long>(job.attempts_made + 1)}});
  RenderJobEnv env;
  env.store = deps_.store;
  env.clock = deps_.clock;
  env.hand_back_at_unix_ms = &hand_back_at_unix_ms_;
  JobReport report = RunRenderJob(job, context, settings_, env);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (deps_.metrics != nullptr) {
    deps_.metrics
        ->histogram("vidgen_job_duration_seconds", "Render job attempts by outcome, in seconds",
                    obs::Metrics::JobDurationBuckets(), {{"outcome", EndingName(report.ending)}})
        .Observe(seconds);
    if (report.render_fps > 0) {
      deps_.metrics->gauge("vidgen_render_fps", "Frames per second of the latest render")
          .Set(report.render_fps);
    }
  }
  obs::Log(report.ending == Ending::kCompleted ? obs::Level::kInfo : obs::Level::kWarn,
           "worker.job_ended",
           {{"job", job.id},
            {"outcome", EndingName(report.ending)},
            {"seconds", seconds},
            {"error", report.outcome.ok() ? std::string() : report.outcome.error().ToString()}});
  // The webhook waits for the queue to accept the finish (on_finished, see Start).
  return report.outcome;
}

namespace {
// The delivery WebhookDelivery prepared on this job thread, for WebhookAccepted's log line (the
// consumer calls both on the same thread, one job at a time).
thread_local struct {
  std::string job_id;
  std::string webhook_id;
  std::string type;
} prepared_delivery;
}  // namespace

std::optional<queue::FollowUp> Worker::WebhookDelivery(const queue::Job& job,
                                                       queue::FinalState state,
                                                       const queue::JobOutcome& outcome) {
  prepared_delivery = {};
  if (deps_.webhooks == nullptr) return std::nullopt;
  std::optional<notify::WebhookEvent> wanted = notify::WebhookEventFor(job, state, outcome);
  if (!wanted) return std::nullopt;
  const notify::WebhookEvent& event = *wanted;
  Result<queue::FollowUp> delivery = deps_.webhooks->DeliveryFor(event);
  if (!delivery.ok()) {
    // A webhook failure never fails the job.
    obs::Log(obs::Level::kError, "worker.webhook_refused",
             {{"job", job.id}, {"type", event.type}, {"error", delivery.error().ToString()}});
    return std::nullopt;
  }
  prepared_delivery = {job.id, *delivery->job.options.job_id, event.type};
  return std::move(*delivery);
}

void Worker::WebhookAccepted(const queue::Job& job, queue::FinalState /*state*/) {
  if (prepared_delivery.job_id != job.id) return;
  obs::Log(obs::Level::kInfo, "webhook.enqueued",
           {{"job_id", job.id},
            {"webhook_id", prepared_delivery.webhook_id},
            {"type", prepared_delivery.type}});
  prepared_delivery = {};
}

void Worker::SweepLoop() {
  const int64_t ttl_ms = int64_t{std::max(config_.completed_job_ttl_days, 0)} * 86'400'000;
  std::unique_lock lock(sweep_mutex_);
  while (!stopping_) {
    lock.unlock();
    // Idempotent: every worker may sweep; deleting an absent object is not an error.
    Status s = storage::SweepOlderThan(*deps_.store, deps_.clock->NowUnixMs() - ttl_ms);
    if (!s.ok()) {
      obs::Log(obs::Level::kWarn, "worker.sweep_failed", {{"error", s.ToString()}});
    }
    lock.lock();
    sweep_wake_.wait_for(lock, tuning_.sweep_interval, [this] { return stopping_; });
  }
}

}  // namespace vg::worker

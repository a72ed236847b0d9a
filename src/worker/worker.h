// Worker: the render side of the service (`vidgen worker`, and half of `vidgen serve`). A
// queue::Consumer on QUEUE_NAME with WORKER_CONCURRENCY job threads, the global rate limit,
// JOB_LOCK_MS and STALLED_INTERVAL_MS runs RunRenderJob for each job; the worker that finalises
// a job (completed, failed for the last time, cancelled while active) enqueues its webhook, only
// once the queue accepted that final move (queue::FinishedHandler): a finish refused for a lost
// lock sends nothing, and jobs the queue ends without a render (a job stalled more than allowed,
// failed by BullMQ's deferred failure; a malformed job; a cancel seen at fetch) still get theirs;
// a sweep thread deletes stored objects older than the history's TTL.
//
// Lifecycle: construct → Start() → Shutdown(grace) (or the destructor, which shuts down with no
// grace). Shutdown takes no new job, lets running renders finish for `grace`, then hands the
// rest back to wait at once (no stall delay). Thread safety: Start and Shutdown are called from
// one owning thread; everything else runs on the worker's own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "queue/consumer.h"
#include "worker/render_job.h"

namespace vg::notify {
class WebhookQueue;
}
namespace vg::obs {
class Metrics;
}
namespace vg::storage {
class BlobStore;
}

namespace vg::worker {

// Borrowed collaborators; each must outlive the Worker.
struct Dependencies {
  storage::BlobStore* store = nullptr;       // required: where results go
  notify::WebhookQueue* webhooks = nullptr;  // null: no webhooks are sent
  obs::Metrics* metrics = nullptr;           // null: no metrics
  const Clock* clock = nullptr;              // null: the system clock
};

// Knobs that are not configuration (tests shorten them).
struct WorkerTuning {
  std::string worker_name;  // BullMQ worker name; default "<host>:<pid>"
  std::chrono::milliseconds sweep_interval{std::chrono::minutes(10)};
  std::string temp_dir;           // per-job temp folders; "" = system temp
  int render_threads = 0;         // per job; 0 = cores / WORKER_CONCURRENCY
  int64_t drain_delay_ms = 5000;  // longest idle block on the queue's marker
};

class Worker {
 public:
  Worker(const config::Config& config, Dependencies dependencies, WorkerTuning tuning = {});
  ~Worker();  // Shutdown(0) when still running
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the consumer and the sweep thread. invalid_argument without a store or for bad
  // options. Redis being down is not an error (the consumer keeps reconnecting).
  Status Start();
  // See the file comment. Idempotent; returns when every thread has stopped.
  void Shutdown(std::chrono::milliseconds grace);

  queue::ConsumerStats stats() const;
  int active_jobs() const;

 private:
  queue::JobOutcome Handle(const queue::Job& job, queue::JobContext& context);
  // The job's webhook delivery (notify::WebhookQueue::DeliveryFor), added by the script call
  // that ends the job; nullopt without webhooks or a webhookUrl.
  std::optional<queue::FollowUp> WebhookDelivery(const queue::Job& job, queue::FinalState state,
                                                 const queue::JobOutcome& outcome);
  // Logs the delivery WebhookDelivery prepared once the queue accepted the ending.
  void WebhookAccepted(const queue::Job& job, queue::FinalState state);
  void SweepLoop();

  config::Config config_;
  Dependencies deps_;
  WorkerTuning tuning_;
  SystemClock system_clock_;
  RenderJobSettings settings_;
  std::atomic<int64_t> hand_back_at_unix_ms_{0};
  std::unique_ptr<queue::Consumer> consumer_;

  std::mutex sweep_mutex_;
  std::condition_variable sweep_wake_;
  bool stopping_ = false;  // guarded by sweep_mutex_
  bool started_ = false;
  std::thread sweeper_;
};

// The queue::RedisOptions of a configuration's REDIS_* settings.
queue::RedisOptions RedisOptionsOf(const config::Config& config);

}  // namespace vg::worker

// Webhooks (API.md "Webhooks"): when a job completes, fails for the last time or is cancelled,
// the process that finalises it adds a delivery job to the BullMQ queue `<QUEUE_NAME>-webhooks`
// in the same script call that ends the job (WebhookQueue::DeliveryFor + queue::FollowUp), so
// a delivery exists if and only if the ending happened and pending deliveries survive restarts; a
// WebhookDeliverer consumes that queue and POSTs the `{type, timestamp, data}` envelope to the
// job's webhookUrl, signed per Standard Webhooks (webhook-id / webhook-timestamp /
// webhook-signature). A non-2xx answer or a timeout (10 s) fails the attempt and the queue
// retries it: 5 tries, 1 s × 2ⁿ apart, with the same webhook-id every time. Redirects are never
// followed. A webhook failure never fails the render job.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "net/http_client.h"
#include "obs/metrics.h"
#include "queue/consumer.h"
#include "queue/producer.h"
#include "queue/redis_options.h"

namespace vg::queue {
class Consumer;
}  // namespace vg::queue

namespace vg::notify {

// "v1,<base64 HMAC-SHA256(key, "<msg_id>.<timestamp_s>.<body>")>" where key is the base64
// decoding of `secret_whsec` after its "whsec_" prefix (a secret without the prefix is decoded
// whole). Returns "" when the secret is not valid base64 (config rejects such secrets).
std::string SignStandardWebhook(std::string_view secret_whsec, std::string_view msg_id,
                                int64_t timestamp_s, std::string_view body);

// True when `secret` is "whsec_" followed by standard base64 of at least one byte.
bool IsValidWebhookSecret(std::string_view secret);

struct WebhookEvent {
  std::string url;     // the job's webhookUrl (http/https)
  std::string type;    // video.completed | video.failed | video.cancelled
  std::string job_id;  // the render job's id
  // {jobId, status, result | error, metadata}: the envelope's `data`.
  nlohmann::json data = nlohmann::json::object();
};

// The webhook of a render job's ending (API.md "Webhooks"): video.completed with the result,
// video.failed with the error, video.cancelled; `data` {jobId, status, result | error,
// metadata}. `outcome` is read for completed and failed only. nullopt when the job's data asks
// for no webhook (no non-empty string webhookUrl).
std::optional<WebhookEvent> WebhookEventFor(const queue::Job& job, queue::FinalState state,
                                            const queue::JobOutcome& outcome);

// The exact body POSTed: {"type":…, "timestamp":"<ISO-8601 of timestamp_ms>", "data":…}.
std::string BuildWebhookBody(const WebhookEvent& event, int64_t timestamp_ms);

// The webhooks queue of a render queue: same prefix, name "<name>-webhooks".
queue::QueueName WebhookQueueName(const queue::QueueName& render_queue);

// Producer side. Thread-safe (one shared connection, calls serialised). Does not connect until
// the first Enqueue, so it can be built while Redis is down.
class WebhookQueue {
 public:
  // `render_queue` is the render queue (QUEUE_PREFIX, QUEUE_NAME); deliveries go to
  // WebhookQueueName(render_queue). `clock` is borrowed (null = system clock).
  // `retry_for`: how long Enqueue keeps trying while Redis is unavailable (a restart, a
  // failover) before it gives up, with the same delivery id each time.
  WebhookQueue(queue::RedisOptions redis, queue::QueueName render_queue,
               const Clock* clock = nullptr,
               std::chrono::milliseconds retry_for = std::chrono::seconds(20));
  ~WebhookQueue();
  WebhookQueue(const WebhookQueue&) = delete;
  WebhookQueue& operator=(const WebhookQueue&) = delete;

  // Adds one delivery job (name "deliver", attempts 5, exponential backoff 1000 ms). The
  // event's webhook-id ("msg_<hex>") and timestamp are fixed here, so every retry sends the
  // same id and body. While Redis is unavailable it retries (backoff 100 ms doubling to 2 s)
  // for up to `retry_for`, blocking the caller: a job's outcome is not lost to a short Redis
  // restart. kInvalidArgument for an empty url or an unknown type; kQueueUnavailable when
  // Redis stayed down.
  Status Enqueue(const WebhookEvent& event);

  // The delivery job of `event` (what Enqueue adds: a fresh webhook-id as its job id, the
  // timestamp fixed now) for the script call that ends the render job to add with it
  // (queue::FollowUp): the delivery then exists if and only if that ending was accepted, with
  // no window in which a crash or a Redis outage loses it. Same errors as Enqueue's validation.
  Result<queue::FollowUp> DeliveryFor(const WebhookEvent& event) const;

 private:
  queue::QueueName queue_;  // the webhooks queue
  std::unique_ptr<queue::Producer> producer_;
  std::chrono::milliseconds retry_for_;
  SystemClock system_clock_;
  const Clock* clock_;
};

struct WebhookDelivererOptions {
  int concurrency = 4;      // deliveries at once
  int timeout_ms = 10000;   // per POST, connection included
  int64_t lock_ms = 30000;  // queue lock (JOB_LOCK_MS)
  int64_t stalled_interval_ms = 30000;
  // Optional: rewrites an event's `data` just before each POST (e.g. to sign result URLs
  // afresh, which are never stored in Redis). Called on delivery threads; must be thread-safe.
  std::function<nlohmann::json(const nlohmann::json& data)> prepare_data;
};

// Consumer side: runs delivery jobs on its own threads (the queue consumer's). Thread-safe:
// Start and Stop may be called from any thread (Stop is idempotent and joins the threads).
class WebhookDeliverer {
 public:
  // `secret` is WEBHOOK_SECRET ("" = send unsigned). `http` (borrowed, must outlive this) does
  // the POSTs; build it with allow_private_addresses = ALLOW_PRIVATE_URLS so private addresses
  // are refused by default. `metrics` (borrowed, may be null) gets
  // vidgen_webhook_deliveries_total{outcome="delivered|retry|failed"}.
  WebhookDeliverer(queue::RedisOptions redis, queue::QueueName render_queue, std::string secret,
                   net::HttpClient& http, obs::Metrics* metrics,
                   WebhookDelivererOptions options = {}, const Clock* clock = nullptr);
  ~WebhookDeliverer();  // Stop()
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

  Status Start();
  // Stops taking deliveries; running POSTs finish (at most timeout_ms). Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vg::notify

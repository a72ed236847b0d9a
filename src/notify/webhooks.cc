// Standard Webhooks signing, the delivery envelope, and the webhooks queue's producer and
// consumer (see webhooks.h).
#include "notify/webhooks.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "base/check.h"
#include "net/url.h"
#include "obs/log.h"
#include "queue/consumer.h"
#include "queue/producer.h"

namespace vg::notify {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr int kDeliveryAttempts = 5;
constexpr int64_t kFirstBackoffMs = 1000;
constexpr char kJobName[] = "deliver";

bool IsEventType(std::string_view type) {
  return type == "video.completed" || type == "video.failed" || type == "video.cancelled";
}

// Standard base64 (with padding) → bytes; nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool valid = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' ||
                       (c == '=' && i + 2 >= text.size());
    if (!valid) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (decoded < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes: drop them.
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(decoded) - padding);
  return out;
}

std::string EncodeBase64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string RandomMessageId() {
  unsigned char bytes[16];
  VG_CHECK(RAND_bytes(bytes, sizeof(bytes)) == 1);  // OpenSSL's CSPRNG never fails on Linux
  std::string id = "msg_";
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

}  // namespace

std::string SignStandardWebhook(std::string_view secret_whsec, std::string_view msg_id,
                                int64_t timestamp_s, std::string_view body) {
  std::string_view encoded = secret_whsec;
  if (encoded.substr(0, kSecretPrefix.size()) == kSecretPrefix) {
    encoded.remove_prefix(kSecretPrefix.size());
  }
  auto key = DecodeBase64(encoded);
  if (!key || key->empty()) return "";
  std::string message;
  message.reserve(msg_id.size() + body.size() + 24);
  message.append(msg_id);
  message += '.';
  message += std::to_string(timestamp_s);
  message += '.';
  message.append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
       &digest_size);
  return "v1," + EncodeBase64(digest, digest_size);
}

bool IsValidWebhookSecret(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix) return false;
  auto key = DecodeBase64(secret.substr(kSecretPrefix.size()));
  return key && !key->empty();
}

std::optional<WebhookEvent> WebhookEventFor(const queue::Job& job, queue::FinalState state,
                                            const queue::JobOutcome& outcome) {
  if (!job.data.is_object()) return std::nullopt;
  auto url = job.data.find("webhookUrl");
  if (url == job.data.end() || !url->is_string() || url->get<std::string>().empty()) {
    return std::nullopt;
  }
  WebhookEvent event;
  event.url = url->get<std::string>();
  event.job_id = job.id;
  event.data = {{"jobId", job.id}};
  switch (state) {
    case queue::FinalState::kCompleted:
      event.type = "video.completed";
      event.data["status"] = "completed";
      event.data["result"] = outcome.returnvalue();
      break;
    case queue::FinalState::kFailed:
      event.type = "video.failed";
      event.data["status"] = "failed";
      event.data["error"] = {{"code", ErrorCodeName(outcome.error().code())},
                             {"message", outcome.error().message()}};
      break;
    case queue::FinalState::kCancelled:
      event.type = "video.cancelled";
      event.data["status"] = "cancelled";
      break;
  }
  auto metadata = job.data.find("metadata");
  if (metadata != job.data.end() && !metadata->is_null()) event.data["metadata"] = *metadata;
  return event;
}

std::string BuildWebhookBody(const WebhookEvent& event, int64_t timestamp_ms) {
  nlohmann::ordered_json envelope;
  envelope["type"] = event.type;
  envelope["timestamp"] = FormatIsoUtc(timestamp_ms);
  envelope["data"] = event.data;
  // Replace invalid UTF-8 rather than throwing: the body must always be sendable.
  return envelope.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

queue::QueueName WebhookQueueName(const queue::QueueName& render_queue) {
  return {render_queue.prefix, render_queue.name + "-webhooks"};
}

// ---------------------------------------------------------------------------------------------
// Producer side.

WebhookQueue::WebhookQueue(queue::RedisOptions redis, queue::QueueName render_queue,
                           const Clock* clock, std::chrono::milliseconds retry_for)
    : queue_(WebhookQueueName(render_queue)),
      producer_(std::make_unique<queue::Producer>(std::move(redis), queue_, clock)),
      retry_for_(retry_for),
      clock_(clock != nullptr ? clock : &system_clock_) {}

WebhookQueue::~WebhookQueue() = default;

Result<queue::FollowUp> WebhookQueue::DeliveryFor(const WebhookEvent& event) const {
  if (!net::HasHttpScheme(event.url)) {
    return Status(ErrorCode::kInvalidArgument, "The webhook URL must be http:// or https://.");
  }
  if (!IsEventType(event.type)) {
    return Status(ErrorCode::kInvalidArgument, "Unknown webhook event type: " + event.type);
  }
  const std::string message_id = RandomMessageId();
  queue::FollowUp delivery;
  delivery.queue = queue_;
  delivery.job.name = kJobName;
  delivery.job.data = {{"id", message_id},
                       {"url", event.url},
                       {"type", event.type},
                       {"jobId", event.job_id},
                       {"timestamp", clock_->NowUnixMs()},
                       {"data", event.data}};
  queue::JobOptions& options = delivery.job.options;
  options.job_id = message_id;
  options.attempts = kDeliveryAttempts;
  options.backoff = {queue::Backoff::Type::kExponential, kFirstBackoffMs, 0};
  options.remove_on_complete = queue::KeepJobs{-1, 86400, 1000};
  options.remove_on_fail = queue::KeepJobs{-1, 7 * 86400, 1000};
  return delivery;
}

Status WebhookQueue::Enqueue(const WebhookEvent& event) {
  VG_ASSIGN_OR_RETURN(queue::FollowUp delivery, DeliveryFor(event));
  const std::string& message_id = *delivery.job.options.job_id;
  const nlohmann::json& data = delivery.job.data;
  const queue::JobOptions& options = delivery.job.options;
  // The same id on every try: an add that reached Redis before the connection broke is found
  // as a duplicate, never queued twice.
  auto added = producer_->Add(kJobName, data, options);
  const auto give_up_at = std::chrono::steady_clock::now() + retry_for_;
  std::chrono::milliseconds wait(100);
  while (!added.ok() && added.error().code() == ErrorCode::kQueueUnavailable &&
         std::chrono::steady_clock::now() + wait < give_up_at) {
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(2000));
    added = producer_->Add(kJobName, data, options);
  }
  if (!added.ok()) {
    obs::Log(obs::Level::kWarn, "webhook.enqueue_failed",
             {{"job_id", event.job_id}, {"error", added.error().ToString()}});
    return added.error();
  }
  obs::Log(obs::Level::kInfo, "webhook.enqueued",
           {{"job_id", event.job_id}, {"webhook_id", message_id}, {"type", event.type}});
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Consumer side.

class WebhookDeliverer::Impl {
 public:
  Impl(queue::RedisOptions redis, queue::QueueName render_queue, std::string secret,
       net::HttpClient& http, obs::Metrics* metrics, WebhookDelivererOptions options,
       const Clock* clock)
      : redis_(std::move(redis)),
        queue_(WebhookQueueName(render_queue)),
        secret_(std::move(secret)),
        http_(http),
        options_(std::move(options)),
        clock_(clock != nullptr ? clock : &system_clock_) {
    if (metrics != nullptr) {
      const char* help = "Webhook delivery attempts by outcome (delivered, retry, failed).";
      delivered_ =
          &metrics->counter("vidgen_webhook_deliveries_total", help, {{"outcome", "delivered"}});
      retried_ = &metrics->counter("vidgen_webhook_deliveries_total", help, {{"outcome", "retry"}});
      failed_ = &metrics->counter("vidgen_webhook_deliveries_total", help, {{"outcome", "failed"}});
    }
  }

  Status Start() {
    if (consumer_) return Status::Ok();
    queue::ConsumerOptions consumer_options;
    consumer_options.concurrency = std::max(1, options_.concurrency);
    consumer_options.lock_ms = options_.lock_ms;
    consumer_options.stalled_interval_ms = options_.stalled_interval_ms;
    consumer_options.worker_name = "vidgen-webhooks";
    consumer_ = std::make_unique<queue::Consumer>(
        redis_, queue_, consumer_options,
        [this](const queue::Job& job, queue::JobContext&) { return Deliver(job); }, clock_);
    Status status = consumer_->Start();
    if (!status.ok()) consumer_.reset();
    return status;
  }

  void Stop() {
    if (consumer_) consumer_->Close(queue::CloseMode::kFinishCurrent);
  }

 private:
  queue::JobOutcome Deliver(const queue::Job& job) {
    const nlohmann::json& data = job.data;
    const bool well_formed = data.is_object() && data.contains("id") && data["id"].is_string() &&
                             data.contains("url") && data["url"].is_string() &&
                             data.contains("type") && data["type"].is_string() &&
                             data.contains("timestamp") && data["timestamp"].is_number_integer();
    if (!well_formed) {
      Count(failed_);
      obs::Log(obs::Level::kError, "webhook.malformed_job", {{"delivery", job.id}});
      return queue::JobOutcome::Failed(
          Status(ErrorCode::kInvalidArgument, "malformed webhook delivery job"),
          queue::Retry::kNever);
    }
    WebhookEvent event;
    event.url = data["url"].get<std::string>();
    event.type = data["type"].get<std::string>();
    event.job_id = data.value("jobId", "");
    event.data = data.value("data", nlohmann::json::object());
    if (options_.prepare_data) event.data = options_.prepare_data(event.data);
    const std::string message_id = data["id"].get<std::string>();
    const std::string body = BuildWebhookBody(event, data["timestamp"].get<int64_t>());
    const int64_t timestamp_s = clock_->NowUnixMs() / 1000;

    net::HttpRequest request;
    request.url = event.url;
    request.body = body;
    request.timeout_ms = options_.timeout_ms;
    request.connect_timeout_ms = std::min(options_.timeout_ms, 10000);
    request.max_response_bytes = 1 << 20;  // receivers' answers are ignored; keep them small
    request.max_redirects = 0;
    request.headers = {{"Content-Type", "application/json"},
                       {"webhook-id", message_id},
                       {"webhook-timestamp", std::to_string(timestamp_s)}};
    if (!secret_.empty()) {
      request.headers.push_back(
          {"webhook-signature", SignStandardWebhook(secret_, message_id, timestamp_s, body)});
    }
    const auto started = std::chrono::steady_clock::now();
    net::HttpResult result = http_.Post(request);
    const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
    const int64_t attempt = job.attempts_made + 1;
    const std::string target = net::RedactUrl(event.url);
    if (result.ok()) {
      Count(delivered_);
      obs::Log(obs::Level::kInfo, "webhook.delivered",
               {{"job_id", event.job_id},
                {"webhook_id", message_id},
                {"type", event.type},
                {"url", target},
                {"status", result.value().status},
                {"attempt", static_cast<long long>(attempt)},
                {"ms", static_cast<long long>(elapsed_ms)}});
      return queue::JobOutcome::Completed(
          nlohmann::json{{"status", result.value().status}, {"attempt", attempt}});
    }
    const net::HttpError& error = result.error();
    // A refused address or a malformed URL will not change on a retry.
    const bool permanent = error.kind == net::HttpErrorKind::kRefusedAddress ||
                           error.kind == net::HttpErrorKind::kInvalidUrl;
    const int attempts = std::max(job.options.attempts, 1);
    const bool will_retry = !permanent && attempt < attempts;
    Count(will_retry ? retried_ : failed_);
    obs::Log(will_retry ? obs::Level::kWarn : obs::Level::kError,
             will_retry ? "webhook.attempt_failed" : "webhook.failed",
             {{"job_id", event.job_id},
              {"webhook_id", message_id},
              {"type", event.type},
              {"url", target},
              {"error", error.message},
              {"status", error.http_status},
              {"attempt", static_cast<long long>(attempt)},
              {"attempts", attempts},
              {"ms", static_cast<long long>(elapsed_ms)}});
    return queue::JobOutcome::Failed(
        Status(ErrorCode::kInternal, "webhook delivery failed: " + error.message),
        permanent ? queue::Retry::kNever : queue::Retry::kAllowed);
  }

  static void Count(obs::Counter* counter) {
    if (counter != nullptr) counter->Increment();
  }

  queue::RedisOptions redis_;
  queue::QueueName queue_;
  std::string secret_;
  net::HttpClient& http_;
  WebhookDelivererOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  obs::Counter* delivered_ = nullptr;
  obs::Counter* retried_ = nullptr;
  obs::Counter* failed_ = nullptr;
  std::unique_ptr<queue::Consumer> consumer_;
};

WebhookDeliverer::WebhookDeliverer(queue::RedisOptions redis, queue::QueueName render_queue,
                                   std::string secret, net::HttpClient& http, obs::Metrics* metrics,
                                   WebhookDelivererOptions options, const Clock* clock)
    : impl_(std::make_unique<Impl>(std::move(redis), std::move(render_queue), std::move(secret),
                                   http, metrics, std::move(options), clock)) {}

WebhookDeliverer::~WebhookDeliverer() { Stop(); }

Status WebhookDeliverer::Start() { return impl_->Start(); }

void WebhookDeliverer::Stop() { impl_->Stop(); }

}  // namespace vg::notify

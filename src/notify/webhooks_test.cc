// Tests of notify: Standard Webhooks signature vectors, the envelope, and deliveries through a
// real redis-server to a loopback receiver (retries with the same webhook-id and backoff 1 s,
// 2 s; unsigned without a secret; private addresses refused; timeouts retried).
#include "notify/webhooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "net/curl_http_client.h"
#include "net/test_http_server.h"
#include "support/redis_server.h"

namespace vg::notify {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr char kSecret[] = "whsec_c3RvcmFnZS13ZWJob29rcy10ZXN0LXNlY3JldC0zMmI=";

TEST(SignStandardWebhookTest, MatchesThePublishedVector) {
  EXPECT_EQ(
      SignStandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                          1614265330, R"({"test": 2432232314})"),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(SignStandardWebhookTest, MatchesTheEvaluationVector) {
  EXPECT_EQ(SignStandardWebhook(kSecret, "msg_2xRenderDone0001", 1764000000,
                                R"({"type":"render.completed","data":{"renderId":"r_123",)"
                                R"("url":"https://example.com/v.mp4","bytes":52428800}})"),
            "v1,vcJtCi6S8nPFYDlU49GcCcchUQL2YrBfgZWHBegN9Ok=");
}

TEST(SignStandardWebhookTest, EveryInputChangesTheSignature) {
  const std::string base = SignStandardWebhook(kSecret, "msg_1", 100, "{}");
  EXPECT_NE(SignStandardWebhook(kSecret, "msg_2", 100, "{}"), base);
  EXPECT_NE(SignStandardWebhook(kSecret, "msg_1", 101, "{}"), base);
  EXPECT_NE(SignStandardWebhook(kSecret, "msg_1", 100, "{ }"), base);
  EXPECT_NE(SignStandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 100, "{}"),
            base);
  EXPECT_EQ(SignStandardWebhook("whsec_%%%%", "msg_1", 100, "{}"), "");
}

TEST(SignStandardWebhookTest, SecretValidation) {
  EXPECT_TRUE(IsValidWebhookSecret(kSecret));
  EXPECT_FALSE(IsValidWebhookSecret("c3RvcmFnZS13ZWJob29rcw=="));  // no prefix
  EXPECT_FALSE(IsValidWebhookSecret("whsec_"));
  EXPECT_FALSE(IsValidWebhookSecret("whsec_abc"));  // not a multiple of 4
}

TEST(WebhookBodyTest, EnvelopeIsTypeTimestampData) {
  WebhookEvent event;
  event.type = "video.completed";
  event.job_id = "42";
  event.data = {{"jobId", "42"}, {"status", "completed"}, {"metadata", {{"orderId", "A-17"}}}};
  EXPECT_EQ(BuildWebhookBody(event, 1764000000123),
            R"({"type":"video.completed","timestamp":"2025-11-24T16:00:00.123Z",)"
            R"("data":{"jobId":"42","metadata":{"orderId":"A-17"},"status":"completed"}})");
}

TEST(WebhookQueueTest, QueueNameAndValidation) {
  const auto name = WebhookQueueName({"bull", "video"});
  EXPECT_EQ(name.prefix, "bull");
  EXPECT_EQ(name.name, "video-webhooks");
  // Validation happens before Redis is touched (nothing listens on port 1).
  queue::RedisOptions nowhere;
  nowhere.port = 1;
  nowhere.connect_timeout_ms = 500;
  WebhookQueue queue(nowhere, {"bull", "video"});
  EXPECT_EQ(queue.Enqueue({"ftp://x", "video.completed", "1", {}}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(queue.Enqueue({"https://example.com/h", "video.exploded", "1", {}}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(queue.Enqueue({"https://example.com/h", "video.completed", "1", {}}).code(),
            ErrorCode::kQueueUnavailable);
}

// A loopback receiver that answers the scripted statuses in order (then 200) and records
// every request with its arrival time.
class Receiver {
 public:
  explicit Receiver(std::vector<int> statuses, int delay_first_ms = 0)
      : statuses_(std::move(statuses)),
        delay_first_ms_(delay_first_ms),
        server_([this](const net::testing::TestRequest& request) { return Handle(request); }) {}

  Status Start() { return server_.Start(); }
  std::string Url() const { return server_.Url("/hooks/video?token=secret-query"); }

  struct Seen {
    net::testing::TestRequest request;
    Clock::time_point at;
  };
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  // Waits until `count` requests arrived (or the timeout).
  bool WaitFor(size_t count, int timeout_ms) const {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      if (seen().size() >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return seen().size() >= count;
  }

 private:
  net::testing::TestReply Handle(const net::testing::TestRequest& request) {
    size_t index;
    {
      std::lock_guard lock(mutex_);
      index = seen_.size();
      seen_.push_back({request, Clock::now()});
    }
    net::testing::TestReply reply;
    reply.status = index < statuses_.size() ? statuses_[index] : 200;
    reply.body = "ok";
    if (index == 0) reply.delay_ms = delay_first_ms_;
    return reply;
  }

  std::vector<int> statuses_;
  int delay_first_ms_;
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
  net::testing::TestHttpServer server_;
};

std::string HeaderOf(const net::testing::TestRequest& request, const std::string& name) {
  for (const auto& header : request.headers) {
    if (strcasecmp(header.name.c_str(), name.c_str()) == 0) return header.value;
  }
  return "";
}

double CounterValue(obs::Metrics& metrics, const std::string& outcome) {
  return metrics.counter("vidgen_webhook_deliveries_total", "", {{"outcome", outcome}}).value();
}

bool WaitUntil(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

class DeliveryTest : public ::testing::Test {
 protected:
  queue::RedisOptions Redis() const {
    queue::RedisOptions options;
    options.host = redis_.host();
    options.port = redis_.port();
    return options;
  }
  const queue::QueueName kQueue{"bull", "video"};
  testing::RedisServer redis_;
  net::CurlHttpClient http_{net::CurlHttpClientOptions{true, {}, "vidgen-test"}};
  obs::Metrics metrics_;
};

TEST_F(DeliveryTest, RetriesAfterFailuresWithTheSameIdAndExponentialBackoff) {
  Receiver receiver({500, 500});
  ASSERT_TRUE(receiver.Start().ok());
  WebhookDeliverer deliverer(Redis(), kQueue, kSecret, http_, &metrics_);
  ASSERT_TRUE(deliverer.Start().ok());
  WebhookQueue queue(Redis(), kQueue);
  WebhookEvent event{receiver.Url(),
                     "video.completed",
                     "job-7",
                     {{"jobId", "job-7"}, {"status", "completed"}, {"metadata", {{"k", "v"}}}}};
  ASSERT_TRUE(queue.Enqueue(event).ok());

  ASSERT_TRUE(receiver.WaitFor(3, 15000)) << receiver.seen().size() << " requests";
  ASSERT_TRUE(WaitUntil([&] { return CounterValue(metrics_, "delivered") == 1; }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto seen = receiver.seen();
  ASSERT_EQ(seen.size(), 3u);  // no fourth attempt after the 200

  const std::string id = HeaderOf(seen[0].request, "webhook-id");
  EXPECT_THAT(id, ::testing::StartsWith("msg_"));
  std::string first_body;
  for (const auto& s : seen) {
    const auto& r = s.request;
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hooks/video?token=secret-query");
    EXPECT_EQ(HeaderOf(r, "webhook-id"), id);
    EXPECT_EQ(HeaderOf(r, "content-type"), "application/json");
    const std::string timestamp = HeaderOf(r, "webhook-timestamp");
    const int64_t ts = std::stoll(timestamp);
    EXPECT_NEAR(static_cast<double>(ts),
                static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()),
                30);
    EXPECT_EQ(HeaderOf(r, "webhook-signature"), SignStandardWebhook(kSecret, id, ts, r.body));
    if (first_body.empty()) first_body = r.body;
    EXPECT_EQ(r.body, first_body);  // the same event on every retry
  }
  const auto body = nlohmann::json::parse(first_body);
  EXPECT_EQ(body["type"], "video.completed");
  EXPECT_TRUE(body["timestamp"].is_string());
  EXPECT_EQ(body["data"]["jobId"], "job-7");
  EXPECT_EQ(body["data"]["metadata"]["k"], "v");

  const auto gap = [&](size_t i) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(seen[i].at - seen[i - 1].at)
        .count();
  };
  // 1 s × 2⁰, then 1 s × 2¹ (upper bounds leave room for a loaded 2-core machine).
  EXPECT_GE(gap(1), 950);
  EXPECT_LE(gap(1), 1900);
  EXPECT_GE(gap(2), 1950);
  EXPECT_LE(gap(2), 3500);
  EXPECT_EQ(CounterValue(metrics_, "retry"), 2);
  EXPECT_EQ(CounterValue(metrics_, "failed"), 0);
  EXPECT_THAT(metrics_.RenderPrometheus(),
              HasSubstr("vidgen_webhook_deliveries_total{outcome=\"delivered\"} 1\n"));

  // The delivery job is completed in Redis with 3 attempts made.
  testing::RedisClient client(redis_.host(), redis_.port());
  EXPECT_EQ(client.Get({"HGET", "bull:video-webhooks:" + id, "atm"}), "3");
  EXPECT_FALSE(client.Command({"ZSCORE", "bull:video-webhooks:completed", id}).is_nil);
  deliverer.Stop();
}

TEST_F(DeliveryTest, UnsignedWithoutASecretAndPendingDeliveriesSurviveUntilAWorkerStarts) {
  Receiver receiver({});
  ASSERT_TRUE(receiver.Start().ok());
  // Enqueued before any deliverer runs: the job waits in Redis.
  WebhookQueue queue(Redis(), kQueue);
  ASSERT_TRUE(
      queue.Enqueue({receiver.Url(), "video.failed", "j1", {{"jobId", "j1"}, {"status", "failed"}}})
          .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(receiver.seen().empty());

  WebhookDeliverer deliverer(Redis(), kQueue, "", http_, &metrics_);
  ASSERT_TRUE(deliverer.Start().ok());
  ASSERT_TRUE(receiver.WaitFor(1, 10000));
  const auto request = receiver.seen()[0].request;
  EXPECT_EQ(HeaderOf(request, "webhook-signature"), "");
  EXPECT_THAT(HeaderOf(request, "webhook-id"), ::testing::StartsWith("msg_"));
  EXPECT_FALSE(HeaderOf(request, "webhook-timestamp").empty());
  EXPECT_EQ(nlohmann::json::parse(request.body)["type"], "video.failed");
  deliverer.Stop();
}

TEST_F(DeliveryTest, EnqueueWaitsOutAShortRedisRestartAndQueuesTheDeliveryOnce) {
  WebhookQueue queue(Redis(), kQueue);
  redis_.Kill();
  Status queued = Status(ErrorCode::kInternal, "not run");
  std::thread enqueue([&] {
    queued = queue.Enqueue({"http://127.0.0.1:9/hook",
                            "video.completed",
                            "j2",
                            {{"jobId", "j2"}, {"status", "completed"}}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  redis_.Restart();  // on this thread: the server lives as long as the thread that started it
  enqueue.join();
  EXPECT_TRUE(queued.ok()) << queued.ToString();
  testing::RedisClient client(redis_.host(), redis_.port());
  EXPECT_EQ(client.Int({"LLEN", "bull:" + WebhookQueueName(kQueue).name + ":wait"}), 1);
}

TEST_F(DeliveryTest, EnqueueGivesUpWhenRedisStaysDown) {
  WebhookQueue queue(Redis(), kQueue, nullptr, std::chrono::milliseconds(500));
  redis_.Kill();
  const auto start = std::chrono::steady_clock::now();
  const Status queued = queue.Enqueue(
      {"http://127.0.0.1:9/hook", "video.failed", "j3", {{"jobId", "j3"}, {"status", "failed"}}});
  EXPECT_EQ(queued.code(), ErrorCode::kQueueUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(DeliveryTest, PrivateAddressesAreRefusedWithoutRetry) {
  Receiver receiver({});
  ASSERT_TRUE(receiver.Start().ok());
  net::CurlHttpClient guarded;  // ALLOW_PRIVATE_URLS=false
  WebhookDeliverer deliverer(Redis(), kQueue, kSecret, guarded, &metrics_);
  ASSERT_TRUE(deliverer.Start().ok());
  WebhookQueue queue(Redis(), kQueue);
  ASSERT_TRUE(queue.Enqueue({receiver.Url(), "video.cancelled", "j2", {{"jobId", "j2"}}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return CounterValue(metrics_, "failed") == 1; }, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a retry would come by now
  EXPECT_TRUE(receiver.seen().empty());
  EXPECT_EQ(CounterValue(metrics_, "retry"), 0);
  EXPECT_EQ(CounterValue(metrics_, "failed"), 1);
  deliverer.Stop();
}

TEST_F(DeliveryTest, ATimeoutIsAFailedAttemptThatIsRetried) {
  Receiver receiver({}, /*delay_first_ms=*/1500);
  ASSERT_TRUE(receiver.Start().ok());
  WebhookDelivererOptions options;
  options.timeout_ms = 400;
  WebhookDeliverer deliverer(Redis(), kQueue, kSecret, http_, &metrics_, options);
  ASSERT_TRUE(deliverer.Start().ok());
  WebhookQueue queue(Redis(), kQueue);
  ASSERT_TRUE(queue.Enqueue({receiver.Url(), "video.completed", "j3", {{"jobId", "j3"}}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return CounterValue(metrics_, "delivered") == 1; }, 15000));
  EXPECT_EQ(CounterValue(metrics_, "retry"), 1);
  const auto seen = receiver.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(HeaderOf(seen[0].request, "webhook-id"), HeaderOf(seen[1].request, "webhook-id"));
  deliverer.Stop();
}

TEST_F(DeliveryTest, PrepareDataRewritesTheEventAtEachDelivery) {
  Receiver receiver({});
  ASSERT_TRUE(receiver.Start().ok());
  WebhookDelivererOptions options;
  options.prepare_data = [](const nlohmann::json& data) {
    nlohmann::json out = data;
    out["result"]["url"] = "https://signed.example/v.mp4?sig=fresh";
    return out;
  };
  WebhookDeliverer deliverer(Redis(), kQueue, kSecret, http_, &metrics_, options);
  ASSERT_TRUE(deliverer.Start().ok());
  WebhookQueue queue(Redis(), kQueue);
  ASSERT_TRUE(queue
                  .Enqueue({receiver.Url(),
                            "video.completed",
                            "j4",
                            {{"jobId", "j4"}, {"result", {{"storageKey", "videos/j4.mp4"}}}}})
                  .ok());
  ASSERT_TRUE(receiver.WaitFor(1, 10000));
  const auto body = nlohmann::json::parse(receiver.seen()[0].request.body);
  EXPECT_EQ(body["data"]["result"]["url"], "https://signed.example/v.mp4?sig=fresh");
  EXPECT_EQ(body["data"]["result"]["storageKey"], "videos/j4.mp4");
  // The signed URL is not stored in Redis.
  testing::RedisClient client(redis_.host(), redis_.port());
  const std::string id = HeaderOf(receiver.seen()[0].request, "webhook-id");
  EXPECT_EQ(client.Get({"HGET", "bull:video-webhooks:" + id, "data"}).find("sig=fresh"),
            std::string::npos);
  deliverer.Stop();
}

}  // namespace
}  // namespace vg::notify

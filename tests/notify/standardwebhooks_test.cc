// Deliveries checked by the reference verifier: a Node receiver using the `standardwebhooks`
// npm package accepts vidgen's signed requests (including retries after 500s, all with one
// webhook-id) and rejects them when the secrets differ.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "net/curl_http_client.h"
#include "notify/webhooks.h"
#include "support/redis_server.h"
#include "support/subprocess.h"

namespace vg::notify {
namespace {

constexpr char kSecret[] = "whsec_c3RvcmFnZS13ZWJob29rcy10ZXN0LXNlY3JldC0zMmI=";
constexpr char kOtherSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) lines.push_back(line);
  }
  return lines;
}

bool WaitUntil(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return condition();
}

class NodeReceiver {
 public:
  NodeReceiver(const std::string& secret, std::vector<std::string> statuses) {
    std::vector<std::string> argv = {"node", VG_RECEIVER_SCRIPT, secret};
    argv.insert(argv.end(), statuses.begin(), statuses.end());
    process_ = std::make_unique<testing::Subprocess>(
        argv, std::map<std::string, std::string>{{"NODE_PATH", VG_NODE_MODULES}});
  }
  ~NodeReceiver() {
    process_->Kill(SIGTERM);
    process_->Wait(5000);
  }

  // The port it listens on, or 0 when it did not start.
  int WaitForPort() {
    int port = 0;
    WaitUntil(
        [&] {
          auto lines = LinesStartingWith(process_->output(), "PORT ");
          if (!lines.empty()) port = std::stoi(lines[0].substr(5));
          return port != 0 || !process_->running();
        },
        15000);
    return port;
  }
  std::vector<std::string> Lines(const std::string& prefix) const {
    return LinesStartingWith(process_->output(), prefix);
  }
  std::string output() const { return process_->output(); }

 private:
  std::unique_ptr<testing::Subprocess> process_;
};

class StandardWebhooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(std::string(VG_NODE_MODULES) + "/standardwebhooks"))
        << "run `npm ci` in tests/node first";
    redis_options_.host = redis_.host();
    redis_options_.port = redis_.port();
  }

  testing::RedisServer redis_;
  queue::RedisOptions redis_options_;
  const queue::QueueName kQueue{"bull", "video"};
  net::CurlHttpClient http_{net::CurlHttpClientOptions{true, {}, "vidgen-test"}};
  obs::Metrics metrics_;
};

TEST_F(StandardWebhooksTest, ReferenceVerifierAcceptsEveryAttemptIncludingRetries) {
  NodeReceiver receiver(kSecret, {"500", "500"});
  const int port = receiver.WaitForPort();
  ASSERT_NE(port, 0) << receiver.output();

  WebhookDeliverer deliverer(redis_options_, kQueue, kSecret, http_, &metrics_);
  ASSERT_TRUE(deliverer.Start().ok());
  WebhookQueue queue(redis_options_, kQueue);
  ASSERT_TRUE(
      queue
          .Enqueue({"http://127.0.0.1:" + std::to_string(port) + "/hook",
                    "video.completed",
                    "job-42",
                    {{"jobId", "job-42"},
                     {"status", "completed"},
                     {"result", {{"sizeBytes", 123}, {"note", "caf\xc3\xa9 \xe2\x9c\x93"}}}}})
          .ok());
  ASSERT_TRUE(WaitUntil([&] { return receiver.Lines("VERIFIED ").size() >= 3; }, 20000))
      << receiver.output();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return metrics_.counter("vidgen_webhook_deliveries_total", "", {{"outcome", "delivered"}})
                   .value() == 1;
      },
      5000));
  deliverer.Stop();

  const auto verified = receiver.Lines("VERIFIED ");
  ASSERT_EQ(verified.size(), 3u) << receiver.output();
  EXPECT_TRUE(receiver.Lines("REJECTED ").empty()) << receiver.output();
  for (const auto& line : verified) {
    EXPECT_EQ(line, verified[0]);  // same webhook-id, type and job every time
    EXPECT_THAT(line, ::testing::MatchesRegex("VERIFIED msg_[0-9a-f]+ video.completed job-42"));
  }
}

TEST_F(StandardWebhooksTest, ReferenceVerifierRejectsAWrongSecret) {
  NodeReceiver receiver(kOtherSecret, {});
  const int port = receiver.WaitForPort();
  ASSERT_NE(port, 0) << receiver.output();
  WebhookDeliverer deliverer(redis_options_, kQueue, kSecret, http_, &metrics_);
  ASSERT_TRUE(deliverer.Start().ok());
  WebhookQueue queue(redis_options_, kQueue);
  ASSERT_TRUE(queue
                  .Enqueue({"http://127.0.0.1:" + std::to_string(port) + "/hook",
                            "video.failed",
                            "job-9",
                            {{"jobId", "job-9"}}})
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return !receiver.Lines("REJECTED ").empty(); }, 10000))
      << receiver.output();
  deliverer.Stop();
  EXPECT_TRUE(receiver.Lines("VERIFIED ").empty());
  EXPECT_THAT(receiver.Lines("REJECTED ")[0], ::testing::HasSubstr("signature"));
  // A 400 from the receiver is a failed attempt that the queue retries.
  EXPECT_GE(metrics_.counter("vidgen_webhook_deliveries_total", "", {{"outcome", "retry"}}).value(),
            1);
}

}  // namespace
}  // namespace vg::notify

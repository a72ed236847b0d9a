// The API tests' fixture: one redis-server per suite, and per test a fresh queue name, a
// temporary storage folder, a Producer, a LocalStore, a Metrics registry and the api::Server
// on a free loopback port. Tests change the Config before StartServer().
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/server.h"
#include "config/config.h"
#include "http_client.h"
#include "notify/webhooks.h"
#include "obs/metrics.h"
#include "queue/consumer.h"
#include "queue/producer.h"
#include "storage/local_store.h"
#include "support/redis_server.h"

namespace vg::api::testing {

inline const char* kTemplate =
    R"({"version":1,"output":{"width":320,"height":240,"fps":30},"duration":2,)"
    R"("tracks":[{"type":"text","clips":[{"text":"Hello {{name}}"}]}]})";

inline std::string GenerateBody(const std::string& extra = "") {
  return std::string(R"({"template":)") + kTemplate + R"(,"input":{"name":"Ada"})" + extra + "}";
}

inline bool WaitFor(const std::function<bool()>& condition, int timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class ApiTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() { redis_ = new vg::testing::RedisServer(); }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }

 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vg-api-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    config_.host = "127.0.0.1";
    config_.port = 0;
    config_.redis.configured = true;
    config_.redis.host = redis_->host();
    config_.redis.port = redis_->port();
    config_.queue_name = std::string(info->test_suite_name()) + "-" + info->name();
    config_.local_storage_dir = dir_ + "/videos";
    config_.templates_dir = dir_ + "/templates";
    config_.url_signing_secret = "test-signing-secret";
    config_.public_base_url = "http://127.0.0.1:1";
    config_.api_rate_limit_per_min = 0;
  }

  void TearDown() override {
    if (consumer_) consumer_->Close(queue::CloseMode::kHandBack);
    consumer_.reset();
    if (server_) server_->Stop();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  queue::RedisOptions redis_options() const {
    queue::RedisOptions o;
    o.host = redis_->host();
    o.port = redis_->port();
    return o;
  }
  queue::QueueName queue_name() const { return {config_.queue_prefix, config_.queue_name}; }

  void StartServer() {
    producer_ = std::make_unique<queue::Producer>(redis_options(), queue_name());
    storage::LocalStoreOptions store_options;
    store_options.root_dir = config_.local_storage_dir;
    store_options.public_base_url = config_.public_base_url;
    store_options.signing_secret = config_.url_signing_secret;
    auto store = storage::LocalStore::Open(store_options);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    Dependencies deps;
    deps.producer = producer_.get();
    deps.blob_store = store_.get();
    deps.metrics = &metrics_;
    deps.webhooks = webhooks_.get();
    auto server = Server::Start(config_, deps, server_options_);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(*server);
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }

  // Starts a consumer that runs `handler` for every job.
  void StartConsumer(queue::JobHandler handler) {
    queue::ConsumerOptions options;
    options.drain_delay_ms = 200;
    options.cancel_poll_ms = 50;
    consumer_ = std::make_unique<queue::Consumer>(redis_options(), queue_name(), options,
                                                  std::move(handler));
    ASSERT_TRUE(consumer_->Start().ok());
  }

  HttpResponse Get(const std::string& target, const std::string& headers = "") {
    return Request(port_, "GET", target, "", headers);
  }
  HttpResponse Post(const std::string& target, const std::string& body,
                    const std::string& headers = "") {
    return Request(port_, "POST", target, body, headers);
  }
  nlohmann::json Json(const HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  // POSTs a job and returns its id (asserting 202).
  std::string Submit(const std::string& headers = "", const std::string& extra = "") {
    HttpResponse r = Post("/api/video/generate", GenerateBody(extra), headers);
    EXPECT_EQ(r.status, 202) << r.body;
    return Json(r).value("jobId", "");
  }

  static inline vg::testing::RedisServer* redis_ = nullptr;
  std::string dir_;
  config::Config config_;
  ServerOptions server_options_;
  obs::Metrics metrics_;
  std::unique_ptr<queue::Producer> producer_;
  std::unique_ptr<storage::LocalStore> store_;
  std::unique_ptr<notify::WebhookQueue> webhooks_;  // set before StartServer to send webhooks
  std::unique_ptr<Server> server_;
  std::unique_ptr<queue::Consumer> consumer_;
  int port_ = 0;
};

}  // namespace vg::api::testing

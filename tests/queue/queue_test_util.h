// Helpers shared by the queue's black-box tests: a per-suite redis-server, unique queue names,
// and polling until a condition holds.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "queue/redis_options.h"
#include "support/redis_server.h"

namespace vg::queue::testing {

// Polls `condition` every 5 ms until it holds or `timeout_ms` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& condition, int timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One redis-server for a whole test suite; each test uses its own queue name.
class RedisSuite : public ::testing::Test {
 public:
  static void SetUpTestSuite() { server_ = new vg::testing::RedisServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

 protected:
  static vg::testing::RedisServer& server() { return *server_; }
  RedisOptions redis() const {
    RedisOptions o;
    o.host = server_->host();
    o.port = server_->port();
    o.command_timeout_ms = 3000;
    return o;
  }
  QueueName queue() const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return {"bull", std::string(info->test_suite_name()) + "-" + info->name()};
  }
  std::string Key(const std::string& suffix) const { return "bull:" + queue().name + ":" + suffix; }
  vg::testing::RedisClient& client() {
    if (!client_)
      client_ = std::make_unique<vg::testing::RedisClient>(server_->host(), server_->port());
    return *client_;
  }

 private:
  static inline vg::testing::RedisServer* server_ = nullptr;
  std::unique_ptr<vg::testing::RedisClient> client_;
};

}  // namespace vg::queue::testing

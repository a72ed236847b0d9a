// The API under many concurrent clients: the hot routes (status, generate) share one pipelined
// Redis connection that never blocks an I/O thread; the other routes' Redis calls go through a
// small pool of connections (one per I/O thread by default), so concurrent requests make their
// round trips in parallel; every answer stays correct, and a Redis outage still answers each
// request with 503 queue_unavailable and heals once Redis is back.
#include <atomic>
#include <set>
#include <thread>

#include "api_test_util.h"

namespace vg::api::testing {
namespace {

// Client connections the test redis-server has right now (CLIENT LIST, one line each).
int RedisClients(const vg::testing::RedisServer& redis) {
  vg::testing::RedisClient client(redis.host(), redis.port());
  std::string list = client.Get({"CLIENT", "LIST"});
  return static_cast<int>(std::count(list.begin(), list.end(), '\n'));
}

// Runs `per_thread` calls of `call` on each of `threads` threads at once.
void RunConcurrently(int threads, int per_thread, const std::function<void(int, int)>& call) {
  std::vector<std::thread> pool;
  std::atomic<bool> go{false};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < per_thread; ++i) call(t, i);
    });
  }
  go = true;
  for (auto& th : pool) th.join();
}

TEST_F(ApiTest, ConcurrentRequestsUseSeveralRedisConnectionsUpToThePoolSize) {
  server_options_.redis_connections = 3;
  StartServer();
  const std::string id = Submit();
  ASSERT_FALSE(id.empty());
  // Cancel of an unknown job: one lookup on a pooled connection, answered 404.
  const std::string target = "/api/video/cancel/no-such-job";
  // Sequential requests reuse the connection that is already open.
  ASSERT_EQ(Request(port_, "DELETE", target).status, 404);
  const int before = RedisClients(*redis_);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Request(port_, "DELETE", target).status, 404);
  EXPECT_EQ(RedisClients(*redis_), before);

  std::atomic<int> answered{0};
  RunConcurrently(12, 25, [&](int, int) {
    if (Request(port_, "DELETE", target).status == 404) ++answered;
  });
  EXPECT_EQ(answered.load(), 12 * 25);
  const int opened = RedisClients(*redis_) - before;
  EXPECT_GE(opened, 1) << "concurrent requests were served over a single Redis connection";
  EXPECT_LE(opened, 2) << "more producer connections than the pool holds";
}

TEST_F(ApiTest, HotRoutesSharePipelinedRedisCallsAndNeverHoldAnIoThread) {
  StartServer();
  const std::string id = Submit();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(Get("/api/video/status/" + id).status, 200);
  const int before = RedisClients(*redis_);
  // Many concurrent status and generate requests: all answered right, no new connection.
  std::atomic<int> ok{0};
  RunConcurrently(16, 20, [&](int, int i) {
    if (i % 4 == 0) {
      HttpResponse posted = Post("/api/video/generate", GenerateBody());
      if (posted.status == 202 && !Json(posted).value("jobId", "").empty()) ++ok;
    } else {
      HttpResponse status = Get("/api/video/status/" + id);
      if (status.status == 200 && Json(status).value("jobId", "") == id) ++ok;
    }
  });
  EXPECT_EQ(ok.load(), 16 * 20);
  EXPECT_EQ(RedisClients(*redis_), before) << "the hot routes opened connections per request";

  // Redis stalls (CLIENT PAUSE): more status requests wait than there are I/O threads, and
  // the server still answers /health at once; the waiting requests complete once it resumes.
  vg::testing::RedisClient admin(redis_->host(), redis_->port());
  admin.Get({"CLIENT", "PAUSE", "1500", "ALL"});
  const auto paused_at = std::chrono::steady_clock::now();
  std::atomic<int> waited_ok{0};
  std::vector<std::thread> waiting;
  for (int i = 0; i < 12; ++i) {
    waiting.emplace_back([&] {
      if (Get("/api/video/status/" + id).status == 200) ++waited_ok;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto health_start = std::chrono::steady_clock::now();
  EXPECT_EQ(Get("/health").status, 200);
  const auto health_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - health_start)
                             .count();
  EXPECT_LT(health_ms, 500) << "an I/O thread was held by a request waiting for Redis";
  EXPECT_LT(std::chrono::steady_clock::now() - paused_at, std::chrono::milliseconds(1400))
      << "the machine was too slow for this check to mean anything";
  for (auto& t : waiting) t.join();
  EXPECT_EQ(waited_ok.load(), 12);
}

TEST_F(ApiTest, FiftyConcurrentClientsEachGetTheirOwnJob) {
  StartServer();
  std::mutex mutex;
  std::set<std::string> ids;
  std::atomic<int> failures{0};
  RunConcurrently(50, 2, [&](int t, int i) {
    HttpResponse posted =
        Post("/api/video/generate", GenerateBody(),
             "Idempotency-Key: client-" + std::to_string(t) + "-" + std::to_string(i));
    std::string id = Json(posted).value("jobId", "");
    if (posted.status != 202 || id.empty()) {
      ++failures;
      return;
    }
    HttpResponse status = Get("/api/video/status/" + id);
    if (status.status != 200 || Json(status).value("jobId", "") != id) ++failures;
    std::lock_guard lock(mutex);
    ids.insert(id);
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ids.size(), 100u);
  // Every job is in the owner's index too (the owner-index pool).
  std::set<std::string> listed;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    nlohmann::json list = Json(
        Get("/api/video/jobs?limit=100" + (cursor.empty() ? std::string() : "&cursor=" + cursor)));
    for (const auto& job : list["jobs"]) listed.insert(job["jobId"].get<std::string>());
    if (!list["nextCursor"].is_string()) break;
    cursor = list["nextCursor"].get<std::string>();
  }
  EXPECT_EQ(listed, ids);
}

TEST_F(ApiTest, RedisDownAnswersEveryConcurrentRequestWith503AndHeals) {
  StartServer();
  ASSERT_FALSE(Submit().empty());
  redis_->Kill();
  std::atomic<int> unavailable{0};
  RunConcurrently(8, 3, [&](int, int) {
    HttpResponse r = Post("/api/video/generate", GenerateBody());
    if (r.status == 503 && Json(r).value("error", "") == "queue_unavailable") ++unavailable;
  });
  EXPECT_EQ(unavailable.load(), 8 * 3);
  redis_->Restart();
  // Each pooled connection reconnects on its own next call (after its backoff).
  EXPECT_TRUE(WaitFor(
      [&] {
        std::atomic<int> accepted{0};
        RunConcurrently(8, 1, [&](int, int) {
          if (Post("/api/video/generate", GenerateBody()).status == 202) ++accepted;
        });
        return accepted.load() == 8;
      },
      15000));
}

}  // namespace
}  // namespace vg::api::testing

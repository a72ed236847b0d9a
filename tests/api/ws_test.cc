// WebSocket tests with a real client (the npm `ws` package): the current status on subscribe,
// progress and completion pushed from the queue's events stream as a Consumer moves the job,
// bad messages answered with {type:"error"} while the connection stays, subscriptions limited
// to the owner's jobs, and auth through the access_token query parameter.
#include <sstream>

#include "api_test_util.h"
#include "support/subprocess.h"

namespace vg::api::testing {
namespace {

using vg::testing::Subprocess;

std::vector<nlohmann::json> Messages(const std::string& output) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("MSG "))
      out.push_back(nlohmann::json::parse(line.substr(4), nullptr, false));
  }
  return out;
}

bool Has(const std::vector<nlohmann::json>& messages, const std::string& type,
         const std::string& key = "", const nlohmann::json& value = nullptr) {
  for (const auto& m : messages) {
    if (m.is_object() && m.value("type", "") == type && (key.empty() || m[key] == value))
      return true;
  }
  return false;
}

std::unique_ptr<Subprocess> StartClient(int port, const std::string& token, int seconds,
                                        std::vector<std::string> messages, bool play_dead = false) {
  std::vector<std::string> argv = {VG_NODE, VG_WS_CLIENT_SCRIPT, std::to_string(port), token,
                                   std::to_string(seconds)};
  for (auto& m : messages) argv.push_back(std::move(m));
  return std::make_unique<Subprocess>(
      argv, std::map<std::string, std::string>{{"VG_NODE_MODULES", VG_NODE_MODULES},
                                               {"VG_WS_PLAY_DEAD", play_dead ? "1" : "0"}});
}

TEST_F(ApiTest, WebSocketStatusProgressAndCompletion) {
  StartServer();
  std::string id = Submit();
  auto client = StartClient(
      port_, "-", 20,
      {nlohmann::json{{"type", "subscribe"}, {"jobId", id}}.dump(), "raw:this is not json",
       R"({"type":"dance"})", R"({"type":"subscribe","jobId":"no-such-job"})"});
  ASSERT_TRUE(WaitFor([&] { return Has(Messages(client->output()), "status"); }, 15000))
      << client->output();
  auto messages = Messages(client->output());
  EXPECT_TRUE(Has(messages, "status", "status", "queued"));
  ASSERT_TRUE(WaitFor([&] {
    int errors = 0;
    for (const auto& m : Messages(client->output())) errors += m.value("type", "") == "error";
    return errors == 3;
  })) << client->output();

  StartConsumer([&](const queue::Job&, queue::JobContext& ctx) {
    for (int p : {10, 30, 55, 80}) {
      (void)ctx.ReportProgress(p);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return queue::JobOutcome::Completed({{"storageKey", "videos/x.mp4"}, {"format", "mp4"}});
  });
  ASSERT_TRUE(WaitFor([&] { return Has(Messages(client->output()), "completed"); }, 15000))
      << client->output();
  messages = Messages(client->output());
  std::vector<double> progress;
  for (const auto& m : messages) {
    if (m.value("type", "") == "progress") {
      EXPECT_EQ(m["jobId"], id);
      progress.push_back(m["progress"].get<double>());
    }
  }
  EXPECT_EQ(progress, (std::vector<double>{10, 30, 55, 80}));
  for (const auto& m : messages) {
    if (m.value("type", "") == "completed") {
      EXPECT_EQ(m["jobId"], id);
      EXPECT_EQ(m["result"]["storageKey"], "videos/x.mp4");
      EXPECT_NE(m["result"]["url"].get<std::string>().find("/files/videos/x.mp4?exp="),
                std::string::npos);
    }
  }
  // The connection is still open after the bad messages (no CLOSE yet).
  EXPECT_EQ(client->output().find("CLOSE"), std::string::npos);
}

TEST_F(ApiTest, WebSocketAuthAndOwnerIsolation) {
  config_.api_keys = {"key-one", "key-two"};
  StartServer();
  std::string mine = Submit("X-API-Key: key-one");
  std::string theirs = Submit("X-API-Key: key-two");

  auto anonymous = StartClient(port_, "-", 5, {});
  EXPECT_EQ(anonymous->Wait(10000), 3);
  EXPECT_NE(anonymous->output().find("HTTP 401"), std::string::npos) << anonymous->output();

  auto client = StartClient(port_, "key-one", 20,
                            {R"({"type":"subscribe","all":true})",
                             nlohmann::json{{"type", "subscribe"}, {"jobId", theirs}}.dump()});
  ASSERT_TRUE(WaitFor([&] { return Has(Messages(client->output()), "error"); }))
      << client->output();
  StartConsumer([&](const queue::Job&, queue::JobContext& ctx) {
    (void)ctx.ReportProgress(42);
    return queue::JobOutcome::Completed({{"format", "mp4"}});
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        auto m = Messages(client->output());
        return Has(m, "completed", "jobId", mine);
      },
      15000))
      << client->output();
  // Let the other job's events arrive too, then check none reached this client.
  ASSERT_TRUE(
      WaitFor([&] { return producer_->GetJob(theirs)->state == queue::JobState::kCompleted; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (const auto& m : Messages(client->output()))
    EXPECT_NE(m.value("jobId", ""), theirs) << m.dump();
  EXPECT_TRUE(Has(Messages(client->output()), "progress", "jobId", mine));
}

TEST_F(ApiTest, WebSocketHeartbeatPingsAndDropsSilentPeers) {
  server_options_.ws_ping_interval = std::chrono::milliseconds(200);
  server_options_.ws_drop_after = std::chrono::milliseconds(700);
  StartServer();
  auto alive = StartClient(port_, "-", 4, {});
  auto dead = StartClient(port_, "-", 4, {}, /*play_dead=*/true);
  // The silent peer is dropped (its socket is closed without a close frame: code 1006).
  ASSERT_TRUE(WaitFor([&] { return dead->output().find("CLOSE") != std::string::npos; }, 3500))
      << dead->output();
  EXPECT_NE(dead->output().find("CLOSE 1006"), std::string::npos) << dead->output();
  EXPECT_NE(dead->output().find("PING"), std::string::npos);
  // The answering peer keeps being pinged and stays connected.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::string out = alive->output();
  EXPECT_EQ(out.find("CLOSE"), std::string::npos) << out;
  size_t pings = 0;
  for (size_t p = out.find("PING"); p != std::string::npos; p = out.find("PING", p + 1)) ++pings;
  EXPECT_GE(pings, 5u) << out;
  EXPECT_TRUE(WaitFor([&] {
    return metrics_.RenderPrometheus().find("vidgen_ws_clients 1") != std::string::npos;
  }));
}

}  // namespace
}  // namespace vg::api::testing

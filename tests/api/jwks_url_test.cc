// JWT_JWKS as a URL, served by a loopback HTTP server (ALLOW_PRIVATE_URLS on, as in local
// development): fetched at start, fetched again when a token names an unknown kid (at most
// once a minute, so a flood of made-up kids costs nothing), refreshed periodically, and the
// keys in use kept when a refresh fails. Also the start-up refusals: plain http without
// ALLOW_PRIVATE_URLS, a private address without it, an answer that is not a JWKS.
#include <mutex>

#include "api_test_util.h"
#include "base/clock.h"
#include "jwt_test_util.h"
#include "net/test_http_server.h"

namespace vg::api::testing {
namespace {

// A JWKS endpoint whose answer the test changes as it goes.
class JwksEndpoint {
 public:
  JwksEndpoint()
      : server_([this](const net::testing::TestRequest&) {
          std::lock_guard lock(mutex_);
          net::testing::TestReply reply;
          reply.status = status_;
          reply.headers = {{"Content-Type", "application/json"}};
          reply.body = body_;
          return reply;
        }) {}
  Status Start() { return server_.Start(); }
  void Serve(int status, std::string body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }
  std::string url() const { return server_.Url("/jwks.json"); }
  int port() const { return server_.port(); }
  int fetches() const { return server_.hits("/jwks.json"); }

 private:
  std::mutex mutex_;
  int status_ = 200;
  std::string body_;
  net::testing::TestHttpServer server_;
};

class JwksUrlTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    ASSERT_TRUE(k1_.ok() && k2_.ok() && k3_.ok());
    ASSERT_TRUE(jwks_.Start().ok());
    config_.jwt_jwks = jwks_.url();
    config_.allow_private_urls = true;
  }
  std::string Bearer(const RsaTestKey& key, const std::string& sub = "rsa-user") {
    const int64_t now = SystemClock().NowUnixMs() / 1000;
    return "Authorization: Bearer " + key.Sign({{"sub", sub}, {"exp", now + 600}});
  }
  int StatusWith(const std::string& id, const std::string& auth) {
    return Get("/api/video/status/" + id, auth).status;
  }

  RsaTestKey k1_{"k1"}, k2_{"k2"}, k3_{"k3"};
  JwksEndpoint jwks_;
};

TEST_F(JwksUrlTest, FetchedAtStartAndAgainForAnUnknownKidAtMostOnceAMinute) {
  jwks_.Serve(200, Jwks({&k1_}).dump());
  StartServer();
  EXPECT_EQ(jwks_.fetches(), 1);
  const std::string id = Submit(Bearer(k1_));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(StatusWith(id, Bearer(k1_)), 200);
  EXPECT_EQ(jwks_.fetches(), 1) << "a known kid needs no fetch";

  // The identity provider rotates in k2: the first token signed with it works at once.
  jwks_.Serve(200, Jwks({&k1_, &k2_}).dump());
  EXPECT_EQ(StatusWith(id, Bearer(k2_)), 200);
  EXPECT_EQ(jwks_.fetches(), 2);

  // Within the same minute another new kid, and a flood of made-up ones, fetch nothing.
  jwks_.Serve(200, Jwks({&k1_, &k2_, &k3_}).dump());
  EXPECT_EQ(StatusWith(id, Bearer(k3_)), 401);
  for (int i = 0; i < 20; ++i) {
    // A token whose header names a kid nobody published.
    std::string token = k1_.Sign({{"sub", "rsa-user"}});
    token = Base64UrlEncode(
                nlohmann::json{{"alg", "RS256"}, {"kid", "made-up-" + std::to_string(i)}}.dump()) +
            token.substr(token.find('.'));
    EXPECT_EQ(StatusWith(id, "Authorization: Bearer " + token), 401);
  }
  EXPECT_EQ(jwks_.fetches(), 2);
  EXPECT_EQ(StatusWith(id, Bearer(k2_)), 200);
}

TEST_F(JwksUrlTest, RefreshedPeriodicallyAndTheKeysKeptWhenARefreshFails) {
  server_options_.jwks_refresh_interval = std::chrono::milliseconds(150);
  jwks_.Serve(200, Jwks({&k1_}).dump());
  StartServer();
  const std::string id = Submit(Bearer(k1_));
  ASSERT_FALSE(id.empty());

  // k1 is retired and k2 published: the periodic refresh picks it up with no request asking.
  jwks_.Serve(200, Jwks({&k2_}).dump());
  const int before = jwks_.fetches();
  ASSERT_TRUE(WaitFor([&] { return jwks_.fetches() >= before + 2; }, 5000));
  EXPECT_EQ(StatusWith(id, Bearer(k1_)), 401) << "a retired key is refused after a refresh";
  EXPECT_EQ(StatusWith(id, Bearer(k2_)), 200);

  // The endpoint fails (500), then answers garbage, then a JWKS without a usable key: every
  // refresh fails and k2 stays accepted.
  for (auto [status, body] : std::vector<std::pair<int, std::string>>{
           {500, "oops"}, {200, "not json"}, {200, R"({"keys":[{"kty":"oct","k":"x"}]})"}}) {
    jwks_.Serve(status, body);
    const int seen = jwks_.fetches();
    ASSERT_TRUE(WaitFor([&] { return jwks_.fetches() >= seen + 2; }, 5000));
    EXPECT_EQ(StatusWith(id, Bearer(k2_)), 200) << "keys dropped after a failed refresh: " << body;
  }
  // Back to normal: the next refresh brings in k3.
  jwks_.Serve(200, Jwks({&k2_, &k3_}).dump());
  EXPECT_TRUE(WaitFor([&] { return StatusWith(id, Bearer(k3_)) == 200; }, 5000));
}

TEST_F(JwksUrlTest, StartIsRefusedWhenTheUrlCannotBeUsed) {
  Dependencies deps;
  queue::Producer producer(redis_options(), queue_name());
  deps.producer = &producer;
  auto start = [&] { return Server::Start(config_, deps, server_options_); };

  // Plain http only with ALLOW_PRIVATE_URLS (local development).
  jwks_.Serve(200, Jwks({&k1_}).dump());
  config_.allow_private_urls = false;
  auto refused = start();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("https://"), std::string::npos)
      << refused.error().message();
  // https to a loopback address: refused by the SSRF guard before connecting.
  config_.jwt_jwks = "https://127.0.0.1:" + std::to_string(jwks_.port()) + "/jwks.json";
  refused = start();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("JWT_JWKS"), std::string::npos);
  EXPECT_NE(refused.error().message().find("private"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(jwks_.fetches(), 0);

  config_.allow_private_urls = true;
  config_.jwt_jwks = jwks_.url();
  for (auto [status, body] : std::vector<std::pair<int, std::string>>{
           {404, "missing"}, {200, "<html></html>"}, {200, R"({"keys":[]})"}}) {
    jwks_.Serve(status, body);
    refused = start();
    ASSERT_FALSE(refused.ok()) << body;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message().find("JWT_JWKS"), std::string::npos);
  }
}

}  // namespace
}  // namespace vg::api::testing

// HTTP-level tests of the API: every endpoint's happy path and its documented errors, auth
// (API keys, JWT HS256/RS256), owner isolation, rate limiting, idempotency, paging and /files
// (signatures, Range, traversal), against a real redis-server.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <fstream>

#include "api/auth.h"
#include "api/jobs.h"
#include "api_test_util.h"
#include "base/clock.h"
#include "jwt_test_util.h"

namespace vg::api::testing {
namespace {

TEST_F(ApiTest, HealthAndReady) {
  StartServer();
  HttpResponse health = Get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json(health)["status"], "ok");
  HttpResponse ready = Get("/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(Json(ready)["checks"]["redis"], "ok");
  EXPECT_EQ(Json(ready)["checks"]["storage"], "ok");
}

TEST_F(ApiTest, GenerateThenStatusThroughCompletion) {
  StartServer();
  HttpResponse r =
      Post("/api/video/generate", GenerateBody(R"(,"metadata":{"orderId":"A-17"},"priority":3)"));
  ASSERT_EQ(r.status, 202) << r.body;
  nlohmann::json accepted = Json(r);
  std::string id = accepted["jobId"];
  EXPECT_EQ(accepted["status"], "queued");
  EXPECT_EQ(accepted["statusUrl"], "/api/video/status/" + id);
  EXPECT_EQ(r.Header("location"), "/api/video/status/" + id);
  EXPECT_NE(r.Header("content-type").find("application/json"), std::string::npos);

  nlohmann::json status = Json(Get("/api/video/status/" + id));
  EXPECT_EQ(status["status"], "queued");
  EXPECT_EQ(status["progress"], 0);
  EXPECT_EQ(status["metadata"]["orderId"], "A-17");

  // The job carries what a worker needs, with options from the config.
  auto job = producer_->GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->name, "render");
  EXPECT_EQ(job->data["owner"], "public");
  EXPECT_EQ(job->data["input"]["name"], "Ada");
  EXPECT_EQ(job->data["template"]["output"]["width"], 320);
  EXPECT_EQ(job->options.attempts, 3);
  EXPECT_EQ(job->options.backoff.delay_ms, 5000);
  EXPECT_EQ(job->priority, 3);

  // A stored file for the result, then a consumer completes the job.
  std::filesystem::create_directories(dir_ + "/src");
  std::string content(1000, 'x');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('a' + i % 26);
  { std::ofstream(dir_ + "/src/out.mp4") << content; }
  ASSERT_TRUE(store_->Put("videos/" + id + ".mp4", dir_ + "/src/out.mp4", "video/mp4").ok());
  StartConsumer([&](const queue::Job& j, queue::JobContext& ctx) {
    (void)ctx.ReportProgress(50);
    return queue::JobOutcome::Completed({{"storageKey", "videos/" + j.id + ".mp4"},
                                         {"sizeBytes", 1000},
                                         {"durationSec", 2.0},
                                         {"width", 320},
                                         {"height", 240},
                                         {"fps", 30},
                                         {"format", "mp4"}});
  });
  ASSERT_TRUE(
      WaitFor([&] { return Json(Get("/api/video/status/" + id))["status"] == "completed"; }));
  status = Json(Get("/api/video/status/" + id));
  EXPECT_EQ(status["progress"], 50);
  EXPECT_EQ(status["attemptsMade"], 1);
  EXPECT_TRUE(status.contains("startedAt"));
  EXPECT_TRUE(status.contains("finishedAt"));
  std::string url = status["result"]["url"];
  EXPECT_EQ(status["result"]["sizeBytes"], 1000);
  EXPECT_TRUE(status["result"].contains("expiresAt"));
  EXPECT_TRUE(status["result"].contains("thumbnailUrl"));
  // The URL is signed afresh on read and downloads the file.
  std::string target = url.substr(url.find("/files/"));
  HttpResponse file = Get(target);
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, content);
  EXPECT_EQ(file.Header("content-type"), "video/mp4");

  // Range → 206, unsatisfiable → 416, HEAD has the length and no body.
  HttpResponse part = Get(target, "Range: bytes=10-19");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, content.substr(10, 10));
  EXPECT_EQ(part.Header("content-range"), "bytes 10-19/1000");
  HttpResponse tail = Get(target, "Range: bytes=-5");
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, content.substr(995));
  HttpResponse bad_range = Get(target, "Range: bytes=5000-");
  EXPECT_EQ(bad_range.status, 416);
  EXPECT_EQ(bad_range.Header("content-range"), "bytes */1000");
  HttpResponse head = Request(port_, "HEAD", target);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), "1000");

  // A tampered or expired signature is 403; traversal is refused the same way.
  std::string tampered = target;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(Get(tampered).status, 403);
  std::string other_key = target;
  other_key.replace(other_key.find(id), id.size(), "other");
  EXPECT_EQ(Get(other_key).status, 403);
  EXPECT_EQ(Get("/files/../../etc/passwd?exp=99999999999&sig=00").status, 403);
  EXPECT_EQ(Get("/files/%2e%2e/%2e%2e/etc/passwd?exp=99999999999&sig=00").status, 403);
  EXPECT_EQ(Get("/files/videos/x.mp4").status, 403);
  std::string key = "videos/" + id + ".mp4";
  int64_t past = SystemClock().NowUnixMs() / 1000 - 10;
  EXPECT_EQ(Get("/files/" + key + "?exp=" + std::to_string(past) +
                "&sig=" + store_->signer().Signature(key, past))
                .status,
            403);
}

TEST_F(ApiTest, DocumentedErrors) {
  config_.max_body_bytes = 4096;
  StartServer();
  auto expect_error = [&](const HttpResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    nlohmann::json doc = Json(r);
    EXPECT_EQ(doc["error"], code) << r.body;
    EXPECT_TRUE(doc["message"].is_string()) << r.body;
  };
  expect_error(Post("/api/video/generate", "{not json"), 400, "invalid_json");
  expect_error(Post("/api/video/generate", "[1,2]"), 400, "invalid_json");
  expect_error(Post("/api/video/generate", R"({"input":{}})"), 400, "invalid_argument");
  expect_error(Post("/api/video/generate", R"({"templateId":"nope"})"), 400, "invalid_argument");
  expect_error(Post("/api/video/generate", GenerateBody(R"(,"priority":-1)")), 400,
               "invalid_argument");
  expect_error(
      Post("/api/video/generate", GenerateBody(R"(,"delay":1,"runAt":"2030-01-01T00:00:00Z")")),
      400, "invalid_argument");
  expect_error(Post("/api/video/generate", GenerateBody(R"(,"webhookUrl":"ftp://x/y")")), 400,
               "invalid_argument");
  expect_error(Post("/api/video/generate", GenerateBody(R"(,"webhookUrl":"http://127.0.0.1:9/h")")),
               400, "invalid_argument");

  HttpResponse bad =
      Post("/api/video/generate", R"({"template":{"version":1,"output":{"width":7},"tracks":[]}})");
  expect_error(bad, 422, "invalid_template");
  EXPECT_TRUE(Json(bad)["details"].is_array());
  EXPECT_FALSE(Json(bad)["details"].empty());
  // Asset sources: private addresses and local paths without ASSET_DIR are refused.
  std::string image_template =
      R"({"template":{"version":1,"duration":1,"output":{"width":320,"height":240},"tracks":[{"type":"image","clips":[{"src":"SRC"}]}]}})";
  auto with_src = [&](const std::string& src) {
    std::string body = image_template;
    body.replace(body.find("SRC"), 3, src);
    return body;
  };
  HttpResponse ssrf = Post("/api/video/generate", with_src("http://127.0.0.1/a.png"));
  expect_error(ssrf, 422, "invalid_template");
  EXPECT_EQ(Json(ssrf)["details"][0]["path"], "tracks[0].clips[0].src");
  expect_error(Post("/api/video/generate", with_src("http://localhost/a.png")), 422,
               "invalid_template");
  expect_error(Post("/api/video/generate", with_src("http://[::1]/a.png")), 422,
               "invalid_template");
  expect_error(Post("/api/video/generate", with_src("images/a.png")), 422, "invalid_template");
  expect_error(Post("/api/video/generate", with_src("file:///etc/passwd")), 422,
               "invalid_template");
  EXPECT_EQ(Post("/api/video/generate", with_src("data:image/png;base64,AAAA")).status, 202);

  expect_error(Get("/api/video/status/nope"), 404, "not_found");
  expect_error(Get("/nothing/here"), 404, "not_found");
  HttpResponse wrong = Get("/api/video/generate");
  expect_error(wrong, 405, "method_not_allowed");
  EXPECT_EQ(wrong.Header("allow"), "POST");
  EXPECT_EQ(Request(port_, "PUT", "/api/video/status/x").Header("allow"), "GET");

  // 413 from Content-Length, before the body is sent.
  HttpResponse big = SendRaw(port_,
                             "POST /api/video/generate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             "application/json\r\nContent-Length: 100000000\r\n\r\n{");
  expect_error(big, 413, "payload_too_large");
  // And a chunked body that grows past the limit.
  std::string chunk(3000, ' ');
  std::string chunked =
      "POST /api/video/generate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "bb8\r\n" + chunk + "\r\n";
  chunked += "0\r\n\r\n";
  expect_error(SendRaw(port_, chunked), 413, "payload_too_large");
  // The server is still fine.
  EXPECT_EQ(Get("/health").status, 200);
}

TEST_F(ApiTest, ValidateQueuesNothing) {
  StartServer();
  HttpResponse r = Post("/api/video/validate", GenerateBody());
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json doc = Json(r);
  EXPECT_EQ(doc["valid"], true);
  EXPECT_EQ(doc["width"], 320);
  EXPECT_EQ(doc["height"], 240);
  EXPECT_EQ(doc["durationSec"], 2.0);
  EXPECT_EQ(doc["frames"], 60);
  auto counts = producer_->GetCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->waiting + counts->prioritized + counts->delayed, 0);
  EXPECT_EQ(Post("/api/video/validate", R"({"template":{"tracks":"x"}})").status, 422);
}

TEST_F(ApiTest, OutputOverridesDelayAndStoredTemplates) {
  std::filesystem::create_directories(config_.templates_dir);
  { std::ofstream(config_.templates_dir + "/promo.json") << kTemplate; }
  StartServer();
  std::string id =
      Json(
          Post(
              "/api/video/generate",
              R"({"templateId":"promo","input":{"name":"B"},"output":{"width":640,"height":480},"delay":60000})"))
          .value("jobId", "");
  ASSERT_FALSE(id.empty());
  nlohmann::json status = Json(Get("/api/video/status/" + id));
  EXPECT_EQ(status["status"], "delayed");
  auto job = producer_->GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->data["template"]["output"]["width"], 640);
  EXPECT_EQ(job->data["output"]["width"], 640);
  EXPECT_EQ(job->delay_ms, 60000);
  // The override is validated with the template.
  EXPECT_EQ(Post("/api/video/generate", R"({"templateId":"promo","output":{"width":3}})").status,
            422);
  EXPECT_EQ(Post("/api/video/generate", R"({"templateId":"../promo"})").status, 400);
}

TEST_F(ApiTest, IdempotencyKey) {
  StartServer();
  HttpResponse first = Post("/api/video/generate", GenerateBody(), "Idempotency-Key: order-17");
  HttpResponse again = Post("/api/video/generate", GenerateBody(), "Idempotency-Key: order-17");
  ASSERT_EQ(first.status, 202);
  ASSERT_EQ(again.status, 202);
  EXPECT_EQ(Json(first)["jobId"], Json(again)["jobId"]);
  EXPECT_EQ(Json(first)["createdAt"], Json(again)["createdAt"]);
  EXPECT_EQ(Json(first)["jobId"], IdempotentJobId("public", "order-17"));
  HttpResponse conflict =
      Post("/api/video/generate", GenerateBody(R"(,"priority":2)"), "Idempotency-Key: order-17");
  EXPECT_EQ(conflict.status, 422);
  EXPECT_EQ(Json(conflict)["error"], "idempotency_conflict");
  EXPECT_EQ(Post("/api/video/generate", GenerateBody(), "Idempotency-Key: " + std::string(201, 'k'))
                .status,
            400);
  auto counts = producer_->GetCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->waiting, 1);
}

TEST_F(ApiTest, CancelAndRetry) {
  StartServer();
  std::string id = Submit();
  HttpResponse cancel = Request(port_, "DELETE", "/api/video/cancel/" + id);
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(Json(cancel)["status"], "cancelled");
  nlohmann::json status = Json(Get("/api/video/status/" + id));
  EXPECT_EQ(status["status"], "cancelled");
  EXPECT_EQ(status["error"]["code"], "cancelled");
  HttpResponse again = Request(port_, "DELETE", "/api/video/cancel/" + id);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(Json(again)["error"], "already_finished");
  EXPECT_EQ(Request(port_, "DELETE", "/api/video/cancel/unknown").status, 404);

  HttpResponse retry = Post("/api/video/retry/" + id, "");
  ASSERT_EQ(retry.status, 202) << retry.body;
  EXPECT_EQ(Json(Get("/api/video/status/" + id))["status"], "queued");
  HttpResponse not_retryable = Post("/api/video/retry/" + id, "");
  EXPECT_EQ(not_retryable.status, 409);
  EXPECT_EQ(Json(not_retryable)["error"], "not_retryable");

  // An active job: the cancel is requested and its worker ends it as cancelled.
  std::atomic<bool> running{false};
  StartConsumer([&](const queue::Job&, queue::JobContext& ctx) {
    running = true;
    while (!ctx.IsCancelled() && !ctx.IsStopping())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return queue::JobOutcome::Failed(Status(ErrorCode::kCancelled, "cancelled"),
                                     queue::Retry::kNever);
  });
  ASSERT_TRUE(WaitFor([&] { return running.load(); }));
  HttpResponse active_cancel = Request(port_, "DELETE", "/api/video/cancel/" + id);
  EXPECT_EQ(active_cancel.status, 200);
  EXPECT_EQ(Json(active_cancel)["status"], "cancelling");
  EXPECT_TRUE(
      WaitFor([&] { return Json(Get("/api/video/status/" + id))["status"] == "cancelled"; }));
}

TEST_F(ApiTest, CancelOfAQueuedJobSendsItsWebhook) {
  config_.allow_private_urls = true;
  webhooks_ = std::make_unique<notify::WebhookQueue>(redis_options(), queue_name());
  StartServer();
  std::string id = Submit("", R"(,"webhookUrl":"http://127.0.0.1:9/hook","metadata":{"o":1})");
  ASSERT_EQ(Request(port_, "DELETE", "/api/video/cancel/" + id).status, 200);
  queue::Producer deliveries(redis_options(), notify::WebhookQueueName(queue_name()));
  auto waiting = deliveries.ListJobs(queue::JobState::kWaiting, 0, 10);
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 1u);
  std::string data = (*waiting)[0].data.dump();
  EXPECT_NE(data.find("video.cancelled"), std::string::npos) << data;
  EXPECT_NE(data.find(id), std::string::npos) << data;
  EXPECT_NE(data.find("http://127.0.0.1:9/hook"), std::string::npos) << data;
}

TEST_F(ApiTest, FailedJobShowsErrorAndCanBeRetried) {
  StartServer();
  std::string id = Submit();
  ASSERT_TRUE(producer_->GetJob(id).ok());
  StartConsumer([&](const queue::Job&, queue::JobContext&) {
    return queue::JobOutcome::Failed(Status(ErrorCode::kAssetUnavailable, "tracks[0]: 404"),
                                     queue::Retry::kNever);
  });
  ASSERT_TRUE(WaitFor([&] { return Json(Get("/api/video/status/" + id))["status"] == "failed"; }));
  nlohmann::json status = Json(Get("/api/video/status/" + id));
  EXPECT_EQ(status["error"]["code"], "asset_unavailable");
  EXPECT_EQ(status["error"]["message"], "tracks[0]: 404");
  EXPECT_EQ(Post("/api/video/retry/" + id, "").status, 202);
}

TEST_F(ApiTest, JobsListPagesNewestFirst) {
  StartServer();
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(Submit());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(Request(port_, "DELETE", "/api/video/cancel/" + ids[1]).status, 200);
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    HttpResponse r = Get("/api/video/jobs?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    nlohmann::json doc = Json(r);
    for (const auto& job : doc["jobs"]) seen.push_back(job["jobId"]);
    if (doc["nextCursor"].is_null()) break;
    cursor = doc["nextCursor"];
  }
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);
  nlohmann::json cancelled = Json(Get("/api/video/jobs?status=cancelled"));
  ASSERT_EQ(cancelled["jobs"].size(), 1u);
  EXPECT_EQ(cancelled["jobs"][0]["jobId"], ids[1]);
  EXPECT_EQ(Get("/api/video/jobs?status=bogus").status, 400);
  EXPECT_EQ(Get("/api/video/jobs?limit=0").status, 400);
  EXPECT_EQ(Get("/api/video/jobs?limit=101").status, 400);
  EXPECT_EQ(Get("/api/video/jobs?cursor=!!!").status, 400);
}

std::string Hs256Token(const std::string& secret, const nlohmann::json& claims) {
  std::string header = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  std::string payload = Base64UrlEncode(claims.dump());
  std::string text = header + "." + payload;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  return text + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), size));
}

TEST_F(ApiTest, ApiKeysAndOwnerIsolation) {
  config_.api_keys = {"key-one", "key-two"};
  StartServer();
  HttpResponse anonymous = Post("/api/video/generate", GenerateBody());
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(Json(anonymous)["error"], "unauthorized");
  EXPECT_EQ(anonymous.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(Post("/api/video/generate", GenerateBody(), "Authorization: Bearer wrong").status, 401);
  EXPECT_EQ(Post("/api/video/generate", GenerateBody(), "Authorization: Basic a2V5").status, 401);

  std::string mine = Submit("Authorization: Bearer key-one");
  std::string theirs = Submit("X-API-Key: key-two");
  auto job = producer_->GetJob(mine);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->data["owner"], OwnerOfApiKey("key-one"));
  EXPECT_EQ(job->data["owner"].get<std::string>().size(), 16u);
  EXPECT_EQ(Get("/api/video/status/" + mine, "X-API-Key: key-one").status, 200);
  EXPECT_EQ(Get("/api/video/status/" + theirs, "X-API-Key: key-one").status, 404);
  EXPECT_EQ(
      Request(port_, "DELETE", "/api/video/cancel/" + theirs, "", "X-API-Key: key-one").status,
      404);
  EXPECT_EQ(Post("/api/video/retry/" + theirs, "", "X-API-Key: key-one").status, 404);
  nlohmann::json list = Json(Get("/api/video/jobs", "X-API-Key: key-two"));
  ASSERT_EQ(list["jobs"].size(), 1u);
  EXPECT_EQ(list["jobs"][0]["jobId"], theirs);
  // A job without an owner (a foreign producer) is invisible while auth is on.
  auto foreign = producer_->Add("render", {{"template", nlohmann::json::object()}});
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(Get("/api/video/status/" + foreign->id, "X-API-Key: key-one").status, 404);
  // Health stays open.
  EXPECT_EQ(Get("/health").status, 200);
}

TEST_F(ApiTest, JwtHs256) {
  config_.jwt_secret = "jwt-secret";
  StartServer();
  int64_t now = SystemClock().NowUnixMs() / 1000;
  std::string good = Hs256Token("jwt-secret", {{"sub", "user-7"}, {"exp", now + 600}});
  std::string id = Submit("Authorization: Bearer " + good);
  auto job = producer_->GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->data["owner"], "jwt:user-7");
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + good).status, 200);
  std::string other = Hs256Token("jwt-secret", {{"sub", "user-8"}, {"exp", now + 600}});
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + other).status, 404);
  std::string expired = Hs256Token("jwt-secret", {{"sub", "user-7"}, {"exp", now - 120}});
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + expired).status, 401);
  std::string early = Hs256Token("jwt-secret", {{"sub", "user-7"}, {"nbf", now + 600}});
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + early).status, 401);
  std::string forged = Hs256Token("other-secret", {{"sub", "user-7"}, {"exp", now + 600}});
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + forged).status, 401);
  std::string no_sub = Hs256Token("jwt-secret", {{"exp", now + 600}});
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + no_sub).status, 401);
  // alg "none" is never accepted.
  std::string none = Base64UrlEncode(R"({"alg":"none"})") + "." +
                     Base64UrlEncode(nlohmann::json{{"sub", "user-7"}}.dump()) + ".";
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + none).status, 401);
}

TEST_F(ApiTest, JwtRs256FromJwksFile) {
  RsaTestKey key("k1");
  ASSERT_TRUE(key.ok());
  config_.jwt_jwks = dir_ + "/jwks.json";
  { std::ofstream(config_.jwt_jwks) << Jwks({&key}).dump(); }
  StartServer();

  int64_t now = SystemClock().NowUnixMs() / 1000;
  std::string token = key.Sign({{"sub", "rsa-user"}, {"exp", now + 600}});
  std::string id = Submit("Authorization: Bearer " + token);
  auto job = producer_->GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->data["owner"], "jwt:rsa-user");
  EXPECT_EQ(Get("/api/video/status/" + id,
                "Authorization: Bearer " + key.Sign({{"sub", "rsa-user"}, {"exp", now - 100}}))
                .status,
            401);
  // A token signed by the same key but tampered afterwards fails.
  std::string tampered = token;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_EQ(Get("/api/video/status/" + id, "Authorization: Bearer " + tampered).status, 401);
}

TEST_F(ApiTest, RateLimitAnswers429WithRetryAfter) {
  config_.api_rate_limit_per_min = 5;
  StartServer();
  int ok = 0, limited = 0;
  std::string retry_after;
  for (int i = 0; i < 8; ++i) {
    HttpResponse r = Get("/api/video/jobs");
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      retry_after = r.Header("retry-after");
      EXPECT_EQ(Json(r)["error"], "rate_limited");
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(limited, 3);
  EXPECT_GE(std::atoi(retry_after.c_str()), 1);
  EXPECT_EQ(Get("/health").status, 200);  // operations endpoints are not limited
}

TEST_F(ApiTest, RateLimitPerClientIpTrustsForwardedForOnlyWhenAsked) {
  config_.api_rate_limit_per_min = 2;
  config_.trust_proxy = true;
  StartServer();
  auto from = [&](const std::string& ip) {
    return Get("/api/video/jobs", "X-Forwarded-For: " + ip + ", 10.0.0.1").status;
  };
  EXPECT_EQ(from("203.0.113.1"), 200);
  EXPECT_EQ(from("203.0.113.1"), 200);
  EXPECT_EQ(from("203.0.113.1"), 429);
  EXPECT_EQ(from("203.0.113.2"), 200);  // another client behind the proxy has its own bucket
  server_->Stop();
  server_.reset();
  config_.trust_proxy = false;
  StartServer();
  EXPECT_EQ(from("203.0.113.3"), 200);
  EXPECT_EQ(from("203.0.113.4"), 200);
  EXPECT_EQ(from("203.0.113.5"), 429);  // the header is ignored: one bucket for 127.0.0.1
}

TEST_F(ApiTest, CorsPreflight) {
  config_.cors_origins = {"https://app.example"};
  StartServer();
  HttpResponse pre = Request(port_, "OPTIONS", "/api/video/generate", "",
                             "Origin: https://app.example\r\nAccess-Control-Request-Method: POST");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(pre.Header("access-control-allow-headers").find("Idempotency-Key"), std::string::npos);
  HttpResponse other = Get("/health", "Origin: https://evil.example");
  EXPECT_EQ(other.Header("access-control-allow-origin"), "");
}

TEST_F(ApiTest, MetricsCountRequestsAndJobs) {
  StartServer();
  Submit();
  Get("/api/video/status/missing");
  HttpResponse r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.Header("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(
      r.body.find(
          R"(vidgen_http_requests_total{method="POST",route="/api/video/generate",status="202"} 1)"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"(route="/api/video/status/:jobId",status="404"} 1)"), std::string::npos);
  EXPECT_NE(r.body.find("vidgen_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(r.body.find(R"(vidgen_jobs{state="queued"} 1)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("vidgen_redis_up 1"), std::string::npos);
  EXPECT_NE(r.body.find("vidgen_storage_bytes"), std::string::npos);
  // Workers across the fleet, counted in Redis: an API process alone sees none.
  EXPECT_NE(r.body.find("vidgen_workers_live 0"), std::string::npos) << r.body;
}

TEST_F(ApiTest, ReadyReportsRedisDown) {
  StartServer();
  ASSERT_EQ(Get("/ready").status, 200);
  redis_->Kill();
  HttpResponse r = Get("/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json(r)["checks"]["redis"], "unavailable");
  HttpResponse generate = Post("/api/video/generate", GenerateBody());
  EXPECT_EQ(generate.status, 503);
  EXPECT_EQ(Json(generate)["error"], "queue_unavailable");
  redis_->Restart();
  EXPECT_TRUE(WaitFor([&] { return Get("/ready").status == 200; }));
}

}  // namespace
}  // namespace vg::api::testing

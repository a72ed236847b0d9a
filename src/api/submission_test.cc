// Submission unit tests: the request checks that need no server (status mapping of errors,
// URL hosts, ISO times, SSRF and ASSET_DIR containment with a fake resolver).
#include "api/submission.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "api/http_errors.h"
#include "base/clock.h"

namespace vg::api {
namespace {

constexpr char kImage[] =
    R"({"template":{"version":1,"duration":1,"output":{"width":320,"height":240},)"
    R"("tracks":[{"type":"image","clips":[{"src":"SRC"}]}]}})";

std::string WithSrc(const std::string& src) {
  std::string body = kImage;
  body.replace(body.find("SRC"), 3, src);
  return body;
}

HostResolver FakeResolver() {
  return [](const std::string& host) -> Result<std::vector<bool>> {
    if (host == "public.test") return std::vector<bool>{false};
    if (host == "mixed.test") return std::vector<bool>{false, true};
    if (host == "127.0.0.1" || host == "internal.test") return std::vector<bool>{true};
    return Status(ErrorCode::kNotFound, "no such host");
  };
}

TEST(SubmissionTest, HttpStatusesAndErrorBodies) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidJson), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidTemplate), 422);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kIdempotencyConflict), 422);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAlreadyFinished), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kQueueUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kRateLimited), 429);
  nlohmann::json internal = ErrorBody(Status(ErrorCode::kInternal, "secret path /etc/x"));
  EXPECT_EQ(internal["error"], "internal");
  EXPECT_EQ(internal["message"].get<std::string>().find("/etc/x"), std::string::npos);
  nlohmann::json detailed = ErrorBody(Status(ErrorCode::kInvalidTemplate, "bad", {{"a.b", "c"}}));
  EXPECT_EQ(detailed["details"][0]["path"], "a.b");
}

TEST(SubmissionTest, UrlHostsAndTimes) {
  std::string host;
  EXPECT_TRUE(UrlHost("https://user:pw@cdn.example.com:8443/a?b#c", &host));
  EXPECT_EQ(host, "cdn.example.com");
  EXPECT_TRUE(UrlHost("http://[::1]:80/x", &host));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(UrlHost("http:///x", &host));
  EXPECT_FALSE(UrlHost("http://a b/x", &host));
  int64_t ms = 0;
  ASSERT_TRUE(ParseIsoTime("2026-11-25T18:40:11.123Z", &ms));
  EXPECT_EQ(FormatIsoUtc(ms), "2026-11-25T18:40:11.123Z");
  EXPECT_FALSE(ParseIsoTime("2026-11-25 18:40", &ms));
  EXPECT_FALSE(ParseIsoTime("2026-13-25T18:40:11Z", &ms));
}

TEST(SubmissionTest, AssetSourcesAreCheckedAtSubmission) {
  config::Config config;
  auto parse = [&](const std::string& src) {
    return ParseSubmission(WithSrc(src), config, 0, FakeResolver());
  };
  EXPECT_TRUE(parse("https://public.test/a.png").ok());
  EXPECT_TRUE(parse("data:image/png;base64,AAAA").ok());
  for (std::string bad :
       {"http://127.0.0.1/a.png", "http://internal.test/a.png", "http://mixed.test/a.png",
        "http://unknown.test/a.png", "ftp://x/a.png", "file:///etc/passwd", "a.png"}) {
    auto r = parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidTemplate) << bad;
    ASSERT_EQ(r.error().details().size(), 1u);
    EXPECT_EQ(r.error().details()[0].path, "tracks[0].clips[0].src");
  }
  config.allow_private_urls = true;
  EXPECT_TRUE(parse("http://127.0.0.1/a.png").ok());

  std::string root = ::testing::TempDir() + "/vg_submission_assets";
  std::filesystem::create_directories(root + "/img");
  config.asset_dir = root;
  EXPECT_TRUE(parse("img/a.png").ok());
  EXPECT_TRUE(parse(root + "/img/a.png").ok());
  EXPECT_FALSE(parse("../a.png").ok());
  EXPECT_FALSE(parse("img/../../a.png").ok());
  EXPECT_FALSE(parse("/etc/passwd").ok());
  std::filesystem::remove_all(root);
}

TEST(SubmissionTest, FieldsAreChecked) {
  config::Config config;
  const std::string t = R"("template":{"version":1,"duration":1,"tracks":[]})";
  auto parse = [&](const std::string& fields) {
    return ParseSubmission("{" + t + fields + "}", config, 1'000'000, FakeResolver());
  };
  auto ok = parse(R"(,"runAt":"1970-01-01T00:20:00Z","priority":7,"metadata":{"k":"v"})");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->delay_ms, 200'000);
  EXPECT_EQ(ok->priority, 7);
  EXPECT_EQ(ok->job_data["metadata"]["k"], "v");
  EXPECT_EQ(parse(R"(,"runAt":"1969-01-01T00:00:00Z")")->delay_ms, 0);  // past: run now
  EXPECT_EQ(parse(R"(,"webhookUrl":"https://public.test/h")")->job_data["webhookUrl"],
            "https://public.test/h");
  for (std::string bad : {R"(,"priority":2097152)", R"(,"priority":1.5)", R"(,"delay":-1)",
                          R"(,"runAt":"tomorrow")", R"(,"metadata":[1])", R"(,"input":"x")",
                          R"(,"webhookUrl":"https://internal.test/h")", R"(,"templateId":"x")"}) {
    auto r = parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(SubmissionTest, TemplateSizeLimitIsOnTheCompactTemplate) {
  config::Config config;
  config.limits.template_bytes = 1024;
  auto parse = [&](const std::string& extra) {
    return ParseSubmission(R"({"template":{"version":1,"duration":1,"tracks":[])" + extra + "}}",
                           config, 0, FakeResolver());
  };
  // Under the limit once compact (the body's whitespace does not count).
  auto spaced = parse(R"(,"name":")" + std::string(800, 'n') + "\"" + std::string(600, ' '));
  ASSERT_TRUE(spaced.ok()) << spaced.error().ToString();
  auto big = parse(R"(,"name":")" + std::string(1000, 'n') + "\"");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code(), ErrorCode::kLimitExceeded);
  // Number literals grow when dumped: 60 × "1e14" (a 370-byte body) is 1,100 bytes compact.
  std::string numbers = R"(,"x":[1e14)";
  for (int i = 1; i < 60; ++i) numbers += ",1e14";
  auto grown = parse(numbers + "]");
  ASSERT_FALSE(grown.ok());
  EXPECT_EQ(grown.error().code(), ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace vg::api

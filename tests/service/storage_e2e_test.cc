// Result storage through the real binary. `vidgen storage check`: with `serve` running on the
// same DATA_DIR every step passes, including the download of the signed /files URL; with no
// API the download is skipped (not failed); a misconfigured store is exit 2 naming the
// variables; a probe object never stays behind. `vidgen serve` with ASSET_STORAGE_PROVIDER=s3
// against a real S3 server (s3rver behind s3-strict, which verifies every signature): a job's
// video and thumbnail land in the bucket and their presigned URLs download a playable MP4 and
// a JPEG; /ready follows the bucket; the storage check passes against it. The same with
// ASSET_STORAGE_PROVIDER=supabase against the Supabase Storage stand-in.
#include <signal.h>

#include <fstream>

#include "service_env.h"
#include "support/s3_server.h"
#include "support/supabase_server.h"

namespace vg::service_test {
namespace {

// The JSON document `storage check --json` printed (logs are off: LOG_LEVEL=error).
Json CheckDocument(const std::string& output) {
  const size_t start = output.find('{');
  if (start == std::string::npos) return Json();
  return Json::parse(output.substr(start), nullptr, /*allow_exceptions=*/false);
}

std::map<std::string, std::string> StepResults(const Json& doc) {
  std::map<std::string, std::string> results;
  if (!doc.is_object() || !doc.contains("steps")) return results;
  for (const Json& step : doc["steps"]) results[step.value("step", "")] = step.value("result", "");
  return results;
}

class StorageCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { signal(SIGPIPE, SIG_IGN); }
  Env BaseEnv() const {
    return {{"DATA_DIR", (dir_.path() / "data").string()}, {"LOG_LEVEL", "error"}};
  }
  std::pair<int, std::string> Check(const Env& env) {
    std::vector<std::string> argv = {VidgenPath(), "storage", "check", "--json"};
    return testing::RunProcess(argv, env, 30000);
  }
  TempDir dir_;
};

TEST_F(StorageCheckTest, WithServeRunningEveryStepPassesIncludingTheDownload) {
  Env env = BaseEnv();
  env["RATE_LIMIT_MAX"] = "0";
  Service serve("serve", env);
  ASSERT_TRUE(serve.ready()) << serve.output();
  env["PORT"] = std::to_string(serve.port());
  auto [code, output] = Check(env);
  EXPECT_EQ(code, 0) << output;
  const Json doc = CheckDocument(output);
  EXPECT_EQ(doc.value("provider", ""), "local") << output;
  EXPECT_EQ(doc.value("ok", false), true) << output;
  const auto results = StepResults(doc);
  for (const char* step : {"reach", "put", "head", "sign", "get", "delete"}) {
    EXPECT_EQ(results.count(step) ? results.at(step) : "missing", "ok") << step << "\n" << output;
  }
  EXPECT_TRUE(FilesUnder(dir_.path() / "data" / "videos").empty()) << "the probe was deleted";
  serve.process().Kill(SIGTERM);
  EXPECT_EQ(serve.process().Wait(15000), 0) << serve.output();
}

TEST_F(StorageCheckTest, WithoutAnApiTheDownloadIsSkippedNotFailed) {
  Env env = BaseEnv();
  env["PORT"] = "9";  // discard: nothing listens there on loopback
  auto [code, output] = Check(env);
  EXPECT_EQ(code, 0) << output;
  auto results = StepResults(CheckDocument(output));
  EXPECT_EQ(results["put"], "ok") << output;
  EXPECT_EQ(results["get"], "skipped") << output;
  EXPECT_EQ(results["delete"], "ok") << output;
}

TEST_F(StorageCheckTest, MissingS3SettingsAreExitTwoNamingEachVariable) {
  Env env = BaseEnv();
  env["ASSET_STORAGE_PROVIDER"] = "s3";
  auto [code, output] = Check(env);
  EXPECT_EQ(code, 2) << output;
  for (const char* name : {"AWS_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) {
    EXPECT_NE(output.find(name), std::string::npos) << name << "\n" << output;
  }
}

TEST_F(StorageCheckTest, AStoreThatCannotBeWrittenIsRefusedWithTheReason) {
  Env env = BaseEnv();
  const fs::path blocker = dir_.path() / "not-a-folder";
  { std::ofstream(blocker) << "x"; }
  env["LOCAL_STORAGE_DIR"] = (blocker / "videos").string();
  auto [code, output] = Check(env);
  EXPECT_NE(code, 0) << output;
  EXPECT_NE(output.find("storage"), std::string::npos) << output;
}

class ServeWithS3Test : public StorageCheckTest {
 protected:
  void SetUp() override {
    StorageCheckTest::SetUp();
    ASSERT_TRUE(fs::exists(testing::S3Server::StrictScript()))
        << "../shared/tools/s3-strict must sit beside the project";
    s3_ = std::make_unique<testing::S3Server>(testing::S3Server::Kind::kStrict,
                                              (dir_.path() / "s3").string());
    ASSERT_TRUE(s3_->Start());
  }
  Env S3Env() const {
    Env env = BaseEnv();
    env["ASSET_STORAGE_PROVIDER"] = "s3";
    env["AWS_S3_BUCKET"] = testing::S3Server::kBucket;
    env["AWS_REGION"] = "us-east-1";
    env["AWS_ACCESS_KEY_ID"] = s3_->access_key();
    env["AWS_SECRET_ACCESS_KEY"] = s3_->secret();
    env["S3_ENDPOINT"] = s3_->endpoint();
    env["S3_FORCE_PATH_STYLE"] = "true";
    env["RATE_LIMIT_MAX"] = "0";
    return env;
  }
  std::unique_ptr<testing::S3Server> s3_;
};

TEST_F(ServeWithS3Test, JobResultLandsInTheBucketAndItsPresignedUrlsPlay) {
  Service serve("serve", S3Env());
  ASSERT_TRUE(serve.ready()) << serve.output();
  HttpReply ready = HttpRequest("GET", serve.url("/ready"));
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["checks"]["storage"], "ok") << ready.body;

  HttpReply posted = HttpRequest("POST", serve.url("/api/video/generate"),
                                 Json({{"template", TestTemplate(160, 90, 1.0)},
                                       {"input", {{"name", "S3"}}}})
                                     .dump());
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json()["jobId"];
  Json status;
  ASSERT_TRUE(WaitFor(
      [&] {
        status = HttpRequest("GET", serve.url("/api/video/status/" + id)).json();
        const std::string state = status.value("status", "");
        return state == "completed" || state == "failed";
      },
      60000))
      << status.dump();
  ASSERT_EQ(status["status"], "completed") << status.dump() << "\n" << serve.output();
  const Json& result = status["result"];
  EXPECT_EQ(result["storageKey"], "videos/" + id + ".mp4");
  const std::string url = result.value("url", "");
  EXPECT_EQ(url.rfind(s3_->endpoint() + "/videos/videos/" + id + ".mp4?", 0), 0) << url;
  EXPECT_NE(url.find("X-Amz-Signature="), std::string::npos) << url;

  // The presigned URL, fetched as a browser would, is the video (s3-strict checked the
  // signature); a tampered one is refused.
  HttpReply video = HttpRequest("GET", url);
  ASSERT_EQ(video.status, 200) << video.body.substr(0, 500);
  EXPECT_EQ(video.headers["content-type"], "video/mp4");
  EXPECT_EQ(static_cast<int64_t>(video.body.size()), result["sizeBytes"].get<int64_t>());
  const fs::path downloaded = dir_.path() / "downloaded.mp4";
  { std::ofstream(downloaded, std::ios::binary) << video.body; }
  Json probe = Probe(downloaded);
  ASSERT_TRUE(probe.contains("streams")) << "not playable";
  EXPECT_EQ(probe["streams"][0]["codec_name"], "h264");
  EXPECT_EQ(probe["streams"][0]["width"], 160);
  EXPECT_NEAR(std::stod(probe["format"]["duration"].get<std::string>()), 1.0, 0.05);
  HttpReply thumbnail = HttpRequest("GET", result.value("thumbnailUrl", ""));
  EXPECT_EQ(thumbnail.status, 200);
  EXPECT_EQ(thumbnail.headers["content-type"], "image/jpeg");
  std::string tampered = url;
  tampered.replace(tampered.find(".mp4?"), 4, ".jpg");
  EXPECT_EQ(HttpRequest("GET", tampered).status, 403);

  // The operator's round trip passes against the same bucket.
  auto [code, output] = Check(S3Env());
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(CheckDocument(output).value("ok", false), true) << output;

  // The bucket gone → not ready (storage), and back.
  s3_->Kill();
  HttpReply down = HttpRequest("GET", serve.url("/ready"));
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(down.json()["checks"]["storage"], "unavailable") << down.body;
  ASSERT_TRUE(s3_->Start());
  EXPECT_TRUE(WaitFor([&] { return HttpRequest("GET", serve.url("/ready")).status == 200; },
                      10000));
  serve.process().Kill(SIGTERM);
  EXPECT_EQ(serve.process().Wait(15000), 0) << serve.output();
}

TEST_F(StorageCheckTest, ServeWithSupabaseStoresTheResultAndItsSignedUrlPlays) {
  testing::SupabaseServer supabase(dir_.path() / "supabase");
  ASSERT_TRUE(supabase.ready()) << supabase.output();
  Env env = BaseEnv();
  env["ASSET_STORAGE_PROVIDER"] = "supabase";
  env["SUPABASE_URL"] = supabase.url();
  env["SUPABASE_KEY"] = supabase.secret_key();
  env["SUPABASE_BUCKET"] = "videos";
  env["RATE_LIMIT_MAX"] = "0";
  Service serve("serve", env);
  ASSERT_TRUE(serve.ready()) << serve.output();
  EXPECT_EQ(HttpRequest("GET", serve.url("/ready")).json()["checks"]["storage"], "ok");

  HttpReply posted = HttpRequest(
      "POST", serve.url("/api/video/generate"),
      Json({{"template", TestTemplate(160, 90, 1.0)}, {"input", {{"name", "SB"}}}}).dump());
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.json()["jobId"];
  Json status;
  ASSERT_TRUE(WaitFor(
      [&] {
        status = HttpRequest("GET", serve.url("/api/video/status/" + id)).json();
        const std::string state = status.value("status", "");
        return state == "completed" || state == "failed";
      },
      60000))
      << status.dump();
  ASSERT_EQ(status["status"], "completed") << status.dump() << "\n" << serve.output();
  const std::string url = status["result"].value("url", "");
  EXPECT_EQ(url.rfind(supabase.url() + "/storage/v1/object/sign/videos/videos/" + id + ".mp4?token=",
                      0),
            0)
      << url;
  HttpReply video = HttpRequest("GET", url);
  ASSERT_EQ(video.status, 200) << video.body.substr(0, 300);
  EXPECT_EQ(static_cast<int64_t>(video.body.size()),
            status["result"]["sizeBytes"].get<int64_t>());
  const fs::path downloaded = dir_.path() / "from-supabase.mp4";
  { std::ofstream(downloaded, std::ios::binary) << video.body; }
  EXPECT_EQ(Probe(downloaded)["streams"][0]["codec_name"], "h264");

  env["SUPABASE_KEY"] = "sb_secret_wrong";
  auto [code, output] = Check(env);
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("refused the key"), std::string::npos) << output;
  serve.process().Kill(SIGTERM);
  EXPECT_EQ(serve.process().Wait(15000), 0) << serve.output();
}

}  // namespace
}  // namespace vg::service_test

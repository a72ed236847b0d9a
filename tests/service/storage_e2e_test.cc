// `vidgen storage check` through the real binary: with `serve` running on the same DATA_DIR
// every step passes, including the download of the signed /files URL; with no API the
// download is skipped (not failed); a misconfigured store is exit 2 naming the variables; a
// probe object never stays behind.
#include <signal.h>

#include <fstream>

#include "service_env.h"

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

}  // namespace
}  // namespace vg::service_test

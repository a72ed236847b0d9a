// Tests of LoadConfig (types, ranges, defaults per mode, every problem at once, masking) and
// ReadEnvironment (.env parsing, the environment winning over the file).
#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vg::config {
namespace {

using Env = std::map<std::string, std::string>;
using ::testing::HasSubstr;

const char kSecret[] = "0123456789abcdef-signing";

Env ApiEnv(Env extra = {}) {
  extra.emplace("URL_SIGNING_SECRET", kSecret);
  return extra;
}

// The problem reported for `name`, or "" when none.
std::string ProblemFor(const Result<Config>& result, const std::string& name) {
  if (result.ok()) return "";
  for (const auto& detail : result.error().details()) {
    if (detail.path == name) return detail.message;
  }
  return "";
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "vg_config_test_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

TEST(LoadConfigTest, DefaultsMatchTheContract) {
  auto config = LoadConfig({}, Mode::kServe);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 3000);
  EXPECT_EQ(config->public_base_url, "http://127.0.0.1:3000");
  EXPECT_EQ(config->queue_name, "video");
  EXPECT_EQ(config->queue_prefix, "bull");
  EXPECT_EQ(config->worker_concurrency, 1);
  EXPECT_EQ(config->rate_limit_max, 5);
  EXPECT_EQ(config->rate_limit_duration_ms, 60000);
  EXPECT_EQ(config->job_timeout_ms, 1800000);
  EXPECT_EQ(config->shutdown_grace_ms, 30000);
  EXPECT_EQ(config->job_attempts, 3);
  EXPECT_EQ(config->job_backoff_ms, 5000);
  EXPECT_EQ(config->failed_job_ttl_days, 7);
  EXPECT_EQ(config->completed_job_ttl_days, 1);
  EXPECT_EQ(config->storage_provider, StorageProvider::kLocal);
  EXPECT_EQ(config->data_dir, "./data");
  EXPECT_EQ(config->local_storage_dir, "./data/videos");
  EXPECT_EQ(config->templates_dir, "./data/templates");
  EXPECT_EQ(config->signed_url_ttl_s, 86400);
  EXPECT_EQ(config->api_rate_limit_per_min, 120);
  EXPECT_FALSE(config->trust_proxy);
  EXPECT_FALSE(config->allow_private_urls);
  EXPECT_EQ(config->max_body_bytes, 2097152);
  EXPECT_EQ(config->limits.pixels, 3840 * 2160);
  EXPECT_EQ(config->limits.template_bytes, 1 << 20);
  EXPECT_EQ(config->job_lock_ms, 30000);
  EXPECT_EQ(config->stalled_interval_ms, 30000);
  EXPECT_TRUE(config->api_keys.empty());
  EXPECT_TRUE(config->webhook_secret.empty());
}

TEST(LoadConfigTest, ServeHasNoRedisButApiAndWorkerDefaultToLocalRedis) {
  auto serve = LoadConfig({}, Mode::kServe);
  ASSERT_TRUE(serve.ok());
  EXPECT_FALSE(serve->redis.configured);
  for (Mode mode : {Mode::kApi, Mode::kWorker}) {
    auto config = LoadConfig(ApiEnv(), mode);
    ASSERT_TRUE(config.ok()) << config.error().ToString();
    EXPECT_TRUE(config->redis.configured);
    EXPECT_EQ(config->redis.host, "127.0.0.1");
    EXPECT_EQ(config->redis.port, 6379);
    EXPECT_EQ(config->redis.db, 0);
  }
}

TEST(LoadConfigTest, ApiAndWorkerRequireASigningSecretWithLocalStorage) {
  for (Mode mode : {Mode::kApi, Mode::kWorker}) {
    auto config = LoadConfig({}, mode);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(ProblemFor(config, "URL_SIGNING_SECRET"), HasSubstr("required"));
  }
  EXPECT_TRUE(LoadConfig({}, Mode::kServe).ok());  // serve generates one
  EXPECT_THAT(
      ProblemFor(LoadConfig({{"URL_SIGNING_SECRET", "short"}}, Mode::kApi), "URL_SIGNING_SECRET"),
      HasSubstr("16"));
}

TEST(LoadConfigTest, RedisUrlIsParsed) {
  auto config = LoadConfig(ApiEnv({{"REDIS_URL", "redis://alice:p%ss@redis.internal:6380/4"}}),
                           Mode::kWorker);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_TRUE(config->redis.configured);
  EXPECT_EQ(config->redis.username, "alice");
  EXPECT_EQ(config->redis.password, "p%ss");
  EXPECT_EQ(config->redis.host, "redis.internal");
  EXPECT_EQ(config->redis.port, 6380);
  EXPECT_EQ(config->redis.db, 4);

  auto serve = LoadConfig({{"REDIS_URL", "redis://:secret@[::1]"}}, Mode::kServe);
  ASSERT_TRUE(serve.ok()) << serve.error().ToString();
  EXPECT_TRUE(serve->redis.configured);  // serve uses a configured Redis instead of its own
  EXPECT_EQ(serve->redis.host, "::1");
  EXPECT_EQ(serve->redis.port, 6379);
  EXPECT_EQ(serve->redis.password, "secret");
}

TEST(LoadConfigTest, RedisSeparateVariables) {
  auto config = LoadConfig({{"REDIS_HOST", "cache"},
                            {"REDIS_PORT", "7000"},
                            {"REDIS_PASSWORD", "pw"},
                            {"REDIS_DB", "2"}},
                           Mode::kServe);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_TRUE(config->redis.configured);
  EXPECT_EQ(config->redis.host, "cache");
  EXPECT_EQ(config->redis.port, 7000);
  EXPECT_EQ(config->redis.password, "pw");
  EXPECT_EQ(config->redis.db, 2);
}

TEST(LoadConfigTest, BadRedisUrlsAreExplained) {
  EXPECT_THAT(ProblemFor(LoadConfig({{"REDIS_URL", "rediss://h:6379"}}, Mode::kServe), "REDIS_URL"),
              HasSubstr("not supported yet"));
  EXPECT_THAT(ProblemFor(LoadConfig({{"REDIS_URL", "http://h:6379"}}, Mode::kServe), "REDIS_URL"),
              HasSubstr("redis://"));
  EXPECT_THAT(ProblemFor(LoadConfig({{"REDIS_URL", "redis://h:99999"}}, Mode::kServe), "REDIS_URL"),
              HasSubstr("port"));
  EXPECT_THAT(ProblemFor(LoadConfig({{"REDIS_URL", "redis://h/x"}}, Mode::kServe), "REDIS_URL"),
              HasSubstr("database"));
  EXPECT_THAT(ProblemFor(LoadConfig({{"REDIS_URL", "redis://:6379"}}, Mode::kServe), "REDIS_URL"),
              HasSubstr("host"));
}

TEST(LoadConfigTest, BooleansAcceptTheUsualSpellings) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes"}) {
    auto config = LoadConfig({{"ALLOW_PRIVATE_URLS", yes}, {"TRUST_PROXY", yes}}, Mode::kServe);
    ASSERT_TRUE(config.ok()) << yes;
    EXPECT_TRUE(config->allow_private_urls) << yes;
    EXPECT_TRUE(config->trust_proxy) << yes;
  }
  for (const char* no : {"false", "0", "no", "NO"}) {
    auto config = LoadConfig({{"ALLOW_PRIVATE_URLS", no}}, Mode::kServe);
    ASSERT_TRUE(config.ok()) << no;
    EXPECT_FALSE(config->allow_private_urls) << no;
  }
  EXPECT_THAT(ProblemFor(LoadConfig({{"TRUST_PROXY", "maybe"}}, Mode::kServe), "TRUST_PROXY"),
              HasSubstr("true or false"));
}

TEST(LoadConfigTest, IntegersAreRangeChecked) {
  auto ok = LoadConfig({{"PORT", "0"}, {"WORKER_CONCURRENCY", "64"}, {"RATE_LIMIT_MAX", "0"}},
                       Mode::kServe);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->port, 0);
  EXPECT_EQ(ok->worker_concurrency, 64);
  EXPECT_EQ(ok->rate_limit_max, 0);

  EXPECT_THAT(ProblemFor(LoadConfig({{"PORT", "65536"}}, Mode::kServe), "PORT"),
              HasSubstr("0 to 65535"));
  EXPECT_THAT(ProblemFor(LoadConfig({{"PORT", "80a"}}, Mode::kServe), "PORT"),
              HasSubstr("whole number"));
  EXPECT_THAT(
      ProblemFor(LoadConfig({{"WORKER_CONCURRENCY", "0"}}, Mode::kServe), "WORKER_CONCURRENCY"),
      HasSubstr("1 to 64"));
  EXPECT_THAT(
      ProblemFor(LoadConfig({{"WORKER_CONCURRENCY", "65"}}, Mode::kServe), "WORKER_CONCURRENCY"),
      HasSubstr("1 to 64"));
  EXPECT_FALSE(
      ProblemFor(LoadConfig({{"JOB_ATTEMPTS", "-1"}}, Mode::kServe), "JOB_ATTEMPTS").empty());
  EXPECT_FALSE(
      ProblemFor(LoadConfig({{"MAX_BODY_BYTES", "1e6"}}, Mode::kServe), "MAX_BODY_BYTES").empty());
}

TEST(LoadConfigTest, EmptyValuesCountAsUnset) {
  auto config = LoadConfig({{"PORT", ""}, {"WEBHOOK_SECRET", "  "}}, Mode::kServe);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->port, 3000);
  EXPECT_TRUE(config->webhook_secret.empty());
}

TEST(LoadConfigTest, SignedUrlTtlIsCappedAtSevenDaysWithS3Only) {
  Env s3 = {{"ASSET_STORAGE_PROVIDER", "s3"},
            {"AWS_S3_BUCKET", "videos"},
            {"AWS_ACCESS_KEY_ID", "AKIA"},
            {"AWS_SECRET_ACCESS_KEY", "secret"}};
  s3["SIGNED_URL_TTL_S"] = "604800";
  EXPECT_TRUE(LoadConfig(s3, Mode::kApi).ok());  // no signing secret needed with s3
  s3["SIGNED_URL_TTL_S"] = "604801";
  EXPECT_THAT(ProblemFor(LoadConfig(s3, Mode::kApi), "SIGNED_URL_TTL_S"), HasSubstr("604800"));
  auto local = LoadConfig({{"SIGNED_URL_TTL_S", "2592000"}}, Mode::kServe);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->signed_url_ttl_s, 2592000);
}

TEST(LoadConfigTest, StorageProvidersNeedTheirSettings) {
  auto s3 = LoadConfig({{"ASSET_STORAGE_PROVIDER", "s3"}}, Mode::kWorker);
  ASSERT_FALSE(s3.ok());
  EXPECT_FALSE(ProblemFor(s3, "AWS_S3_BUCKET").empty());
  EXPECT_FALSE(ProblemFor(s3, "AWS_ACCESS_KEY_ID").empty());
  auto supabase = LoadConfig({{"ASSET_STORAGE_PROVIDER", "Supabase"}}, Mode::kWorker);
  EXPECT_FALSE(ProblemFor(supabase, "SUPABASE_URL").empty());
  EXPECT_FALSE(ProblemFor(supabase, "SUPABASE_KEY").empty());
  EXPECT_THAT(ProblemFor(LoadConfig({{"ASSET_STORAGE_PROVIDER", "gcs"}}, Mode::kServe),
                         "ASSET_STORAGE_PROVIDER"),
              HasSubstr("local, s3 or supabase"));
  auto dirs = LoadConfig({{"DATA_DIR", "/srv/vg"}}, Mode::kServe);
  ASSERT_TRUE(dirs.ok());
  EXPECT_EQ(dirs->local_storage_dir, "/srv/vg/videos");
  EXPECT_EQ(dirs->templates_dir, "/srv/vg/templates");
}

TEST(LoadConfigTest, S3UploadTuning) {
  Env s3 = {{"ASSET_STORAGE_PROVIDER", "s3"},
            {"AWS_S3_BUCKET", "videos"},
            {"AWS_ACCESS_KEY_ID", "AKIA"},
            {"AWS_SECRET_ACCESS_KEY", "secret"}};
  auto defaults = LoadConfig(s3, Mode::kWorker);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->s3.multipart_threshold_mb, 16);
  EXPECT_EQ(defaults->s3.part_size_mb, 16);
  EXPECT_EQ(defaults->s3.upload_concurrency, 4);
  s3["S3_PART_SIZE_MB"] = "64";
  s3["S3_MULTIPART_THRESHOLD_MB"] = "100";
  s3["S3_UPLOAD_CONCURRENCY"] = "8";
  auto tuned = LoadConfig(s3, Mode::kWorker);
  ASSERT_TRUE(tuned.ok());
  EXPECT_EQ(tuned->s3.part_size_mb, 64);
  EXPECT_EQ(tuned->s3.multipart_threshold_mb, 100);
  EXPECT_EQ(tuned->s3.upload_concurrency, 8);
  s3["S3_PART_SIZE_MB"] = "4";  // below S3's 5 MiB part minimum
  s3["S3_UPLOAD_CONCURRENCY"] = "0";
  auto bad = LoadConfig(s3, Mode::kWorker);
  EXPECT_FALSE(ProblemFor(bad, "S3_PART_SIZE_MB").empty());
  EXPECT_FALSE(ProblemFor(bad, "S3_UPLOAD_CONCURRENCY").empty());
}

TEST(LoadConfigTest, ApiKeysFromListOrFile) {
  auto list = LoadConfig({{"API_KEYS", " k1, k2 ,,k3 "}}, Mode::kServe);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->api_keys, (std::vector<std::string>{"k1", "k2", "k3"}));

  TempDir dir;
  const std::string file = dir.Write("keys", "# operators\nalpha\n\n  beta  \r\n");
  auto from_file = LoadConfig({{"API_KEYS_FILE", file}}, Mode::kServe);
  ASSERT_TRUE(from_file.ok()) << from_file.error().ToString();
  EXPECT_EQ(from_file->api_keys, (std::vector<std::string>{"alpha", "beta"}));

  EXPECT_THAT(ProblemFor(LoadConfig({{"API_KEYS", "a"}, {"API_KEYS_FILE", file}}, Mode::kServe),
                         "API_KEYS_FILE"),
              HasSubstr("not both"));
  EXPECT_THAT(
      ProblemFor(LoadConfig({{"API_KEYS_FILE", file + ".missing"}}, Mode::kServe), "API_KEYS_FILE"),
      HasSubstr("cannot be read"));
}

TEST(LoadConfigTest, LimitPixelsAsSizeOrNumber) {
  auto size = LoadConfig({{"LIMIT_PIXELS", "1920x1080"}}, Mode::kServe);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->limits.pixels, 1920 * 1080);
  auto number = LoadConfig({{"LIMIT_PIXELS", "1000000"}}, Mode::kServe);
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->limits.pixels, 1000000);
  EXPECT_THAT(ProblemFor(LoadConfig({{"LIMIT_PIXELS", "4k"}}, Mode::kServe), "LIMIT_PIXELS"),
              HasSubstr("WIDTHxHEIGHT"));
  EXPECT_FALSE(
      ProblemFor(LoadConfig({{"LIMIT_PIXELS", "0x100"}}, Mode::kServe), "LIMIT_PIXELS").empty());
  auto duration = LoadConfig({{"LIMIT_DURATION_S", "90.5"}, {"LIMIT_FONTS", "3"}}, Mode::kServe);
  ASSERT_TRUE(duration.ok());
  EXPECT_DOUBLE_EQ(duration->limits.duration_s, 90.5);
  EXPECT_EQ(duration->limits.fonts, 3);
}

TEST(LoadConfigTest, WebhookSecretMustBeWhsecBase64) {
  auto good =
      LoadConfig({{"WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, Mode::kServe);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->webhook_secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  for (const char* bad : {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!"}) {
    EXPECT_THAT(ProblemFor(LoadConfig({{"WEBHOOK_SECRET", bad}}, Mode::kServe), "WEBHOOK_SECRET"),
                HasSubstr("whsec_"))
        << bad;
  }
}

TEST(LoadConfigTest, PublicBaseUrlDefaultsToHostAndPort) {
  auto config = LoadConfig({{"HOST", "0.0.0.0"}, {"PORT", "8080"}}, Mode::kServe);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->public_base_url, "http://127.0.0.1:8080");
  auto given = LoadConfig({{"PUBLIC_BASE_URL", "https://videos.example.com/"}}, Mode::kServe);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->public_base_url, "https://videos.example.com");
  EXPECT_FALSE(ProblemFor(LoadConfig({{"PUBLIC_BASE_URL", "videos.example.com"}}, Mode::kServe),
                          "PUBLIC_BASE_URL")
                   .empty());
}

TEST(LoadConfigTest, CorsOriginsAndLogLevel) {
  auto config = LoadConfig(
      {{"CORS_ORIGINS", "https://a.example, http://b.example:8080"}, {"LOG_LEVEL", "DEBUG"}},
      Mode::kServe);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->cors_origins,
            (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_FALSE(ProblemFor(LoadConfig({{"CORS_ORIGINS", "a.example"}}, Mode::kServe), "CORS_ORIGINS")
                   .empty());
  EXPECT_FALSE(ProblemFor(LoadConfig({{"LOG_LEVEL", "loud"}}, Mode::kServe), "LOG_LEVEL").empty());
}

TEST(LoadConfigTest, EveryProblemIsReportedAtOnce) {
  auto config = LoadConfig({{"PORT", "-1"},
                            {"WORKER_CONCURRENCY", "many"},
                            {"TRUST_PROXY", "2"},
                            {"WEBHOOK_SECRET", "plain"},
                            {"QUEUE_NAME", "a:b"}},
                           Mode::kApi);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code(), ErrorCode::kInvalidArgument);
  std::vector<std::string> paths;
  for (const auto& detail : config.error().details()) paths.push_back(detail.path);
  EXPECT_THAT(
      paths, ::testing::UnorderedElementsAre("PORT", "WORKER_CONCURRENCY", "TRUST_PROXY",
                                             "WEBHOOK_SECRET", "QUEUE_NAME", "URL_SIGNING_SECRET"));
  EXPECT_EQ(config.error().message(), "The configuration has 6 problems.");
}

TEST(LoadConfigTest, DescribeNeverShowsSecrets) {
  const Env env = {{"URL_SIGNING_SECRET", "super-secret-signing-key"},
                   {"WEBHOOK_SECRET", "whsec_c2VjcmV0LWJ5dGVzLWhlcmU="},
                   {"JWT_SECRET", "jwt-secret-value"},
                   {"API_KEYS", "key-one,key-two"},
                   {"REDIS_URL", "redis://user:redis-pass@h:6379/1"},
                   {"AWS_SECRET_ACCESS_KEY", "aws-secret-value"},
                   {"SUPABASE_KEY", "supabase-secret"}};
  auto config = LoadConfig(env, Mode::kApi);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  std::string all;
  for (const auto& line : config->Describe()) all += line + "\n";
  for (const char* secret : {"super-secret-signing-key", "c2VjcmV0", "jwt-secret-value", "key-one",
                             "key-two", "redis-pass", "aws-secret-value", "supabase-secret"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " leaked in:\n" << all;
  }
  EXPECT_THAT(all, HasSubstr("URL_SIGNING_SECRET=(set)"));
  EXPECT_THAT(all, HasSubstr("JWT_JWKS=\n"));
  EXPECT_THAT(all, HasSubstr("API_KEYS=(2 keys)"));
  EXPECT_THAT(all, HasSubstr("REDIS_URL=redis://***@h:6379/1"));
  EXPECT_THAT(all, HasSubstr("PORT=3000"));
}

TEST(ReadEnvironmentTest, ReadsDotenvAndTheEnvironmentWins) {
  TempDir dir;
  const std::string file = dir.Write(".env",
                                     "# comment\n"
                                     "\n"
                                     "VG_TEST_PLAIN=hello world # trailing comment\n"
                                     "export VG_TEST_EXPORTED=1\n"
                                     "VG_TEST_DOUBLE=\"a \\\"quoted\\\" #value\\n\"\n"
                                     "VG_TEST_SINGLE='raw \\n $x'\n"
                                     "VG_TEST_EMPTY=\n"
                                     "VG_TEST_OVERRIDDEN=from-file\r\n");
  ASSERT_EQ(setenv("VG_TEST_OVERRIDDEN", "from-env", 1), 0);
  auto env = ReadEnvironment(file);
  unsetenv("VG_TEST_OVERRIDDEN");
  ASSERT_TRUE(env.ok()) << env.error().ToString();
  EXPECT_EQ(env->at("VG_TEST_PLAIN"), "hello world");
  EXPECT_EQ(env->at("VG_TEST_EXPORTED"), "1");
  EXPECT_EQ(env->at("VG_TEST_DOUBLE"), "a \"quoted\" #value\n");
  EXPECT_EQ(env->at("VG_TEST_SINGLE"), "raw \\n $x");
  EXPECT_EQ(env->at("VG_TEST_EMPTY"), "");
  EXPECT_EQ(env->at("VG_TEST_OVERRIDDEN"), "from-env");
  EXPECT_TRUE(env->count("PATH"));  // the process environment is there too
}

TEST(ReadEnvironmentTest, MissingFileIsFineAndMalformedLinesAreReportedWithLineNumbers) {
  auto env = ReadEnvironment("definitely-not-here/.env");
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(env->count("PATH"));

  TempDir dir;
  const std::string file =
      dir.Write(".env", "GOOD=1\nthis is not an assignment\nBAD=\"unterminated\n1X=2\n");
  auto bad = ReadEnvironment(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(bad.error().details().size(), 3u);
  EXPECT_EQ(bad.error().details()[0].path, file + ":2");
  EXPECT_EQ(bad.error().details()[1].path, file + ":3");
  EXPECT_THAT(bad.error().details()[1].message, HasSubstr("BAD"));
  EXPECT_EQ(bad.error().details()[2].path, file + ":4");
}

TEST(ReadEnvironmentTest, LoadedValuesFeedLoadConfig) {
  TempDir dir;
  const std::string file = dir.Write(".env", "VG_TEST_UNUSED=1\nWORKER_CONCURRENCY=3\n");
  ASSERT_EQ(unsetenv("WORKER_CONCURRENCY"), 0);
  auto env = ReadEnvironment(file);
  ASSERT_TRUE(env.ok());
  auto config = LoadConfig(*env, Mode::kServe);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->worker_concurrency, 3);
}

}  // namespace
}  // namespace vg::config

// The S3 store against a real S3 server: s3rver 3.7.1 behind ../shared/tools/s3-strict, which
// verifies SigV4 (header and presigned), payload hashes and multipart rules as S3 does. What
// vidgen writes is read back byte for byte by the AWS SDK for JavaScript v3 (sdk_peer.js), the
// presigned URLs are fetched with plain HTTP, and failures are real: a wrong secret, a missing
// bucket, a closed port, a proxy answering 500 twice, a server SIGKILLed in the middle of a
// multipart upload. Servers run on free loopback ports with their data in a temp folder and are
// killed by pid. Also prints the upload speed of a 60 MiB file through s3-strict and to plain
// s3rver.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "net/curl_http_client.h"
#include "storage/s3_store.h"
#include "storage/sigv4.h"
#include "support/redis_server.h"
#include "support/s3_server.h"
#include "support/subprocess.h"

namespace vg::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kBucket = testing::S3Server::kBucket;
constexpr int64_t kMiB = 1 << 20;

bool WaitUntil(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return condition();
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

std::string Sha256OfFile(const std::string& path) { return sigv4::Sha256Hex(ReadFile(path)); }

// A random file of `size` bytes.
void WriteRandomFile(const std::string& path, int64_t size) {
  std::mt19937_64 generator(static_cast<uint64_t>(size) * 7919);
  std::vector<uint64_t> block(1 << 17);  // 1 MiB
  std::ofstream out(path, std::ios::binary);
  for (int64_t written = 0; written < size;) {
    for (uint64_t& word : block) word = generator();
    const int64_t n = std::min<int64_t>(size - written, 1 << 20);
    out.write(reinterpret_cast<const char*>(block.data()), n);
    written += n;
  }
}

using testing::S3Server;

// What the AWS SDK reads at a key.
struct SdkObject {
  bool absent = false;
  int64_t size = -1;
  std::string sha256;
  std::string content_type;
  std::string content_disposition;
  std::string error;
};

std::map<std::string, SdkObject> SdkGet(const S3Server& server,
                                        const std::vector<std::string>& keys) {
  std::vector<std::string> argv = {"node", VG_SDK_PEER_SCRIPT, "get"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  const auto [code, output] = testing::RunProcess(argv,
                                                  {{"NODE_PATH", VG_NODE_MODULES},
                                                   {"S3_ENDPOINT", server.endpoint()},
                                                   {"S3_BUCKET", kBucket},
                                                   {"S3_ACCESS_KEY", server.access_key()},
                                                   {"S3_SECRET_KEY", server.secret()},
                                                   {"S3_REGION", "us-east-1"}},
                                                  60000);
  std::map<std::string, SdkObject> objects;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() != '{') continue;
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded()) continue;
    SdkObject object;
    object.absent = json.value("absent", false);
    object.size = json.value("size", int64_t{-1});
    object.sha256 = json.value("sha256", "");
    object.content_type = json.value("contentType", "");
    object.content_disposition = json.value("contentDisposition", "");
    object.error = json.value("error", "");
    objects[json.value("key", "")] = object;
  }
  EXPECT_EQ(objects.size(), keys.size()) << "sdk_peer.js exited " << code << ":\n" << output;
  return objects;
}

class S3EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(VG_S3_STRICT_SCRIPT))
        << "../shared/tools/s3-strict must sit beside the project";
    ASSERT_TRUE(std::filesystem::exists(std::string(VG_NODE_MODULES) + "/s3rver"))
        << "run `npm ci` in tests/node first";
    std::string pattern = (std::filesystem::temp_directory_path() / "vg-s3-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    server_ = std::make_unique<S3Server>(S3Server::Kind::kStrict, dir_ + "/strict");
    ASSERT_TRUE(server_->Start());
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  config::S3Settings Settings(const S3Server& server) const {
    config::S3Settings settings;
    settings.access_key_id = server.access_key();
    settings.secret_access_key = server.secret();
    settings.region = "us-east-1";
    settings.bucket = kBucket;
    settings.endpoint = server.endpoint();
    settings.force_path_style = true;
    return settings;
  }

  std::unique_ptr<S3Store> MakeStore(const config::S3Settings& settings,
                                     S3StoreOptions options = {}) {
    options.first_retry_delay_ms = 100;
    auto store = S3Store::Create(settings, std::move(options));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string File(const std::string& name, int64_t size) {
    const std::string path = dir_ + "/" + name;
    if (!std::filesystem::exists(path)) WriteRandomFile(path, size);
    return path;
  }

  // Uploads and returns MB/s.
  double TimedPut(S3Store& store, const std::string& key, const std::string& path) {
    const auto started = std::chrono::steady_clock::now();
    const Status status = store.Put(key, path, "video/mp4");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << server_->output();
    return static_cast<double>(std::filesystem::file_size(path)) / 1e6 / seconds;
  }

  std::string dir_;
  std::unique_ptr<S3Server> server_;
};

TEST_F(S3EndToEndTest, UploadsReadBackByteForByteWithTheAwsSdk) {
  auto store = MakeStore(Settings(*server_));
  const std::string small = File("small.mp4", 1 * kMiB);
  const std::string large = File("large.mp4", 60 * kMiB);
  std::vector<int64_t> progress;
  ASSERT_TRUE(store->Put("videos/small.mp4", small, "video/mp4").ok());
  ASSERT_TRUE(store
                  ->Put("videos/odd name (1)+ü.mp4", small, "video/mp4",
                        [&](int64_t done, int64_t) { progress.push_back(done); })
                  .ok());
  const double mb_per_s = TimedPut(*store, "videos/large.mp4", large);
  std::cout << "[ measure  ] 60 MiB upload through s3-strict: " << mb_per_s << " MB/s\n";
  RecordProperty("strict_upload_mb_per_s", std::to_string(mb_per_s));

  // The 60 MiB file went up in parts (16 MiB by default), the small ones in one PUT each.
  const std::string log = server_->output();
  EXPECT_THAT(log, HasSubstr("uploads="));
  EXPECT_THAT(log, HasSubstr("partNumber=4&uploadId="));
  EXPECT_THAT(log, Not(HasSubstr("partNumber=5&")));
  EXPECT_THAT(log, Not(HasSubstr("SignatureDoesNotMatch")));

  auto objects =
      SdkGet(*server_, {"videos/small.mp4", "videos/odd name (1)+ü.mp4", "videos/large.mp4"});
  for (const auto& [key, path] :
       std::vector<std::pair<std::string, std::string>>{{"videos/small.mp4", small},
                                                        {"videos/odd name (1)+ü.mp4", small},
                                                        {"videos/large.mp4", large}}) {
    const SdkObject& object = objects[key];
    EXPECT_EQ(object.error, "") << key;
    EXPECT_EQ(object.size, static_cast<int64_t>(std::filesystem::file_size(path))) << key;
    EXPECT_EQ(object.sha256, Sha256OfFile(path)) << key;
    EXPECT_EQ(object.content_type, "video/mp4") << key;
  }
  EXPECT_EQ(objects["videos/large.mp4"].content_disposition, "inline; filename=\"large.mp4\"");
  EXPECT_EQ(objects["videos/odd name (1)+ü.mp4"].content_disposition,
            "inline; filename=\"odd name (1)+_.mp4\"; filename*=UTF-8''odd%20name%20%281%29%2B%C3%"
            "BC.mp4");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 1 * kMiB);
}

TEST_F(S3EndToEndTest, PresignedUrlDownloadsAndIsRefusedWhenTamperedOrExpired) {
  auto store = MakeStore(Settings(*server_));
  const std::string small = File("small.mp4", 1 * kMiB);
  ASSERT_TRUE(store->Put("videos/p q.mp4", small, "video/mp4").ok());
  ASSERT_TRUE(store->Put("videos/other.mp4", File("other.mp4", 1000), "video/mp4").ok());

  net::CurlHttpClientOptions client_options;
  client_options.allow_private_addresses = true;
  net::CurlHttpClient http(client_options);
  auto fetch = [&](const std::string& url) {
    net::HttpRequest request;
    request.url = url;
    return http.Get(request);
  };

  auto url = store->Sign("videos/p q.mp4", 60);
  ASSERT_TRUE(url.ok());
  auto got = fetch(url->url);
  ASSERT_TRUE(got.ok()) << got.error().message << "\n" << server_->output();
  EXPECT_EQ(sigv4::Sha256Hex(got.value().body), Sha256OfFile(small));
  const std::string* disposition = got.value().FindHeader("Content-Disposition");
  ASSERT_NE(disposition, nullptr);
  EXPECT_EQ(*disposition, "inline; filename=\"p q.mp4\"");

  // response-content-disposition is signed into the URL and honoured.
  auto download =
      store->SignWithDisposition("videos/p q.mp4", 60, "attachment; filename=\"x.mp4\"");
  ASSERT_TRUE(download.ok());
  auto attachment = fetch(download->url);
  ASSERT_TRUE(attachment.ok()) << attachment.error().message;
  ASSERT_NE(attachment.value().FindHeader("Content-Disposition"), nullptr);
  EXPECT_EQ(*attachment.value().FindHeader("Content-Disposition"),
            "attachment; filename=\"x.mp4\"");

  // Tampered: another signature, another key, a longer lifetime.
  std::string bad_signature = url->url;
  bad_signature.back() = bad_signature.back() == '0' ? '1' : '0';
  std::string other_key = url->url;
  other_key.replace(other_key.find("p%20q.mp4"), 9, "other.mp4");
  std::string longer = url->url;
  longer.replace(longer.find("X-Amz-Expires=60"), 16, "X-Amz-Expires=99");
  for (const std::string& tampered : {bad_signature, other_key, longer}) {
    auto refused = fetch(tampered);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().http_status, 403);
  }
  EXPECT_THAT(server_->output(), HasSubstr("SignatureDoesNotMatch"));

  // Expired: a 1 s URL, fetched after 2 s.
  auto short_lived = store->Sign("videos/p q.mp4", 1);
  ASSERT_TRUE(short_lived.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto expired = fetch(short_lived->url);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().http_status, 403);
  EXPECT_THAT(server_->output(), HasSubstr("AccessDenied"));
}

TEST_F(S3EndToEndTest, HeadListOlderThanBytesUsedAndDelete) {
  S3StoreOptions options;
  options.list_page_size = 2;  // three pages for five objects under videos/
  auto store = MakeStore(Settings(*server_), options);
  const int64_t before_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  const std::string small = File("small.mp4", 1 * kMiB);
  const std::string tiny = File("tiny.jpg", 1234);
  for (const char* key :
       {"videos/a.mp4", "videos/a.jpg", "videos/b.mp4", "videos/c.mp4", "videos/d.jpg"}) {
    ASSERT_TRUE(store
                    ->Put(key, std::string(key).ends_with(".jpg") ? tiny : small,
                          std::string(key).ends_with(".jpg") ? "image/jpeg" : "video/mp4")
                    .ok());
  }
  ASSERT_TRUE(store->Put("elsewhere/keep.mp4", small, "video/mp4").ok());

  auto info = store->Head("videos/a.mp4");
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->size_bytes, 1 * kMiB);
  EXPECT_NEAR(static_cast<double>(info->modified_unix_ms), static_cast<double>(before_ms),
              120000.0);
  auto missing = store->Head("videos/none.mp4");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);

  auto all = store->ListOlderThan(before_ms + 3600000);
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  std::vector<std::string> keys;
  for (const BlobInfo& blob : *all) keys.push_back(blob.key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"videos/a.jpg", "videos/a.mp4", "videos/b.mp4",
                                            "videos/c.mp4", "videos/d.jpg"}));
  auto none = store->ListOlderThan(before_ms - 3600000);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_THAT(server_->output(), HasSubstr("continuation-token="));

  auto used = store->BytesUsed();
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 3 * kMiB + 2 * 1234);

  ASSERT_TRUE(store->Delete("videos/a.mp4").ok());
  ASSERT_TRUE(store->Delete("videos/a.mp4").ok());  // already gone: fine
  EXPECT_EQ(store->Head("videos/a.mp4").error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(SdkGet(*server_, {"videos/a.mp4"})["videos/a.mp4"].absent);
  EXPECT_TRUE(store->Check().ok());
}

TEST_F(S3EndToEndTest, WrongCredentialsMissingBucketAndDeadServerAreClearErrors) {
  const std::string small = File("small.mp4", 1 * kMiB);
  config::S3Settings wrong_secret = Settings(*server_);
  wrong_secret.secret_access_key = "not-the-secret";
  auto store = MakeStore(wrong_secret);
  const Status put = store->Put("videos/w.mp4", small, "video/mp4");
  EXPECT_EQ(put.code(), ErrorCode::kUnauthorized);
  EXPECT_THAT(put.message(), HasSubstr("S3 refused the credentials (SignatureDoesNotMatch) for "
                                       "bucket videos at " +
                                       server_->endpoint()));
  EXPECT_THAT(put.message(), Not(HasSubstr("not-the-secret")));
  EXPECT_EQ(store->Check().code(), ErrorCode::kUnauthorized);
  EXPECT_TRUE(SdkGet(*server_, {"videos/w.mp4"})["videos/w.mp4"].absent);

  config::S3Settings wrong_key = Settings(*server_);
  wrong_key.access_key_id = "AKIAUNKNOWN000000000";
  const Status check = MakeStore(wrong_key)->Check();
  EXPECT_EQ(check.code(), ErrorCode::kUnauthorized);
  EXPECT_THAT(check.message(), HasSubstr("InvalidAccessKeyId"));

  config::S3Settings no_bucket = Settings(*server_);
  no_bucket.bucket = "no-such-bucket";
  const Status missing = MakeStore(no_bucket)->Check();
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("The bucket no-such-bucket does not exist at"));

  config::S3Settings wrong_region = Settings(*server_);
  wrong_region.region = "eu-west-1";
  EXPECT_EQ(MakeStore(wrong_region)->Check().code(), ErrorCode::kInvalidArgument);

  config::S3Settings dead = Settings(*server_);
  dead.endpoint = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  const Status down = MakeStore(dead)->Check();
  EXPECT_EQ(down.code(), ErrorCode::kStorageUnavailable);
  EXPECT_THAT(down.message(), HasSubstr("cannot reach S3 at " + dead.endpoint));
}

TEST_F(S3EndToEndTest, TwoServerErrorsThenSuccessThroughAFaultProxy) {
  testing::Subprocess proxy(
      {"node", VG_FAULT_PROXY_SCRIPT, std::to_string(server_->port()), "2", "PUT"});
  int proxy_port = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string output = proxy.output();
        const size_t at = output.find("PORT ");
        if (at != std::string::npos) proxy_port = std::stoi(output.substr(at + 5));
        return proxy_port != 0 || !proxy.running();
      },
      15000));
  ASSERT_NE(proxy_port, 0) << proxy.output();
  config::S3Settings settings = Settings(*server_);
  settings.endpoint = "http://127.0.0.1:" + std::to_string(proxy_port);
  auto store = MakeStore(settings);
  const std::string small = File("small.mp4", 1 * kMiB);
  const Status status = store->Put("videos/retried.mp4", small, "video/mp4");
  ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << proxy.output();
  const std::string log = proxy.output();
  EXPECT_EQ(CountOf(log, "FAIL PUT "), 2) << log;
  EXPECT_THAT(log, HasSubstr("PASS PUT /videos/videos/retried.mp4 200"));
  const SdkObject object = SdkGet(*server_, {"videos/retried.mp4"})["videos/retried.mp4"];
  EXPECT_EQ(object.sha256, Sha256OfFile(small));
  proxy.Kill(SIGTERM);
  proxy.Wait(5000);
}

TEST_F(S3EndToEndTest, ServerKilledMidUploadLeavesNothingAndTheAbortIsSentOnItsReturn) {
  S3Server victim(S3Server::Kind::kStrict, dir_ + "/victim");
  ASSERT_TRUE(victim.Start());
  auto store = MakeStore(Settings(victim));
  const std::string large = File("large.mp4", 60 * kMiB);
  bool killed = false;
  const Status status =
      store->Put("videos/killed.mp4", large, "video/mp4", [&](int64_t done, int64_t) {
        if (!killed && done >= 8 * kMiB) {
          victim.Kill();  // SIGKILL: s3rver dies with its front, mid-part
          killed = true;
        }
      });
  ASSERT_TRUE(killed);
  EXPECT_EQ(status.code(), ErrorCode::kStorageUnavailable) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("cannot reach S3 at " + victim.endpoint()));
  // The abort could not be sent either: it is kept for later.
  EXPECT_EQ(store->pending_aborts(), 1u);
  const std::string upload_log = victim.output();
  EXPECT_THAT(upload_log, HasSubstr("uploads="));
  EXPECT_THAT(upload_log, Not(HasSubstr("POST /videos/videos/killed.mp4?uploadId=")));

  ASSERT_TRUE(victim.Start());  // same ports, same data
  EXPECT_TRUE(SdkGet(victim, {"videos/killed.mp4"})["videos/killed.mp4"].absent);
  // The next Check (or Put) sends the abort. This s3-strict process never saw the upload, so
  // it answers NoSuchUpload, which counts as done; on S3 the parts would be freed here.
  EXPECT_TRUE(store->Check().ok());
  EXPECT_EQ(store->pending_aborts(), 0u);
  EXPECT_THAT(victim.output(), HasSubstr("AbortMultipartUpload emulated"));

  // The key is usable again.
  ASSERT_TRUE(store->Put("videos/killed.mp4", large, "video/mp4").ok());
  EXPECT_EQ(SdkGet(victim, {"videos/killed.mp4"})["videos/killed.mp4"].sha256, Sha256OfFile(large));
}

TEST_F(S3EndToEndTest, UploadSpeedToPlainS3rver) {
  S3Server plain(S3Server::Kind::kPlain, dir_ + "/plain");
  ASSERT_TRUE(plain.Start());
  auto store = MakeStore(Settings(plain));
  const std::string large = File("large.mp4", 60 * kMiB);
  const double mb_per_s = TimedPut(*store, "videos/plain.mp4", large);
  std::cout << "[ measure  ] 60 MiB upload to plain s3rver: " << mb_per_s << " MB/s\n";
  RecordProperty("s3rver_upload_mb_per_s", std::to_string(mb_per_s));
  // s3rver has no AbortMultipartUpload and checks no signatures; the SDK still reads it back.
  const SdkObject object = SdkGet(plain, {"videos/plain.mp4"})["videos/plain.mp4"];
  EXPECT_EQ(object.size, 60 * kMiB);
  EXPECT_EQ(object.sha256, Sha256OfFile(large));
}

}  // namespace
}  // namespace vg::storage

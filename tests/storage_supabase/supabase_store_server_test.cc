// SupabaseStore against supabase_server.mjs, a Node stand-in for Supabase Storage behind its
// gateway (auth as Supabase checks it, its error shapes, TUS with the 6 MiB chunk rule, signed
// URLs whose token expires), started per test on a free loopback port and killed by pid.
// Everything goes over real HTTP through net::CurlHttpClient; downloads use the signed URLs
// the store hands out, as a vidgen client would.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "net/curl_http_client.h"
#include "storage/local_store.h"
#include "storage/supabase_store.h"
#include "support/subprocess.h"
#include "support/supabase_server.h"

namespace vg::storage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kMiB = 1 << 20;

net::CurlHttpClientOptions LoopbackOptions() {
  net::CurlHttpClientOptions options;
  options.allow_private_addresses = true;
  return options;
}

// One supabase_server.mjs process with its data under `root`, plus its test-only endpoints.
class SupabaseServer : public testing::SupabaseServer {
 public:
  using testing::SupabaseServer::SupabaseServer;

  json Stats() { return Call("GET", "/__test/stats", json()); }
  void AdvanceClock(int seconds) { Call("POST", "/__test/clock", {{"advanceSeconds", seconds}}); }
  void Backdate(const std::string& name, const std::string& iso_time) {
    Call("POST", "/__test/touch",
         {{"bucket", "videos"}, {"name", name}, {"updatedAt", iso_time}, {"createdAt", iso_time}});
  }

 private:
  json Call(const std::string& method, const std::string& path, const json& body) {
    net::HttpRequest request;
    request.method = method;
    request.url = url() + path;
    if (!body.is_null()) {
      request.body = body.dump();
      request.headers = {{"Content-Type", "application/json"}};
    }
    net::HttpResult result = http_.Send(request);
    EXPECT_TRUE(result.ok());
    if (!result.ok()) return json();
    EXPECT_EQ(result.value().status, 200) << result.value().body;
    return json::parse(result.value().body, nullptr, false);
  }

  net::CurlHttpClient http_{LoopbackOptions()};
};

class SupabaseStoreServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vg-supabase-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "server");
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  void StartServer(std::vector<std::string> args = {}) {
    server_ = std::make_unique<SupabaseServer>(dir_ / "server", std::move(args));
    ASSERT_TRUE(server_->ready()) << server_->output();
  }

  std::unique_ptr<SupabaseStore> Store(std::string key = {}, std::string bucket = "videos",
                                       SupabaseStoreOptions options = {}) {
    options.settings.url = server_->url();
    options.settings.key = key.empty() ? server_->secret_key() : key;
    options.settings.bucket = bucket;
    options.retry = {4, 20, 200};
    options.sleep = [this](int delay_ms) {
      std::lock_guard<std::mutex> lock(mutex_);
      sleeps_.push_back(delay_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    };
    auto store = SupabaseStore::Open(std::move(options), http_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }

  // A file of `size` pseudo-random bytes (seeded by `seed`).
  std::string MakeFile(const std::string& name, int64_t size, uint32_t seed) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    std::mt19937 generator(seed);
    std::string block(64 * 1024, '\0');
    for (int64_t done = 0; done < size;) {
      for (char& c : block) c = static_cast<char>(generator());
      const int64_t n = std::min<int64_t>(static_cast<int64_t>(block.size()), size - done);
      out.write(block.data(), n);
      done += n;
    }
    return path;
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  // GET of a signed URL with no credentials, as a browser would.
  net::HttpResponse Download(const std::string& url) {
    net::HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.max_response_bytes = 64 * kMiB;
    net::HttpResult result = http_.Send(request);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? std::move(result).value() : net::HttpResponse{};
  }

  std::vector<int> sleeps() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sleeps_;
  }

  fs::path dir_;
  net::CurlHttpClient http_{LoopbackOptions()};
  std::unique_ptr<SupabaseServer> server_;
  std::mutex mutex_;
  std::vector<int> sleeps_;
};

TEST_F(SupabaseStoreServerTest, SmallUploadDownloadsByteForByteThroughTheSignedUrl) {
  StartServer();
  auto store = Store();
  ASSERT_TRUE(store->Check().ok());
  const std::string path = MakeFile("small.mp4", kMiB + 123, 1);
  std::vector<int64_t> progress;
  const Status put = store->Put("videos/job-1.mp4", path, "video/mp4",
                                [&](int64_t done, int64_t) { progress.push_back(done); });
  ASSERT_TRUE(put.ok()) << put.ToString();
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), kMiB + 123);

  const json stats = server_->Stats();
  EXPECT_EQ(stats["standardUploads"], 1);
  EXPECT_EQ(stats["tusCreates"], 0);

  auto signed_url = store->Sign("videos/job-1.mp4", 600);
  ASSERT_TRUE(signed_url.ok()) << signed_url.status().ToString();
  EXPECT_EQ(signed_url->url.rfind(
                server_->url() + "/storage/v1/object/sign/videos/videos/job-1.mp4?token=", 0),
            0u)
      << signed_url->url;
  const net::HttpResponse download = Download(signed_url->url);
  EXPECT_EQ(download.status, 200);
  EXPECT_TRUE(download.body == ReadFile(path)) << "downloaded bytes differ";
  ASSERT_NE(download.FindHeader("Content-Type"), nullptr);
  EXPECT_EQ(*download.FindHeader("Content-Type"), "video/mp4");
  ASSERT_NE(download.FindHeader("Cache-Control"), nullptr);
  EXPECT_EQ(*download.FindHeader("Cache-Control"), "max-age=3600");

  auto info = store->Head("videos/job-1.mp4");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size_bytes, kMiB + 123);
  EXPECT_GT(info->modified_unix_ms, 0);
}

TEST_F(SupabaseStoreServerTest, LargeUploadGoesByTusAndResumesAfterACutConnection) {
  StartServer({"--fail-patch-once", "2"});
  // The legacy service_role JWT: apikey plus Authorization: Bearer.
  auto store = Store(server_->service_role_key());
  constexpr int64_t kSize = 20 * kMiB;
  const std::string path = MakeFile("large.mp4", kSize, 2);
  std::vector<int64_t> progress;
  const Status put =
      store->Put("videos/job-2.mp4", path, "video/mp4", [&](int64_t done, int64_t total) {
        EXPECT_EQ(total, kSize);
        progress.push_back(done);
      });
  ASSERT_TRUE(put.ok()) << put.ToString() << "\n" << server_->output();

  const json stats = server_->Stats();
  EXPECT_EQ(stats["standardUploads"], 0);
  EXPECT_EQ(stats["tusCreates"], 1);
  EXPECT_EQ(stats["tusCompleted"], 1);
  EXPECT_EQ(stats["tusPatchFailures"], 1);  // the second PATCH was cut half-way
  EXPECT_GE(stats["tusHeads"].get<int>(), 1);
  // Chunks of exactly 6 MiB but the last: 0–6, 6–12 (cut after 9), then from the server's
  // offset 9–15 and 15–20. Resending from 6 would have been refused (offset conflict).
  EXPECT_EQ(stats["patchSizes"].get<std::vector<int64_t>>(),
            (std::vector<int64_t>{6 * kMiB, 6 * kMiB, 6 * kMiB, 5 * kMiB}));
  EXPECT_EQ(sleeps().size(), 1u);

  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), kSize);
  for (size_t i = 1; i < progress.size(); ++i) ASSERT_GT(progress[i], progress[i - 1]);

  auto signed_url = store->Sign("videos/job-2.mp4", 600);
  ASSERT_TRUE(signed_url.ok()) << signed_url.status().ToString();
  const net::HttpResponse download = Download(signed_url->url);
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.body.size(), static_cast<size_t>(kSize));
  EXPECT_TRUE(download.body == ReadFile(path)) << "downloaded bytes differ";
}

TEST_F(SupabaseStoreServerTest, UploadingAgainReplacesTheObject) {
  StartServer();
  auto store = Store();
  const std::string first = MakeFile("first.mp4", 4000, 3);
  const std::string second = MakeFile("second.mp4", 3000, 4);
  const std::string third = MakeFile("third.mp4", 7 * kMiB, 5);
  ASSERT_TRUE(store->Put("videos/job-3.mp4", first, "video/mp4").ok());
  ASSERT_TRUE(store->Put("videos/job-3.mp4", second, "video/mp4").ok());
  auto signed_url = store->Sign("videos/job-3.mp4", 60);
  ASSERT_TRUE(signed_url.ok());
  EXPECT_TRUE(Download(signed_url->url).body == ReadFile(second));
  // A resumable upload over an existing object replaces it too (x-upsert at creation).
  const Status put = store->Put("videos/job-3.mp4", third, "video/mp4");
  ASSERT_TRUE(put.ok()) << put.ToString();
  signed_url = store->Sign("videos/job-3.mp4", 60);
  ASSERT_TRUE(signed_url.ok());
  EXPECT_TRUE(Download(signed_url->url).body == ReadFile(third));
  EXPECT_EQ(store->Head("videos/job-3.mp4")->size_bytes, 7 * kMiB);
}

TEST_F(SupabaseStoreServerTest, DeleteThenHeadIsNotFoundAndDeletingAgainIsFine) {
  StartServer();
  auto store = Store();
  const std::string path = MakeFile("gone.jpg", 2048, 6);
  ASSERT_TRUE(store->Put("videos/job-4.jpg", path, "image/jpeg").ok());
  ASSERT_TRUE(store->Head("videos/job-4.jpg").ok());
  ASSERT_TRUE(store->Delete("videos/job-4.jpg").ok());
  auto info = store->Head("videos/job-4.jpg");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(info.status().message().find("videos/job-4.jpg"), std::string::npos);
  EXPECT_TRUE(store->Delete("videos/job-4.jpg").ok());
  EXPECT_EQ(store->Sign("videos/job-4.jpg", 60).status().code(), ErrorCode::kNotFound);
}

TEST_F(SupabaseStoreServerTest, WrongKeyIsAClearErrorAndNotRetried) {
  StartServer();
  auto store = Store("sb_secret_not_the_projects_key");
  const Status check = store->Check();
  EXPECT_EQ(check.code(), ErrorCode::kUnauthorized);
  EXPECT_NE(check.message().find("Supabase refused the key (401 Invalid API key)"),
            std::string::npos)
      << check.message();
  EXPECT_EQ(check.message().find("sb_secret_not_the_projects_key"), std::string::npos);
  const std::string path = MakeFile("denied.mp4", 1000, 7);
  const Status put = store->Put("videos/job-5.mp4", path, "video/mp4");
  EXPECT_EQ(put.code(), ErrorCode::kUnauthorized);
  EXPECT_TRUE(sleeps().empty());
  EXPECT_EQ(server_->Stats()["standardUploads"], 0);

  // A JWT the project did not sign, straight to storage (no gateway): storage's own refusal.
  server_.reset();
  StartServer({"--no-gateway"});
  std::string forged = server_->service_role_key();
  const size_t signature_at = forged.rfind('.') + 5;
  forged[signature_at] = forged[signature_at] == 'A' ? 'B' : 'A';
  const Status forged_check = Store(forged)->Check();
  EXPECT_EQ(forged_check.code(), ErrorCode::kUnauthorized);
  EXPECT_NE(
      forged_check.message().find("Supabase refused the key (403 Unauthorized: invalid signature)"),
      std::string::npos)
      << forged_check.message();
  EXPECT_EQ(forged_check.message().find(forged), std::string::npos);
  // The real JWT works there, sent as apikey and Bearer.
  EXPECT_TRUE(Store(server_->service_role_key())->Check().ok());
}

TEST_F(SupabaseStoreServerTest, MissingBucketIsAClearError) {
  StartServer();
  auto store = Store({}, "renders");
  const Status check = store->Check();
  EXPECT_EQ(check.code(), ErrorCode::kNotFound);
  EXPECT_NE(check.message().find("bucket renders does not exist (NoSuchBucket)"), std::string::npos)
      << check.message();
  const std::string path = MakeFile("nowhere.mp4", 1000, 8);
  const Status put = store->Put("videos/job-6.mp4", path, "video/mp4");
  EXPECT_EQ(put.code(), ErrorCode::kNotFound);
  EXPECT_NE(put.message().find("bucket renders does not exist"), std::string::npos);
  // Also on the resumable path.
  SupabaseStoreOptions options;
  options.resumable_threshold_bytes = 100;
  const Status resumable =
      Store({}, "renders", options)->Put("videos/job-6.mp4", path, "video/mp4");
  EXPECT_EQ(resumable.code(), ErrorCode::kNotFound) << resumable.ToString();
}

TEST_F(SupabaseStoreServerTest, SignedUrlIsRefusedOnceExpiredOrTampered) {
  StartServer();
  auto store = Store();
  const std::string path = MakeFile("expiring.mp4", 5000, 9);
  ASSERT_TRUE(store->Put("videos/job-7.mp4", path, "video/mp4").ok());
  auto signed_url = store->Sign("videos/job-7.mp4", 60);
  ASSERT_TRUE(signed_url.ok());
  EXPECT_EQ(Download(signed_url->url).status, 200);

  std::string tampered = signed_url->url;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  const net::HttpResponse refused = Download(tampered);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("invalid signature"), std::string::npos) << refused.body;

  server_->AdvanceClock(61);
  const net::HttpResponse expired = Download(signed_url->url);
  EXPECT_EQ(expired.status, 400);
  EXPECT_NE(expired.body.find("jwt expired"), std::string::npos) << expired.body;
}

TEST_F(SupabaseStoreServerTest, ListOlderThanFindsOnlyOldVideosAndTheSweepDeletesThem) {
  StartServer();
  SupabaseStoreOptions options;
  options.list_page_size = 2;  // several pages
  auto store = Store({}, "videos", options);
  const std::string small = MakeFile("a.bin", 100, 10);
  const std::string other = MakeFile("b.bin", 250, 11);
  for (const char* key : {"videos/old-1.mp4", "videos/old-2.mp4", "videos/new-1.mp4",
                          "videos/new-2.mp4", "other/old.mp4", "videos/nested/old.mp4"}) {
    ASSERT_TRUE(store->Put(key, small, "video/mp4").ok()) << key;
  }
  ASSERT_TRUE(store->Put("videos/old-1.jpg", other, "image/jpeg").ok());
  for (const char* name : {"videos/old-1.mp4", "videos/old-2.mp4", "videos/old-1.jpg",
                           "other/old.mp4", "videos/nested/old.mp4"}) {
    server_->Backdate(name, "2020-01-01T00:00:00.000Z");
  }
  const int64_t cutoff = *ParseTimestampMs("2021-01-01T00:00:00Z");
  auto older = store->ListOlderThan(cutoff);
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  std::map<std::string, int64_t> found;
  for (const BlobInfo& info : *older) {
    found[info.key] = info.size_bytes;
    EXPECT_EQ(info.modified_unix_ms, *ParseTimestampMs("2020-01-01T00:00:00Z"));
  }
  // Objects outside "videos/" and in sub-folders are not vidgen's: never listed.
  EXPECT_EQ(found,
            (std::map<std::string, int64_t>{
                {"videos/old-1.jpg", 250}, {"videos/old-1.mp4", 100}, {"videos/old-2.mp4", 100}}));
  EXPECT_EQ(*store->BytesUsed(), 100 * 4 + 250);

  ASSERT_TRUE(SweepOlderThan(*store, cutoff).ok());
  EXPECT_EQ(store->Head("videos/old-1.mp4").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->Head("videos/old-1.jpg").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store->Head("videos/new-1.mp4").ok());
  EXPECT_TRUE(store->Head("other/old.mp4").ok());
  EXPECT_TRUE(store->Head("videos/nested/old.mp4").ok());
  EXPECT_TRUE(store->ListOlderThan(cutoff)->empty());
}

TEST_F(SupabaseStoreServerTest, ServerErrorsAreRetriedWithBackoff) {
  StartServer({"--fail-first", "2"});
  auto store = Store();
  const std::string path = MakeFile("flaky.mp4", 10000, 12);
  const Status put = store->Put("videos/job-8.mp4", path, "video/mp4");
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(server_->Stats()["standardUploads"], 3);
  EXPECT_EQ(sleeps(), (std::vector<int>{20, 40}));
  auto signed_url = store->Sign("videos/job-8.mp4", 60);
  ASSERT_TRUE(signed_url.ok());
  EXPECT_TRUE(Download(signed_url->url).body == ReadFile(path));
}

TEST_F(SupabaseStoreServerTest, UnreachableServiceIsStorageUnavailable) {
  StartServer();
  auto store = Store();
  ASSERT_TRUE(store->Check().ok());
  server_->Kill();
  const Status check = store->Check();
  EXPECT_EQ(check.code(), ErrorCode::kStorageUnavailable);
  EXPECT_NE(check.message().find("unreachable"), std::string::npos) << check.message();
}

}  // namespace
}  // namespace vg::storage

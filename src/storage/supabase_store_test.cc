// Unit tests of SupabaseStore against net::testing::TestHttpServer answering as Supabase does
// (errors as HTTP 400 with the real status as a string in the body): auth headers per key
// kind, error classification, retries with backoff, TUS resume, signed URL assembly, listing
// pagination and the BytesUsed cache. The black-box tests against a Node stand-in for the
// whole service are in tests/storage_supabase.
#include "storage/supabase_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "net/curl_http_client.h"
#include "net/test_http_server.h"

namespace vg::storage {
namespace {

namespace fs = std::filesystem;
using net::testing::TestHttpServer;
using net::testing::TestReply;
using net::testing::TestRequest;
using nlohmann::json;

constexpr char kSecretKey[] = "sb_secret_unit_test_key_0123456789";
// A service_role-shaped JWT (the signature is not checked by these tests' server).
constexpr char kJwtKey[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0."
    "c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmU";

class FakeClock final : public Clock {
 public:
  int64_t NowUnixMs() const override { return unix_ms_; }
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(unix_ms_));
  }
  void Advance(int64_t ms) { unix_ms_ += ms; }

 private:
  std::atomic<int64_t> unix_ms_{1'800'000'000'000};
};

std::string Header(const TestRequest& request, std::string_view name) {
  for (const auto& header : request.headers) {
    if (header.name.size() == name.size() &&
        strncasecmp(header.name.c_str(), name.data(), name.size()) == 0) {
      return header.value;
    }
  }
  return "<absent>";
}

TestReply JsonReply(int status, const json& body) {
  TestReply reply;
  reply.status = status;
  reply.headers = {{"Content-Type", "application/json"}};
  reply.body = body.dump();
  return reply;
}

TestReply StorageError(const std::string& status_code, const std::string& code,
                       const std::string& error, const std::string& message) {
  return JsonReply(
      status_code == "500" ? 500 : 400,
      {{"statusCode", status_code}, {"code", code}, {"error", error}, {"message", message}});
}

class SupabaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vg-supabase-unit-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }

  void Serve(net::testing::TestHandler handler) {
    server_ = std::make_unique<TestHttpServer>(std::move(handler));
    ASSERT_TRUE(server_->Start().ok());
  }

  std::unique_ptr<SupabaseStore> MakeStore(const std::string& key = kSecretKey,
                                           SupabaseStoreOptions options = {}) {
    options.settings.url = server_ ? server_->Url("") : "http://127.0.0.1:1";
    options.settings.key = key;
    options.settings.bucket = "videos";
    options.sleep = [this](int delay_ms) {
      std::lock_guard<std::mutex> lock(mutex_);
      sleeps_.push_back(delay_ms);
    };
    auto store = SupabaseStore::Open(std::move(options), http_, &clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }

  std::string WriteFile(const std::string& name, size_t size) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    for (size_t i = 0; i < size; ++i) out.put(static_cast<char>('a' + i % 26));
    return path;
  }

  std::vector<int> sleeps() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sleeps_;
  }

  fs::path dir_;
  FakeClock clock_;
  net::CurlHttpClient http_{[] {
    net::CurlHttpClientOptions options;
    options.allow_private_addresses = true;
    return options;
  }()};
  std::unique_ptr<TestHttpServer> server_;
  std::mutex mutex_;
  std::vector<int> sleeps_;
};

TEST(SupabaseKeyTest, JwtShapedKeysAreThreeBase64UrlSegments) {
  EXPECT_TRUE(IsJwtShaped(kJwtKey));
  EXPECT_TRUE(IsJwtShaped("a.b.c"));
  EXPECT_FALSE(IsJwtShaped(kSecretKey));
  EXPECT_FALSE(IsJwtShaped("sb_publishable_abc"));
  EXPECT_FALSE(IsJwtShaped("a.b"));
  EXPECT_FALSE(IsJwtShaped("a..c"));
  EXPECT_FALSE(IsJwtShaped("a.b.c.d"));
  EXPECT_FALSE(IsJwtShaped("a.b.c="));
  EXPECT_FALSE(IsJwtShaped(""));
}

TEST(SupabaseTimestampTest, ParsesTheFormsSupabaseSends) {
  EXPECT_EQ(*ParseTimestampMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestampMs("2024-05-01T12:34:56.789Z"), 1714566896789);
  EXPECT_EQ(*ParseTimestampMs("2024-05-01T12:34:56.789123+00:00"), 1714566896789);
  EXPECT_EQ(*ParseTimestampMs("2024-05-01 14:34:56.7+02"), 1714566896700);
  EXPECT_EQ(*ParseTimestampMs("2024-05-01T07:34:56-05:00"), 1714566896000);
  EXPECT_EQ(*ParseTimestampMs("2000-02-29T00:00:00"), 951782400000);
  EXPECT_FALSE(ParseTimestampMs("").ok());
  EXPECT_FALSE(ParseTimestampMs("2024-05-01").ok());
  EXPECT_FALSE(ParseTimestampMs("2024-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2024-05-01T00:00:00Zjunk").ok());
  EXPECT_FALSE(ParseTimestampMs("yesterday").ok());
}

TEST_F(SupabaseStoreTest, OpenRefusesBadSettings) {
  SupabaseStoreOptions options;
  options.settings = {"ftp://example.com", kSecretKey, "videos"};
  EXPECT_EQ(SupabaseStore::Open(options, http_).status().code(), ErrorCode::kInvalidArgument);
  options.settings = {"https://x.supabase.co", "", "videos"};
  EXPECT_EQ(SupabaseStore::Open(options, http_).status().code(), ErrorCode::kInvalidArgument);
  options.settings = {"https://x.supabase.co", kSecretKey, ""};
  EXPECT_EQ(SupabaseStore::Open(options, http_).status().code(), ErrorCode::kInvalidArgument);
  options.settings = {"https://x.supabase.co/", kSecretKey, "videos"};
  EXPECT_TRUE(SupabaseStore::Open(options, http_).ok());
}

TEST_F(SupabaseStoreTest, SecretKeyGoesInApikeyOnlyAndJwtAlsoAsBearer) {
  std::mutex mutex;
  std::vector<TestRequest> seen;
  Serve([&](const TestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(request);
    return JsonReply(200, {{"id", "videos"}, {"name", "videos"}});
  });
  ASSERT_TRUE(MakeStore(kSecretKey)->Check().ok());
  ASSERT_TRUE(MakeStore(kJwtKey)->Check().ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/storage/v1/bucket/videos");
  EXPECT_EQ(Header(seen[0], "apikey"), kSecretKey);
  EXPECT_EQ(Header(seen[0], "Authorization"), "<absent>");
  EXPECT_EQ(Header(seen[1], "apikey"), kJwtKey);
  EXPECT_EQ(Header(seen[1], "Authorization"), std::string("Bearer ") + kJwtKey);
}

TEST_F(SupabaseStoreTest, SmallFileIsOnePostWithTypeUpsertAndCacheControl) {
  std::mutex mutex;
  std::vector<TestRequest> seen;
  Serve([&](const TestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(request);
    return JsonReply(200, {{"Key", "videos/videos/j1.mp4"}, {"Id", "x"}});
  });
  const std::string path = WriteFile("small.mp4", 1000);
  std::vector<std::pair<int64_t, int64_t>> progress;
  ASSERT_TRUE(MakeStore()
                  ->Put("videos/j1.mp4", path, "video/mp4",
                        [&](int64_t done, int64_t total) {
                          progress.push_back({done, total});
                        })
                  .ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/storage/v1/object/videos/videos/j1.mp4");
  EXPECT_EQ(Header(seen[0], "Content-Type"), "video/mp4");
  EXPECT_EQ(Header(seen[0], "x-upsert"), "true");
  EXPECT_EQ(Header(seen[0], "cache-control"), "max-age=3600");
  EXPECT_EQ(seen[0].body.size(), 1000u);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), (std::pair<int64_t, int64_t>(1000, 1000)));
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GT(progress[i].first, progress[i - 1].first);
}

TEST_F(SupabaseStoreTest, ServerErrorsAreRetriedWithBackoffThenSucceed) {
  std::atomic<int> calls{0};
  Serve([&](const TestRequest&) {
    if (calls++ < 2) return StorageError("500", "InternalError", "InternalError", "boom");
    return JsonReply(200, {{"Key", "videos/videos/j2.mp4"}});
  });
  const std::string path = WriteFile("retry.mp4", 100);
  SupabaseStoreOptions options;
  options.retry = {4, 100, 1000};
  ASSERT_TRUE(MakeStore(kSecretKey, options)->Put("videos/j2.mp4", path, "video/mp4").ok());
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(sleeps(), (std::vector<int>{100, 200}));
}

TEST_F(SupabaseStoreTest, GatewayHtmlFailuresAreRetriedThenReported) {
  std::atomic<int> calls{0};
  Serve([&](const TestRequest&) {
    ++calls;
    TestReply reply;
    reply.status = 502;
    reply.body = "<html>Bad Gateway</html>";
    return reply;
  });
  SupabaseStoreOptions options;
  options.retry = {3, 10, 1000};
  auto info = MakeStore(kSecretKey, options)->Head("videos/j.mp4");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), ErrorCode::kStorageUnavailable);
  EXPECT_NE(info.status().message().find("502"), std::string::npos) << info.status().message();
  EXPECT_NE(info.status().message().find("after 3 tries"), std::string::npos);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(sleeps(), (std::vector<int>{10, 20}));
}

TEST_F(SupabaseStoreTest, RefusedKeyIsNotRetriedAndNamedPlainly) {
  std::atomic<int> calls{0};
  Serve([&](const TestRequest&) {
    ++calls;
    return StorageError("403", "AccessDenied", "Unauthorized", "invalid signature");
  });
  const std::string path = WriteFile("denied.mp4", 100);
  const Status status = MakeStore(kJwtKey)->Put("videos/j3.mp4", path, "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kUnauthorized);
  EXPECT_NE(status.message().find("Supabase refused the key (403 Unauthorized: invalid signature)"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(status.message().find(kJwtKey), std::string::npos);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(sleeps().empty());
}

TEST_F(SupabaseStoreTest, GatewayInvalidApiKeyIsARefusedKey) {
  Serve([&](const TestRequest&) {
    return JsonReply(401,
                     {{"message", "Invalid API key"},
                      {"hint", "Double check your Supabase `anon` or `service_role` API key."}});
  });
  const Status status = MakeStore()->Check();
  EXPECT_EQ(status.code(), ErrorCode::kUnauthorized);
  EXPECT_NE(status.message().find("Supabase refused the key (401 Invalid API key)"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(status.message().find(kSecretKey), std::string::npos);
}

TEST_F(SupabaseStoreTest, MissingBucketAndMissingObjectAreToldApart) {
  Serve([&](const TestRequest& request) {
    if (request.path.rfind("/storage/v1/bucket/", 0) == 0) {
      return StorageError("404", "NoSuchBucket", "Bucket not found", "Bucket not found");
    }
    return StorageError("404", "NoSuchKey", "not_found", "Object not found");
  });
  auto store = MakeStore();
  const Status check = store->Check();
  EXPECT_EQ(check.code(), ErrorCode::kNotFound);
  EXPECT_NE(check.message().find("bucket videos does not exist (NoSuchBucket)"), std::string::npos)
      << check.message();
  auto head = store->Head("videos/gone.mp4");
  EXPECT_EQ(head.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(head.status().message().find("videos/gone.mp4"), std::string::npos);
  EXPECT_NE(head.status().message().find("NoSuchKey"), std::string::npos);
  EXPECT_TRUE(sleeps().empty());  // a 4xx in the body is not retried, though HTTP said 400
}

TEST_F(SupabaseStoreTest, UnreachableServerIsRetriedThenStorageUnavailable) {
  SupabaseStoreOptions options;
  options.retry = {3, 5, 100};
  auto store = MakeStore(kSecretKey, options);  // no server: port 1 refuses
  auto info = store->Head("videos/j.mp4");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), ErrorCode::kStorageUnavailable);
  EXPECT_NE(info.status().message().find("unreachable"), std::string::npos)
      << info.status().message();
  EXPECT_EQ(sleeps(), (std::vector<int>{5, 10}));
  // Check is one quick try.
  EXPECT_EQ(store->Check().code(), ErrorCode::kStorageUnavailable);
  EXPECT_EQ(sleeps().size(), 2u);
}

TEST_F(SupabaseStoreTest, SignBuildsTheFullUrlFromTheRelativeOne) {
  std::string body_seen;
  Serve([&](const TestRequest& request) {
    body_seen = request.body;
    EXPECT_EQ(request.path, "/storage/v1/object/sign/videos/videos/a%28b%29.mp4");
    // Supabase answers the object path unencoded, relative to /storage/v1.
    return JsonReply(200,
                     {{"signedURL", "/object/sign/videos/videos/a(b) c.mp4?token=abc.def.ghi"}});
  });
  auto signed_url = MakeStore()->Sign("videos/a(b).mp4", 600);
  ASSERT_TRUE(signed_url.ok()) << signed_url.status().ToString();
  EXPECT_EQ(json::parse(body_seen), json({{"expiresIn", 600}}));
  EXPECT_EQ(signed_url->url,
            server_->Url("/storage/v1/object/sign/videos/videos/a(b)%20c.mp4?token=abc.def.ghi"));
  EXPECT_EQ(signed_url->expires_unix_s, clock_.NowUnixMs() / 1000 + 600);
  EXPECT_EQ(MakeStore()->Sign("videos/a.mp4", 0).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SupabaseStoreTest, HeadReadsSizeAndModification) {
  Serve([&](const TestRequest& request) {
    EXPECT_EQ(request.path, "/storage/v1/object/info/authenticated/videos/videos/j.mp4");
    return JsonReply(200, {{"id", "u"},
                           {"name", "videos/j.mp4"},
                           {"size", 12345},
                           {"last_modified", "2024-05-01T12:34:56.789Z"},
                           {"created_at", "2024-05-01T12:00:00.000Z"}});
  });
  auto info = MakeStore()->Head("videos/j.mp4");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key, "videos/j.mp4");
  EXPECT_EQ(info->size_bytes, 12345);
  EXPECT_EQ(info->modified_unix_ms, 1714566896789);
}

TEST_F(SupabaseStoreTest, DeleteSendsPrefixesAndAbsentIsOk) {
  std::string body_seen;
  std::string method_seen;
  Serve([&](const TestRequest& request) {
    body_seen = request.body;
    method_seen = request.method;
    EXPECT_EQ(request.path, "/storage/v1/object/videos");
    return JsonReply(200, json::array());
  });
  EXPECT_TRUE(MakeStore()->Delete("videos/gone.mp4").ok());
  EXPECT_EQ(method_seen, "DELETE");
  EXPECT_EQ(json::parse(body_seen), json({{"prefixes", {"videos/gone.mp4"}}}));
}

json ListEntry(const std::string& name, const std::string& created, const std::string& updated,
               int64_t size) {
  return {{"name", name},
          {"id", "id-" + name},
          {"created_at", created},
          {"updated_at", updated},
          {"last_accessed_at", updated},
          {"metadata", {{"size", size}, {"mimetype", "video/mp4"}}}};
}

TEST_F(SupabaseStoreTest, ListOlderThanPagesByOffsetSkipsFoldersAndStopsAtNewer) {
  // Five objects sorted by creation and a sub-folder entry (no id), served in pages.
  const std::vector<json> all = {
      ListEntry("a.mp4", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 10),
      {{"name", "sub"}, {"id", nullptr}, {"metadata", nullptr}},
      ListEntry("b.mp4", "2024-01-02T00:00:00Z", "2024-03-01T00:00:00Z", 20),  // re-uploaded
      ListEntry("c.jpg", "2024-01-03T00:00:00Z", "2024-01-03T00:00:00Z", 30),
      ListEntry("d.mp4", "2024-02-15T00:00:00Z", "2024-02-15T00:00:00Z", 40),
      ListEntry("e.mp4", "2024-02-16T00:00:00Z", "2024-02-16T00:00:00Z", 50),
  };
  std::mutex mutex;
  std::vector<json> requests;
  Serve([&](const TestRequest& request) {
    const json body = json::parse(request.body);
    {
      std::lock_guard<std::mutex> lock(mutex);
      requests.push_back(body);
    }
    const size_t offset = body["offset"].get<size_t>();
    const size_t limit = body["limit"].get<size_t>();
    json page = json::array();
    for (size_t i = offset; i < std::min(all.size(), offset + limit); ++i) page.push_back(all[i]);
    return JsonReply(200, page);
  });
  SupabaseStoreOptions options;
  options.list_page_size = 3;
  auto store = MakeStore(kSecretKey, options);
  const int64_t cutoff = *ParseTimestampMs("2024-02-01T00:00:00Z");
  auto older = store->ListOlderThan(cutoff);
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  ASSERT_EQ(older->size(), 2u);
  EXPECT_EQ((*older)[0].key, "videos/a.mp4");
  EXPECT_EQ((*older)[0].size_bytes, 10);
  EXPECT_EQ((*older)[1].key, "videos/c.jpg");
  // b.mp4 was modified after the cutoff; d.mp4 was created after it, so the listing stopped.
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["prefix"], "videos/");
  EXPECT_EQ(requests[0]["sortBy"], json({{"column", "created_at"}, {"order", "asc"}}));
  EXPECT_EQ(requests[0]["offset"], 0);
  EXPECT_EQ(requests[1]["offset"], 3);
}

TEST_F(SupabaseStoreTest, BytesUsedIsCachedForTheConfiguredTime) {
  std::atomic<int> listings{0};
  Serve([&](const TestRequest&) {
    ++listings;
    return JsonReply(
        200, json::array({ListEntry("a.mp4", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 1000),
                          ListEntry("a.jpg", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 24)}));
  });
  SupabaseStoreOptions options;
  options.bytes_used_cache_ms = 60000;
  auto store = MakeStore(kSecretKey, options);
  EXPECT_EQ(*store->BytesUsed(), 1024);
  clock_.Advance(59000);
  EXPECT_EQ(*store->BytesUsed(), 1024);
  EXPECT_EQ(listings.load(), 1);
  clock_.Advance(2000);
  EXPECT_EQ(*store->BytesUsed(), 1024);
  EXPECT_EQ(listings.load(), 2);
}

// A TUS server in memory: checks offsets and the chunk rule; the second PATCH fails with 500
// after keeping 100 bytes, as a server keeps part of a broken request.
TEST_F(SupabaseStoreTest, ResumableUploadResumesFromTheServerOffset) {
  constexpr int64_t kChunk = 1000;
  std::mutex mutex;
  std::string stored;
  int64_t length = -1;
  int patches = 0;
  std::vector<std::string> log;
  Serve([&](const TestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    log.push_back(request.method + " " + request.path);
    TestReply reply;
    if (request.method == "POST" && request.path == "/storage/v1/upload/resumable") {
      EXPECT_EQ(Header(request, "Tus-Resumable"), "1.0.0");
      EXPECT_EQ(Header(request, "x-upsert"), "true");
      // base64("videos")=dmlkZW9z, base64("videos/big.mp4")=dmlkZW9zL2JpZy5tcDQ=,
      // base64("video/mp4")=dmlkZW8vbXA0, base64("3600")=MzYwMA==
      EXPECT_EQ(Header(request, "Upload-Metadata"),
                "bucketName dmlkZW9z,objectName dmlkZW9zL2JpZy5tcDQ=,contentType "
                "dmlkZW8vbXA0,cacheControl MzYwMA==");
      length = std::stoll(Header(request, "Upload-Length"));
      reply.status = 201;
      // A Location on another host: the client must stay on its own URL.
      reply.headers = {{"Location", "http://elsewhere.invalid/storage/v1/upload/resumable/UP1"}};
      return reply;
    }
    EXPECT_EQ(request.path, "/storage/v1/upload/resumable/UP1");
    if (request.method == "HEAD") {
      reply.headers = {{"Upload-Offset", std::to_string(stored.size())},
                       {"Upload-Length", std::to_string(length)}};
      return reply;
    }
    EXPECT_EQ(request.method, "PATCH");
    EXPECT_EQ(Header(request, "Content-Type"), "application/offset+octet-stream");
    const int64_t offset = std::stoll(Header(request, "Upload-Offset"));
    if (offset != static_cast<int64_t>(stored.size())) {
      reply.status = 409;
      reply.body = "Upload-Offset conflict";
      return reply;
    }
    const int64_t size = static_cast<int64_t>(request.body.size());
    if (size != kChunk && offset + size != length) {
      reply.status = 400;
      reply.body = "chunk size";
      return reply;
    }
    if (++patches == 2) {
      stored += request.body.substr(0, 100);
      return StorageError("500", "InternalError", "InternalError", "lost the connection");
    }
    stored += request.body;
    reply.status = 204;
    reply.headers = {{"Upload-Offset", std::to_string(stored.size())}};
    return reply;
  });
  SupabaseStoreOptions options;
  options.resumable_threshold_bytes = 1500;
  options.resumable_chunk_bytes = kChunk;
  options.retry = {3, 7, 100};
  const std::string path = WriteFile("big.mp4", 3500);
  std::vector<int64_t> progress;
  ASSERT_TRUE(MakeStore(kJwtKey, options)
                  ->Put("videos/big.mp4", path, "",
                        [&](int64_t done, int64_t total) {
                          EXPECT_EQ(total, 3500);
                          progress.push_back(done);
                        })
                  .ok());
  std::ifstream in(path, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(stored, original);
  EXPECT_EQ(sleeps(), (std::vector<int>{7}));
  // create, PATCH 0, PATCH 1000 (fails after 100 bytes kept), HEAD → 1100, PATCH 1100, 2100, 3100.
  EXPECT_EQ(log, (std::vector<std::string>{
                     "POST /storage/v1/upload/resumable",
                     "PATCH /storage/v1/upload/resumable/UP1",
                     "PATCH /storage/v1/upload/resumable/UP1",
                     "HEAD /storage/v1/upload/resumable/UP1",
                     "PATCH /storage/v1/upload/resumable/UP1",
                     "PATCH /storage/v1/upload/resumable/UP1",
                     "PATCH /storage/v1/upload/resumable/UP1",
                 }));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 3500);
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GT(progress[i], progress[i - 1]);
}

TEST_F(SupabaseStoreTest, ResumableUploadGivesUpAfterBoundedRetries) {
  std::atomic<int> patches{0};
  Serve([&](const TestRequest& request) {
    TestReply reply;
    if (request.method == "POST") {
      reply.status = 201;
      reply.headers = {{"Location", "/storage/v1/upload/resumable/UP2"}};
    } else if (request.method == "HEAD") {
      reply.headers = {{"Upload-Offset", "0"}};
    } else {
      ++patches;
      reply.status = 503;
      reply.body = "busy";
    }
    return reply;
  });
  SupabaseStoreOptions options;
  options.resumable_threshold_bytes = 10;
  options.resumable_chunk_bytes = 64;
  options.retry = {3, 1, 10};
  const std::string path = WriteFile("never.mp4", 100);
  const Status status = MakeStore(kSecretKey, options)->Put("videos/never.mp4", path, "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kStorageUnavailable);
  EXPECT_NE(status.message().find("failed at byte 0 of 100 after 3 tries"), std::string::npos)
      << status.message();
  EXPECT_EQ(patches.load(), 3);
}

}  // namespace
}  // namespace vg::storage

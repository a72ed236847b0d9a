// Tests of LocalStore in temp folders: atomic puts, content types, signed URLs, keys that try
// to escape the folder, listing and sweeping by age, CreateBlobStore.
#include "storage/local_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "storage/create.h"

namespace vg::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kSecret[] = "local-store-test-secret";

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t unix_ms) : unix_ms_(unix_ms) {}
  int64_t NowUnixMs() const override { return unix_ms_; }
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(unix_ms_));
  }

 private:
  int64_t unix_ms_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vg_local_store_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_ = pattern;
    root_ = temp_ + "/store";
    auto store = LocalStore::Open({root_, "http://127.0.0.1:3000/", kSecret, false}, &clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(temp_); }

  std::string Source(const std::string& name, const std::string& content) {
    const std::string path = temp_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Files in the store that are neither objects nor meta files.
  std::vector<std::string> LeftoverTempFiles() {
    std::vector<std::string> temps;
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.path().filename().string().rfind(".vgtmp", 0) == 0) {
        temps.push_back(entry.path());
      }
    }
    return temps;
  }

  FixedClock clock_{1'764'000'000'000};
  std::string temp_, root_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(LocalStoreTest, PutCopiesTheFileAndKeepsTheSource) {
  const std::string data(3 << 20, 'v');  // several copy buffers
  const std::string source = Source("render.mp4", data);
  std::vector<std::pair<int64_t, int64_t>> progress;
  ASSERT_TRUE(store_
                  ->Put("videos/job1.mp4", source, "video/mp4",
                        [&](int64_t done, int64_t total) { progress.emplace_back(done, total); })
                  .ok());
  EXPECT_EQ(ReadAll(root_ + "/videos/job1.mp4"), data);
  EXPECT_TRUE(fs::exists(source));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().first, 3 << 20);
  EXPECT_EQ(progress.back().second, 3 << 20);
  EXPECT_TRUE(LeftoverTempFiles().empty());

  auto info = store_->Head("videos/job1.mp4");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size_bytes, 3 << 20);
  EXPECT_EQ(info->key, "videos/job1.mp4");
  EXPECT_GT(info->modified_unix_ms, 0);
}

TEST_F(LocalStoreTest, PutReplacesAnExistingObject) {
  ASSERT_TRUE(store_->Put("a.mp4", Source("one", "first version"), "video/mp4").ok());
  ASSERT_TRUE(store_->Put("a.mp4", Source("two", "second"), "video/mp4").ok());
  EXPECT_EQ(ReadAll(root_ + "/a.mp4"), "second");
}

TEST_F(LocalStoreTest, MoveSourceRenamesInsteadOfCopying) {
  auto mover = LocalStore::Open({root_, "http://h", kSecret, true});
  ASSERT_TRUE(mover.ok());
  const std::string source = Source("moved.mp4", "moved bytes");
  ASSERT_TRUE((*mover)->Put("videos/moved.mp4", source, "video/mp4").ok());
  EXPECT_FALSE(fs::exists(source));
  EXPECT_EQ(ReadAll(root_ + "/videos/moved.mp4"), "moved bytes");
}

TEST_F(LocalStoreTest, MissingSourceIsNotFoundAndLeavesNothing) {
  Status status = store_->Put("videos/x.mp4", temp_ + "/absent.mp4", "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_FALSE(store_->Head("videos/x.mp4").ok());
  EXPECT_TRUE(LeftoverTempFiles().empty());
}

TEST_F(LocalStoreTest, ContentTypeIsRecordedOrDerived) {
  ASSERT_TRUE(store_->Put("t/thumb.jpg", Source("t.jpg", "jpeg"), "image/jpeg").ok());
  ASSERT_TRUE(store_->Put("t/clip.bin", Source("c", "x"), "video/mp4").ok());
  ASSERT_TRUE(store_->Put("t/derived.webm", Source("d", "x"), "").ok());
  EXPECT_EQ(*store_->ContentTypeOf("t/thumb.jpg"), "image/jpeg");
  EXPECT_EQ(*store_->ContentTypeOf("t/clip.bin"), "video/mp4");  // recorded beats extension
  EXPECT_EQ(*store_->ContentTypeOf("t/derived.webm"), "video/webm");
  EXPECT_EQ(ContentTypeForExtension("x/y.MP4"), "video/mp4");
  EXPECT_EQ(ContentTypeForExtension("x.y/z"), "application/octet-stream");
  // Meta files are not objects.
  auto listed = store_->ListOlderThan(INT64_MAX);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 3u);
}

TEST_F(LocalStoreTest, SignBuildsAVerifiableFilesUrl) {
  auto url = store_->Sign("videos/job 1.mp4", 3600);
  EXPECT_EQ(url.error().code(), ErrorCode::kInvalidArgument);  // space: not a valid key

  auto signed_url = store_->Sign("videos/job-1.mp4", 3600);
  ASSERT_TRUE(signed_url.ok());
  EXPECT_EQ(signed_url->expires_unix_s, 1'764'000'000 + 3600);
  const std::string sig = store_->signer().Signature("videos/job-1.mp4", 1'764'003'600);
  EXPECT_EQ(signed_url->url,
            "http://127.0.0.1:3000/files/videos/job-1.mp4?exp=1764003600&sig=" + sig);
  EXPECT_TRUE(store_->signer().Verify("videos/job-1.mp4", 1'764'003'600, sig, 1'764'000'000));
  EXPECT_FALSE(store_->signer().Verify("videos/job-1.mp4", 1'764'003'600, sig, 1'764'003'601));
  EXPECT_FALSE(store_->Sign("videos/job-1.mp4", 0).ok());

  // Reserved characters are percent-encoded in the URL but signed as the raw key.
  auto odd = store_->Sign("videos/a+b%c?.mp4", 60);
  ASSERT_TRUE(odd.ok());
  EXPECT_THAT(odd->url, HasSubstr("/files/videos/a%2Bb%25c%3F.mp4?exp="));
}

TEST_F(LocalStoreTest, KeysThatCouldEscapeTheFolderAreRefused) {
  const std::string outside = Source("secret.txt", "do not serve");
  for (const char* key :
       {"../secret.txt", "videos/../../secret.txt", "/etc/passwd", "a//b", "./a", "a/./b", "a/..",
        "..", "", "a\\..\\b", "a b", "a\nb", "x.vgmeta", "d/.vgtmp-1", "caf\xc3\xa9.mp4"}) {
    EXPECT_EQ(store_->PathFor(key).status().code(), ErrorCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Put(key, outside, "text/plain").code(), ErrorCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Head(key).status().code(), ErrorCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Delete(key).code(), ErrorCode::kInvalidArgument) << key;
  }
  EXPECT_FALSE(store_->PathFor(std::string(513, 'a')).ok());
  EXPECT_TRUE(fs::exists(outside));
  auto path = store_->PathFor("videos/ok_1.mp4");
  ASSERT_TRUE(path.ok());
  EXPECT_THAT(*path, StartsWith(fs::canonical(root_).string() + "/"));
}

TEST_F(LocalStoreTest, HeadAndDelete) {
  EXPECT_EQ(store_->Head("videos/none.mp4").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->Delete("videos/none.mp4").ok());  // absent is fine
  ASSERT_TRUE(store_->Put("videos/deep/x.mp4", Source("x", "xx"), "video/mp4").ok());
  ASSERT_TRUE(store_->Delete("videos/deep/x.mp4").ok());
  EXPECT_EQ(store_->Head("videos/deep/x.mp4").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(root_ + "/videos/deep/x.mp4.vgmeta"));
  EXPECT_FALSE(fs::exists(root_ + "/videos"));  // emptied folders go too
  EXPECT_TRUE(fs::exists(root_));               // never the root
}

TEST_F(LocalStoreTest, ListOlderThanSweepAndBytesUsed) {
  ASSERT_TRUE(store_->Put("videos/old.mp4", Source("o", "0123456789"), "video/mp4").ok());
  ASSERT_TRUE(store_->Put("videos/old.jpg", Source("oj", "01234"), "image/jpeg").ok());
  ASSERT_TRUE(store_->Put("videos/new.mp4", Source("n", "012"), "video/mp4").ok());
  const auto now = fs::file_time_type::clock::now();
  fs::last_write_time(root_ + "/videos/old.mp4", now - std::chrono::hours(48));
  fs::last_write_time(root_ + "/videos/old.jpg", now - std::chrono::hours(30));

  EXPECT_EQ(*store_->BytesUsed(), 18);
  const int64_t day_ago_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() -
                             24 * 3600 * 1000;
  auto old = store_->ListOlderThan(day_ago_ms);
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->size(), 2u);
  EXPECT_EQ((*old)[0].key, "videos/old.jpg");
  EXPECT_EQ((*old)[1].key, "videos/old.mp4");
  EXPECT_EQ((*old)[1].size_bytes, 10);

  ASSERT_TRUE(SweepOlderThan(*store_, day_ago_ms).ok());
  EXPECT_EQ(store_->Head("videos/old.mp4").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->Head("videos/old.jpg").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->Head("videos/new.mp4").ok());
  EXPECT_EQ(*store_->BytesUsed(), 3);
}

TEST_F(LocalStoreTest, ConcurrentPutsOfOneKeyLeaveOneWholeFile) {
  const std::string a = Source("a", std::string(1 << 20, 'a'));
  const std::string b = Source("b", std::string(1 << 20, 'b'));
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 5; ++j) {
        EXPECT_TRUE(store_->Put("race.mp4", i % 2 ? a : b, "video/mp4").ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string result = ReadAll(root_ + "/race.mp4");
  ASSERT_EQ(result.size(), 1u << 20);
  EXPECT_TRUE(result == std::string(1 << 20, 'a') || result == std::string(1 << 20, 'b'));
  EXPECT_TRUE(LeftoverTempFiles().empty());
}

TEST_F(LocalStoreTest, OpenRefusesMissingSettings) {
  EXPECT_EQ(LocalStore::Open({"", "http://h", kSecret, false}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(LocalStore::Open({root_, "http://h", "", false}).status().code(),
            ErrorCode::kInvalidArgument);
  // A file where the folder should be.
  const std::string file = Source("not-a-dir", "x");
  EXPECT_EQ(LocalStore::Open({file + "/sub", "http://h", kSecret, false}).status().code(),
            ErrorCode::kStorageUnavailable);
  EXPECT_TRUE(store_->Check().ok());
}

TEST_F(LocalStoreTest, CreateBlobStoreFromConfig) {
  config::Config config;
  config.local_storage_dir = temp_ + "/from-config";
  config.public_base_url = "https://videos.example.com";
  config.url_signing_secret = kSecret;
  auto store = CreateBlobStore(config, &clock_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto url = (*store)->Sign("v.mp4", 10);
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(url->url, StartsWith("https://videos.example.com/files/v.mp4?exp=1764000010&sig="));
  EXPECT_TRUE(fs::is_directory(temp_ + "/from-config"));

  // s3: the settings are checked when the store is made; no network call is made.
  config.storage_provider = config::StorageProvider::kS3;
  auto incomplete = CreateBlobStore(config);
  ASSERT_FALSE(incomplete.ok());
  EXPECT_EQ(incomplete.error().code(), ErrorCode::kInvalidArgument);
  config.s3.bucket = "videos";
  config.s3.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  config.s3.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  config.s3.endpoint = "http://127.0.0.1:9";
  config.s3.force_path_style = true;
  auto s3 = CreateBlobStore(config, &clock_);
  ASSERT_TRUE(s3.ok()) << s3.error().ToString();
  auto presigned = (*s3)->Sign("videos/v.mp4", 60);
  ASSERT_TRUE(presigned.ok());
  EXPECT_THAT(presigned->url, StartsWith("http://127.0.0.1:9/videos/videos/v.mp4?X-Amz-Algorithm="));

  config.storage_provider = config::StorageProvider::kSupabase;
  EXPECT_FALSE(CreateBlobStore(config).ok()) << "SUPABASE_URL and SUPABASE_KEY are needed";
  config.supabase.url = "http://127.0.0.1:9";
  config.supabase.key = "sb_secret_example";
  EXPECT_TRUE(CreateBlobStore(config).ok());
}

}  // namespace
}  // namespace vg::storage

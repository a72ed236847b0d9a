// AssetCache end to end: http(s) through a real loopback server (downloads, errors with their
// retryability, limits, timeout, SSRF refusal, redirects), data: URIs, local paths and their
// policy, LocalFile temporary files, and fetch-once under concurrency.
#include "assets/asset_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "assets/test_image_encoder.h"
#include "net/test_http_server.h"

namespace vg::assets {
namespace {

namespace fs = std::filesystem;
using net::testing::TestReply;
using net::testing::TestRequest;

std::string Base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) n |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

class AssetCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    png_ = testing::EncodePng(testing::RgbaImage::Filled(5, 3, 0, 128, 255));
    server_ = std::make_unique<net::testing::TestHttpServer>(
        [this](const TestRequest& request) { return Handle(request); });
    ASSERT_TRUE(server_->Start().ok());
    std::string pattern = (fs::temp_directory_path() / "vg-asset-cache-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "assets");
    fs::create_directories(dir_ / "tmp");
    std::ofstream(dir_ / "assets" / "font.ttf", std::ios::binary) << "not really a font";
    std::ofstream(dir_ / "secret.txt", std::ios::binary) << "secret";
  }
  void TearDown() override {
    server_->Stop();
    fs::remove_all(dir_);
  }

  TestReply Handle(const TestRequest& request) {
    TestReply reply;
    if (request.path == "/logo.png") {
      reply.body = png_;
      reply.delay_ms = 200;  // long enough for every concurrent asker to arrive
    } else if (request.path == "/text") {
      reply.body = "plain bytes";
    } else if (request.path == "/broken") {
      reply.status = 503;
    } else if (request.path == "/big") {
      reply.mode = TestReply::Body::kChunkedForever;
    } else if (request.path == "/stall") {
      reply.mode = TestReply::Body::kStall;
    } else if (request.path == "/moved") {
      reply.status = 301;
      reply.headers.push_back({"Location", "/logo.png"});
    } else {
      reply.status = 404;
    }
    return reply;
  }

  AssetOptions Options() const {
    AssetOptions options;
    options.base_dir = (dir_ / "assets").string();
    options.confine_to_base_dir = true;
    options.allow_private_addresses = true;  // the test server is on loopback
    options.temp_dir = (dir_ / "tmp").string();
    options.timeout_ms = 5000;
    return options;
  }

  std::string png_;
  std::unique_ptr<net::testing::TestHttpServer> server_;
  fs::path dir_;
};

TEST_F(AssetCacheTest, DownloadsAndDecodesOverHttp) {
  AssetCache cache(Options());
  auto image = cache.LoadImage(server_->Url("/logo.png?X-Signature=abc"));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ((*image)->width(), 5);
  EXPECT_EQ((*image)->height(), 3);
  auto bytes = cache.Fetch(server_->Url("/text"));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(**bytes, "plain bytes");
}

TEST_F(AssetCacheTest, FollowsRedirects) {
  AssetCache cache(Options());
  auto image = cache.LoadImage(server_->Url("/moved"));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ(server_->hits("/logo.png"), 1);
}

TEST_F(AssetCacheTest, NotFoundNamesTheUrlWithoutItsQueryAndIsNotRetryable) {
  AssetCache cache(Options());
  const std::string url = server_->Url("/missing.png?token=SECRET");
  auto bytes = cache.Fetch(url);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code(), ErrorCode::kAssetUnavailable);
  EXPECT_EQ(bytes.error().message(), "asset " + server_->Url("/missing.png") + ": HTTP 404");
  EXPECT_FALSE(cache.IsRetryableFailure(url));
  EXPECT_FALSE(cache.HasRetryableFailure());
  // Failures are cached too: asking again does not ask the server again.
  EXPECT_FALSE(cache.LoadImage(url).ok());
  EXPECT_EQ(server_->hits("/missing.png"), 1);
}

TEST_F(AssetCacheTest, ServerErrorIsRetryable) {
  AssetCache cache(Options());
  auto bytes = cache.Fetch(server_->Url("/broken"));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().message(), "asset " + server_->Url("/broken") + ": HTTP 503");
  EXPECT_TRUE(cache.IsRetryableFailure(server_->Url("/broken")));
  EXPECT_TRUE(cache.HasRetryableFailure());
  EXPECT_FALSE(cache.IsRetryableFailure(server_->Url("/never-asked")));
}

TEST_F(AssetCacheTest, DownloadLimitIsALimitError) {
  AssetOptions options = Options();
  options.max_bytes = 100000;
  AssetCache cache(options);
  auto bytes = cache.Fetch(server_->Url("/big"));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(bytes.error().message(),
            "asset " + server_->Url("/big") + ": larger than 100000 bytes (LIMIT_ASSET_BYTES)");
}

TEST_F(AssetCacheTest, StallingServerTimesOut) {
  AssetOptions options = Options();
  options.timeout_ms = 300;
  AssetCache cache(options);
  auto bytes = cache.Fetch(server_->Url("/stall"));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code(), ErrorCode::kAssetUnavailable);
  EXPECT_EQ(bytes.error().message(),
            "asset " + server_->Url("/stall") + ": timed out after 300 ms");
  EXPECT_TRUE(cache.IsRetryableFailure(server_->Url("/stall")));
}

TEST_F(AssetCacheTest, PrivateAddressesRefusedWhenNotAllowed) {
  AssetOptions options = Options();
  options.allow_private_addresses = false;
  AssetCache cache(options);
  auto image = cache.LoadImage(server_->Url("/logo.png"));
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code(), ErrorCode::kAssetUnavailable);
  EXPECT_EQ(image.error().message(),
            "asset " + server_->Url("/logo.png") +
                ": address 127.0.0.1 is private and private addresses are not allowed");
  EXPECT_FALSE(cache.IsRetryableFailure(server_->Url("/logo.png")));
  EXPECT_EQ(server_->hits("/logo.png"), 0);
}

TEST_F(AssetCacheTest, FetchedOnceUnderConcurrency) {
  AssetCache cache(Options());
  const std::string url = server_->Url("/logo.png");
  std::vector<std::thread> threads;
  std::vector<const Image*> seen(8, nullptr);
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto image = cache.LoadImage(url);
      auto bytes = cache.Fetch(url);
      if (!image.ok() || !bytes.ok()) {
        ++failures;
        return;
      }
      seen[i] = image->get();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(server_->hits("/logo.png"), 1);
  for (const Image* image : seen) EXPECT_EQ(image, seen[0]);
}

TEST_F(AssetCacheTest, DataUrisDecodeAndAreNamedBriefly) {
  AssetCache cache(Options());
  auto image = cache.LoadImage("data:image/png;base64," + Base64(png_));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ((*image)->width(), 5);

  const std::string text_uri = "data:image/png;base64," + Base64("definitely not a png");
  auto refused = cache.LoadImage(text_uri);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "asset data:image/png;\u2026 (" +
                                           std::to_string(text_uri.size()) +
                                           " bytes): not a supported image (text)");
  auto bad = cache.Fetch("data:image/png;base64,!!!!");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "asset data:image/png;\u2026 (26 bytes): invalid base64 in data: URI");

  AssetOptions small = Options();
  small.max_bytes = 10;
  AssetCache limited(small);
  auto too_big = limited.Fetch("data:,01234567890");
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code(), ErrorCode::kLimitExceeded);
}

TEST_F(AssetCacheTest, LocalPathsFollowThePolicy) {
  AssetCache cache(Options());
  auto font = cache.Fetch("font.ttf");
  ASSERT_TRUE(font.ok()) << font.error().ToString();
  EXPECT_EQ(**font, "not really a font");
  auto escape = cache.Fetch("../secret.txt");
  ASSERT_FALSE(escape.ok());
  EXPECT_EQ(escape.error().message(), "asset ../secret.txt: path leaves the asset folder");
  auto missing = cache.LoadImage("missing.png");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "asset missing.png: file not found");

  AssetOptions no_local = Options();
  no_local.allow_local_paths = false;
  AssetCache api(no_local);
  auto refused = api.Fetch("font.ttf");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "asset font.ttf: local paths are not allowed here");
  EXPECT_FALSE(api.LocalFile("font.ttf").ok());
}

TEST_F(AssetCacheTest, OtherSchemesAreRefused) {
  AssetCache cache(Options());
  for (const char* src : {"file:///etc/passwd", "ftp://127.0.0.1/x.png", "gopher://x/"}) {
    auto bytes = cache.Fetch(src);
    ASSERT_FALSE(bytes.ok()) << src;
    EXPECT_EQ(bytes.error().message(),
              std::string("asset ") + src + ": only http, https and data: URLs are allowed");
  }
}

TEST_F(AssetCacheTest, LocalFileGivesPathsAndCleansUpTemporaryCopies) {
  std::string temp_path;
  {
    AssetCache cache(Options());
    auto local = cache.LocalFile("font.ttf");
    ASSERT_TRUE(local.ok()) << local.error().ToString();
    EXPECT_EQ(*local, fs::canonical(dir_ / "assets" / "font.ttf").string());

    auto remote = cache.LocalFile(server_->Url("/text"));
    ASSERT_TRUE(remote.ok()) << remote.error().ToString();
    temp_path = *remote;
    EXPECT_EQ(fs::path(temp_path).parent_path(), dir_ / "tmp");
    std::ifstream in(temp_path, std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "plain bytes");
    EXPECT_EQ(*cache.LocalFile(server_->Url("/text")), temp_path);  // once

    auto data = cache.LocalFile("data:font/ttf;base64," + Base64("abc"));
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(fs::file_size(*data), 3u);
  }
  EXPECT_FALSE(fs::exists(temp_path));
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
}

// A fake HttpClient: the seam the worker's unit tests use too.
class CountingHttpClient final : public net::HttpClient {
 public:
  net::HttpResult Get(const net::HttpRequest& request) override {
    ++gets;
    last_timeout_ms = request.timeout_ms;
    last_max_bytes = request.max_response_bytes;
    net::HttpResponse response;
    response.status = 200;
    response.body = "fake";
    return response;
  }
  net::HttpResult Post(const net::HttpRequest&) override { return net::ErrorForStatus(405); }
  net::HttpResult Send(const net::HttpRequest&) override { return net::ErrorForStatus(405); }
  std::atomic<int> gets{0};
  std::atomic<int> last_timeout_ms{0};
  std::atomic<int64_t> last_max_bytes{0};
};

TEST_F(AssetCacheTest, UsesTheGivenHttpClientWithTheOptionsLimits) {
  auto client = std::make_unique<CountingHttpClient>();
  CountingHttpClient* fake = client.get();
  AssetOptions options = Options();
  options.timeout_ms = 1234;
  options.max_bytes = 5678;
  AssetCache cache(options, std::move(client));
  auto bytes = cache.Fetch("https://cdn.example.com/a.bin");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(**bytes, "fake");
  EXPECT_TRUE(cache.Fetch("https://cdn.example.com/a.bin").ok());
  EXPECT_EQ(fake->gets, 1);
  EXPECT_EQ(fake->last_timeout_ms, 1234);
  EXPECT_EQ(fake->last_max_bytes, 5678);
}

}  // namespace
}  // namespace vg::assets

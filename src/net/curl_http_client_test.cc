// CurlHttpClient against a real HTTP server on loopback (TestHttpServer): downloads, status
// errors and their retryability, both body limits, the total timeout, redirects, and the SSRF
// guard on the first hop and on a redirect hop.
#include "net/curl_http_client.h"

#include <gtest/gtest.h>
#include <strings.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "net/test_http_server.h"

namespace vg::net {
namespace {

using testing::SilentListener;
using testing::TestReply;
using testing::TestRequest;

CurlHttpClientOptions Options(bool allow_private_addresses, std::vector<int> public_ports = {}) {
  CurlHttpClientOptions options;
  options.allow_private_addresses = allow_private_addresses;
  options.public_loopback_ports_for_testing = std::move(public_ports);
  return options;
}

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::TestHttpServer>(
        [this](const TestRequest& request) { return Handle(request); });
    ASSERT_TRUE(server_->Start().ok());
    second_ = std::make_unique<testing::TestHttpServer>([](const TestRequest&) {
      TestReply reply;
      reply.body = "from the second server";
      return reply;
    });
    ASSERT_TRUE(second_->Start().ok());
  }

  TestReply Handle(const TestRequest& request) {
    TestReply reply;
    if (request.path == "/hello") {
      reply.body = "hello world";
      reply.headers.push_back({"X-Test", "yes"});
    } else if (request.path == "/missing") {
      reply.status = 404;
      reply.body = "nope";
    } else if (request.path == "/broken") {
      reply.status = 500;
    } else if (request.path == "/big-declared") {
      reply.body = std::string(100, 'b');
      reply.claimed_content_length = 5'000'000;
    } else if (request.path == "/endless") {
      reply.mode = TestReply::Body::kChunkedForever;
    } else if (request.path == "/stall") {
      reply.mode = TestReply::Body::kStall;
      reply.body = "partial";
    } else if (request.path == "/redirect") {
      reply.status = 302;
      reply.headers.push_back({"Location", "/hello"});
    } else if (request.path == "/redirect-to-second") {
      reply.status = 302;
      reply.headers.push_back({"Location", second_->Url("/target")});
    } else if (request.path == "/loop") {
      reply.status = 302;
      reply.headers.push_back({"Location", "/loop"});
    } else if (request.path == "/redirect-to-file") {
      reply.status = 302;
      reply.headers.push_back({"Location", "file:///etc/passwd"});
    } else if (request.path == "/echo") {
      reply.body = request.method + ":" + request.body;
      for (const HttpHeader& header : request.headers) {
        if (header.name == "X-Sig") reply.body += ":" + header.value;
        if (strcasecmp(header.name.c_str(), "Expect") == 0) reply.body += ":expect";
        if (strcasecmp(header.name.c_str(), "Transfer-Encoding") == 0) reply.body += ":chunked";
      }
    } else {
      reply.status = 404;
    }
    return reply;
  }

  static HttpRequest Request(const std::string& url) {
    HttpRequest request;
    request.url = url;
    request.timeout_ms = 5000;
    return request;
  }

  std::unique_ptr<testing::TestHttpServer> server_;
  std::unique_ptr<testing::TestHttpServer> second_;
  CurlHttpClient client_{Options(true)};
};

TEST_F(CurlHttpClientTest, DownloadsBodyAndHeaders) {
  HttpResult result = client_.Get(Request(server_->Url("/hello?sig=1")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().status, 200);
  EXPECT_EQ(result.value().body, "hello world");
  ASSERT_NE(result.value().FindHeader("x-test"), nullptr);
  EXPECT_EQ(*result.value().FindHeader("x-test"), "yes");
  EXPECT_EQ(server_->hits("/hello"), 1);
}

TEST_F(CurlHttpClientTest, NotFoundIsNotRetryable) {
  HttpResult result = client_.Get(Request(server_->Url("/missing")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kHttpStatus);
  EXPECT_EQ(result.error().message, "HTTP 404");
  EXPECT_EQ(result.error().http_status, 404);
  EXPECT_FALSE(result.error().retryable);
}

TEST_F(CurlHttpClientTest, ServerErrorIsRetryable) {
  HttpResult result = client_.Get(Request(server_->Url("/broken")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "HTTP 500");
  EXPECT_TRUE(result.error().retryable);
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsRetryable) {
  const std::string url = second_->Url("/x");
  second_->Stop();  // the port is now closed
  HttpResult result = client_.Get(Request(url));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kConnect);
  EXPECT_EQ(result.error().message, "connection refused");
  EXPECT_TRUE(result.error().retryable);
}

TEST_F(CurlHttpClientTest, RefusesByContentLengthBeforeDownloading) {
  HttpRequest request = Request(server_->Url("/big-declared"));
  request.max_response_bytes = 1'000'000;
  HttpResult result = client_.Get(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kTooLarge);
  EXPECT_EQ(result.error().message, "larger than 1000000 bytes");
  EXPECT_FALSE(result.error().retryable);
}

TEST_F(CurlHttpClientTest, StopsAnEndlessChunkedBodyAtTheLimit) {
  HttpRequest request = Request(server_->Url("/endless"));
  request.max_response_bytes = 300'000;
  const auto start = std::chrono::steady_clock::now();
  HttpResult result = client_.Get(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kTooLarge);
  EXPECT_EQ(result.error().message, "larger than 300000 bytes");
  // Stopped by the limit, not by the 5 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(CurlHttpClientTest, TotalTimeoutOnAStallingServer) {
  HttpRequest request = Request(server_->Url("/stall"));
  request.timeout_ms = 400;
  const auto start = std::chrono::steady_clock::now();
  HttpResult result = client_.Get(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kTimeout);
  EXPECT_EQ(result.error().message, "timed out after 400 ms");
  EXPECT_TRUE(result.error().retryable);
  EXPECT_GE(elapsed, std::chrono::milliseconds(380));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
}

TEST_F(CurlHttpClientTest, FollowsRedirects) {
  HttpResult result = client_.Get(Request(server_->Url("/redirect")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().body, "hello world");
  EXPECT_EQ(result.value().redirects, 1);
  EXPECT_EQ(server_->hits("/redirect"), 1);
  EXPECT_EQ(server_->hits("/hello"), 1);
}

TEST_F(CurlHttpClientTest, StopsAfterFiveRedirects) {
  HttpResult result = client_.Get(Request(server_->Url("/loop")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kTooManyRedirects);
  EXPECT_EQ(result.error().message, "more than 5 redirects");
  EXPECT_EQ(server_->hits("/loop"), 6);  // the first request and five hops
}

TEST_F(CurlHttpClientTest, RefusesRedirectToAnotherScheme) {
  HttpResult result = client_.Get(Request(server_->Url("/redirect-to-file")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kInvalidUrl);
  EXPECT_FALSE(result.error().retryable);
}

TEST_F(CurlHttpClientTest, RefusesNonHttpSchemes) {
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/"}) {
    HttpResult result = client_.Get(Request(url));
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.error().kind, HttpErrorKind::kInvalidUrl) << url;
  }
}

TEST_F(CurlHttpClientTest, PrivateAddressRefusedUnlessAllowed) {
  CurlHttpClient guarded(Options(false));
  HttpResult refused = guarded.Get(Request(server_->Url("/hello")));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, HttpErrorKind::kRefusedAddress);
  EXPECT_EQ(refused.error().message,
            "address 127.0.0.1 is private and private addresses are not allowed");
  EXPECT_FALSE(refused.error().retryable);
  EXPECT_EQ(server_->hits("/hello"), 0);  // no request reached the server

  // The check is on the resolved address, not on the spelling of the host.
  HttpResult by_name =
      guarded.Get(Request("http://localhost:" + std::to_string(server_->port()) + "/hello"));
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.error().kind, HttpErrorKind::kRefusedAddress);
  EXPECT_EQ(server_->hits("/hello"), 0);

  HttpResult allowed = client_.Get(Request(server_->Url("/hello")));
  ASSERT_TRUE(allowed.ok()) << allowed.error().message;
  EXPECT_EQ(server_->hits("/hello"), 1);
}

TEST_F(CurlHttpClientTest, RedirectToAPrivateAddressIsRefused) {
  // The first server stands for a public host; it redirects to the second, which is private.
  CurlHttpClient guarded(Options(false, {server_->port()}));
  HttpResult direct = guarded.Get(Request(server_->Url("/hello")));
  ASSERT_TRUE(direct.ok()) << direct.error().message;

  HttpResult result = guarded.Get(Request(server_->Url("/redirect-to-second")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kRefusedAddress);
  EXPECT_EQ(result.error().message,
            "address 127.0.0.1 is private and private addresses are not allowed");
  EXPECT_EQ(server_->hits("/redirect-to-second"), 1);
  EXPECT_EQ(second_->hits("/target"), 0);
}

TEST_F(CurlHttpClientTest, PostSendsBodyAndHeadersAndDoesNotFollowRedirects) {
  HttpRequest request = Request(server_->Url("/echo"));
  request.body = "{\"a\":1}";
  request.headers.push_back({"X-Sig", "v1,abc"});
  HttpResult result = client_.Post(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().body, "POST:{\"a\":1}:v1,abc");

  HttpResult redirected = client_.Post(Request(server_->Url("/redirect")));
  ASSERT_FALSE(redirected.ok());
  EXPECT_EQ(redirected.error().message, "HTTP 302");
  EXPECT_EQ(server_->hits("/hello"), 0);
}

TEST_F(CurlHttpClientTest, HeaderInjectionIsRefused) {
  HttpRequest request = Request(server_->Url("/echo"));
  request.headers.push_back({"X-Sig", "a\r\nX-Evil: 1"});
  HttpResult result = client_.Post(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(server_->hits("/echo"), 0);
}

// Send: any method, bodies from memory or a file range, every status as a response.
class CurlSendTest : public CurlHttpClientTest {
 protected:
  void SetUp() override {
    CurlHttpClientTest::SetUp();
    file_ =
        std::filesystem::temp_directory_path() / ("vg_send_" + std::to_string(::getpid()) + ".bin");
    std::ofstream out(file_, std::ios::binary);
    out << FileBytes(0, 300000);
  }
  void TearDown() override { std::filesystem::remove(file_); }

  HttpRequest SendRequest(const std::string& method, const std::string& path) {
    HttpRequest request = Request(server_->Url(path));
    request.method = method;
    return request;
  }

  // The bytes of file_ from `offset`: the alphabet over and over.
  static std::string FileBytes(int offset, int length) {
    std::string bytes;
    for (int i = 0; i < length; ++i) bytes.push_back(static_cast<char>('a' + (offset + i) % 26));
    return bytes;
  }

  // PUTs `length` bytes of file_ from `offset` to `url` (the /echo handler) and checks the echo.
  void ExpectPutEchoes(const std::string& url, int offset, int length) {
    HttpRequest put = Request(url);
    put.method = "PUT";
    put.body_file = HttpFileBody{file_.string(), offset, length};
    HttpResult sent = client_.Send(put);
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    EXPECT_EQ(sent.value().body, "PUT:" + FileBytes(offset, length));
  }

  std::filesystem::path file_;
};

TEST_F(CurlSendTest, PutsAFileRangeWithALengthAndNoExpectWait) {
  HttpRequest request = SendRequest("PUT", "/echo");
  request.body_file = HttpFileBody{file_.string(), 26 * 1000 + 2, 100000};
  std::vector<int64_t> progress;
  request.on_upload_progress = [&](int64_t sent) { progress.push_back(sent); };
  HttpResult result = client_.Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().body, "PUT:" + FileBytes(26 * 1000 + 2, 100000))
      << "no Expect header, no chunked encoding";
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 100000);
}

TEST_F(CurlSendTest, AnUploadToAServerThatStopsReadingFailsOnceNothingMovesForTheStallTime) {
  // 64 MiB: far more than the loopback socket buffers take before the peer must read.
  const std::filesystem::path big = file_.string() + ".big";
  {
    std::ofstream out(big, std::ios::binary);
    std::string block(1 << 20, 'x');
    for (int i = 0; i < 64; ++i)
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  SilentListener silent;
  ASSERT_TRUE(silent.Start().ok());
  HttpRequest request = Request(silent.Url("/upload"));
  request.method = "PUT";
  request.body_file = HttpFileBody{big.string(), 0, -1};
  request.timeout_ms = 60000;
  request.stall_timeout_s = 1;
  int64_t sent = 0;
  request.on_upload_progress = [&](int64_t bytes) { sent = bytes; };
  const auto start = std::chrono::steady_clock::now();
  HttpResult result = client_.Send(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  std::filesystem::remove(big);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kTimeout);
  EXPECT_EQ(result.error().message, "stalled: nothing moved for 1 s");
  EXPECT_TRUE(result.error().retryable);
  EXPECT_GT(sent, 0) << "the stall came after some of the body was sent";
  EXPECT_LT(sent, int64_t{64} << 20);
  // curl averages the speed over about 5 s, so a stall is seen about 5 s + 1 s after the last
  // byte: well before the 60 s timeout.
  EXPECT_LT(elapsed, std::chrono::seconds(20)) << "waited for the total timeout";
}

TEST_F(CurlSendTest, ADownloadThatStopsFailsOnceNothingMovesForTheStallTime) {
  HttpRequest request = SendRequest("GET", "/stall");
  request.timeout_ms = 60000;
  request.stall_timeout_s = 1;
  const auto start = std::chrono::steady_clock::now();
  HttpResult result = client_.Send(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kTimeout);
  EXPECT_EQ(result.error().message, "stalled: nothing moved for 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(CurlSendTest, PatchPostAndDeleteFromMemory) {
  for (const char* method : {"PATCH", "POST", "DELETE"}) {
    HttpRequest request = SendRequest(method, "/echo");
    request.body = "payload";
    HttpResult result = client_.Send(request);
    ASSERT_TRUE(result.ok()) << method << ": " << result.error().message;
    EXPECT_EQ(result.value().body, std::string(method) + ":payload");
  }
  HttpResult bare = client_.Send(SendRequest("DELETE", "/echo"));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare.value().body, "DELETE:");
}

TEST_F(CurlSendTest, CallerMayAskForHundredContinue) {
  HttpRequest request = SendRequest("PUT", "/echo");
  request.body = "x";
  request.headers.push_back({"Expect", "100-continue"});
  HttpResult result = client_.Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().body, "PUT:x:expect");
}

TEST_F(CurlSendTest, ErrorStatusesAreResponsesWithTheirBody) {
  HttpResult missing = client_.Send(SendRequest("GET", "/missing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing.value().status, 404);
  EXPECT_EQ(missing.value().body, "nope");
  HttpResult redirect = client_.Send(SendRequest("GET", "/redirect"));
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect.value().status, 302) << "Send never follows redirects";
}

TEST_F(CurlSendTest, HeadReadsHeadersOfALargeBody) {
  HttpRequest request = SendRequest("HEAD", "/big-declared");
  request.max_response_bytes = 10;
  HttpResult result = client_.Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().status, 200);
  ASSERT_NE(result.value().FindHeader("content-length"), nullptr);
  EXPECT_EQ(*result.value().FindHeader("content-length"), "5000000");
  EXPECT_TRUE(result.value().body.empty());
}

TEST_F(CurlSendTest, UnreadableOrShortBodyFileIsALocalFileError) {
  HttpRequest missing = SendRequest("PUT", "/echo");
  missing.body_file = HttpFileBody{(file_.string() + ".absent"), 0, -1};
  HttpResult result = client_.Send(missing);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kLocalFile);
  EXPECT_FALSE(result.error().retryable);

  HttpRequest short_range = SendRequest("PUT", "/echo");
  short_range.body_file = HttpFileBody{file_.string(), 299990, 100};
  result = client_.Send(short_range);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kLocalFile);
  EXPECT_EQ(server_->hits("/echo"), 0) << "nothing is sent for a bad range";
}

TEST_F(CurlSendTest, UnknownMethodIsRefused) {
  HttpResult result = client_.Send(SendRequest("TRACE", "/echo"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, HttpErrorKind::kInvalidUrl);
}

// The client's transfers share a connection cache: a run of requests to one keep-alive server
// goes over one connection, bodies and answers intact; another client (other options) never
// borrows it, so the address guard still refuses what it must.
TEST_F(CurlSendTest, RequestsToOneServerReuseOneConnection) {
  testing::TestHttpServer keep([this](const TestRequest& request) { return Handle(request); });
  keep.set_keep_alive(true);
  ASSERT_TRUE(keep.Start().ok());
  for (int round = 0; round < 3; ++round) {
    HttpResult got = client_.Get(Request(keep.Url("/hello")));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got.value().body, "hello world");
    ExpectPutEchoes(keep.Url("/echo"), 7, 5000);
  }
  EXPECT_EQ(keep.hits("/hello"), 3);
  EXPECT_EQ(keep.connections(), 1);

  CurlHttpClient guarded(Options(false));
  HttpResult refused = guarded.Get(Request(keep.Url("/hello")));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, HttpErrorKind::kRefusedAddress);
  EXPECT_EQ(keep.hits("/hello"), 3);
}

// A server that drops a connection after answering without saying so: the next request finds
// its cached connection dead and goes over a new one, an upload body sent again from its start.
TEST_F(CurlSendTest, AConnectionTheServerDroppedIsReplacedAndTheUploadSentAgain) {
  testing::TestHttpServer dropping([this](const TestRequest& request) { return Handle(request); });
  dropping.set_drop_after_reply(true);
  ASSERT_TRUE(dropping.Start().ok());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    ExpectPutEchoes(dropping.Url("/echo"), 3, 100000);
  }
  EXPECT_EQ(dropping.connections(), 3);
}

}  // namespace
}  // namespace vg::net

// S3Store against net::testing::TestHttpServer playing S3: what goes on the wire (paths,
// query, headers, signatures that verify), retries with backoff on 5xx and broken connections,
// no retry on 403, S3's XML errors turned into plain messages, multipart uploads (parallel
// parts, completion in order, a 200 that carries an <Error>, abort on failure, an abort kept for
// later), listing with continuation tokens, addressing styles and endpoint prefixes.
#include "storage/s3_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include "net/curl_http_client.h"
#include "net/test_http_server.h"
#include "storage/s3_xml.h"
#include "storage/sigv4.h"

namespace vg::storage {
namespace {

using net::testing::TestHttpServer;
using net::testing::TestReply;
using net::testing::TestRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kAccessKey[] = "AKIDTESTKEY0000001";
constexpr char kSecret[] = "test/Secret+Key=0123456789";
constexpr int64_t kNow = 1369353600000;  // 2013-05-24T00:00:00Z

class ManualClock final : public Clock {
 public:
  int64_t NowUnixMs() const override { return now_ms.load(); }
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms.load()));
  }
  std::atomic<int64_t> now_ms{kNow};
};

std::string Header(const TestRequest& request, std::string_view name) {
  for (const net::HttpHeader& header : request.headers) {
    if (header.name.size() == name.size() &&
        strncasecmp(header.name.c_str(), name.data(), name.size()) == 0) {
      return header.value;
    }
  }
  return {};
}

bool HasHeader(const TestRequest& request, std::string_view name) {
  for (const net::HttpHeader& header : request.headers) {
    if (header.name.size() == name.size() &&
        strncasecmp(header.name.c_str(), name.data(), name.size()) == 0) {
      return true;
    }
  }
  return false;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> Query(const TestRequest& request) {
  std::map<std::string, std::string> query;
  const size_t mark = request.target.find('?');
  if (mark == std::string::npos) return query;
  std::string_view rest = std::string_view(request.target).substr(mark + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    query[PercentDecode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return query;
}

// Verifies a header-signed request as S3 would, from what arrived: the signature over the
// received method, path, query and the headers it names must be the one sent.
::testing::AssertionResult SignatureVerifies(const TestRequest& request) {
  const std::string authorization = Header(request, "Authorization");
  const size_t signed_at = authorization.find("SignedHeaders=");
  const size_t signature_at = authorization.find("Signature=");
  if (authorization.rfind("AWS4-HMAC-SHA256 Credential=", 0) != 0 ||
      signed_at == std::string::npos || signature_at == std::string::npos) {
    return ::testing::AssertionFailure() << "no SigV4 Authorization: " << authorization;
  }
  const std::string signed_headers =
      authorization.substr(signed_at + 14, authorization.find(',', signed_at) - signed_at - 14);
  sigv4::Request to_sign;
  to_sign.method = request.method;
  to_sign.host = Header(request, "Host");
  to_sign.path = request.path;
  for (const auto& [name, value] : Query(request)) to_sign.query.push_back({name, value});
  to_sign.payload_hash = Header(request, "x-amz-content-sha256");
  std::string_view names = signed_headers;
  while (!names.empty()) {
    const size_t semicolon = names.find(';');
    const std::string name(names.substr(0, semicolon));
    if (!HasHeader(request, name)) {
      return ::testing::AssertionFailure() << "signed header " << name << " was not sent";
    }
    if (name != "host" && name != "x-amz-date" && name != "x-amz-content-sha256") {
      to_sign.headers.push_back({name, Header(request, name)});
    }
    if (semicolon == std::string_view::npos) break;
    names.remove_prefix(semicolon + 1);
  }
  sigv4::Credentials credentials;
  credentials.access_key_id = kAccessKey;
  credentials.secret_access_key = kSecret;
  const auto expected =
      sigv4::ComputeHeaderSignature(credentials, to_sign, Header(request, "x-amz-date"));
  if (expected.signed_headers != signed_headers) {
    return ::testing::AssertionFailure()
           << "signed headers " << signed_headers << " vs " << expected.signed_headers;
  }
  if (authorization.substr(signature_at + 10) != expected.signature) {
    return ::testing::AssertionFailure() << "signature mismatch; canonical request:\n"
                                         << expected.canonical_request;
  }
  return ::testing::AssertionSuccess();
}

std::string XmlError(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>1</RequestId></Error>";
}

TestReply Reply(int status, std::string body = {}, std::vector<net::HttpHeader> headers = {}) {
  TestReply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("vg_s3_store_test_" + std::to_string(getpid()) +
                                                  "_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::filesystem::remove_all(dir_);
  }

  // Starts the fake S3; every request is recorded.
  void Serve(std::function<TestReply(const TestRequest&)> handler) {
    server_ = std::make_unique<TestHttpServer>([this, handler](const TestRequest& request) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
      }
      return handler(request);
    });
    ASSERT_TRUE(server_->Start().ok());
  }

  std::vector<TestRequest> Requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<TestRequest> Requests(const std::string& method, const std::string& query_name) {
    std::vector<TestRequest> matching;
    for (const TestRequest& request : Requests()) {
      if (request.method == method &&
          (query_name.empty() || Query(request).count(query_name) != 0)) {
        matching.push_back(request);
      }
    }
    return matching;
  }

  config::S3Settings Settings(const std::string& path_prefix = "") const {
    config::S3Settings settings;
    settings.access_key_id = kAccessKey;
    settings.secret_access_key = kSecret;
    settings.region = "us-east-1";
    settings.bucket = "bucket";
    settings.endpoint = server_ ? server_->Url(path_prefix) : "";
    return settings;
  }

  S3StoreOptions Options() {
    S3StoreOptions options;
    options.expect_continue = false;  // TestHttpServer never answers 100 Continue
    options.first_retry_delay_ms = 100;
    options.sleep = [this](int delay_ms) {
      std::lock_guard<std::mutex> lock(mutex_);
      delays_.push_back(delay_ms);
    };
    return options;
  }

  std::unique_ptr<S3Store> MakeStore(S3StoreOptions options, const std::string& prefix = "") {
    auto store = S3Store::Create(Settings(prefix), std::move(options), &clock_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string WriteFile(const std::string& name, int64_t size) {
    std::string data(static_cast<size_t>(size), '\0');
    std::mt19937 generator(static_cast<unsigned>(size));
    for (char& c : data) c = static_cast<char>(generator());
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << data;
    files_[path] = data;
    return path;
  }

  std::filesystem::path dir_;
  std::unique_ptr<TestHttpServer> server_;
  std::mutex mutex_;
  std::vector<TestRequest> requests_;
  std::vector<int> delays_;
  std::map<std::string, std::string> files_;
  ManualClock clock_;
};

TEST_F(S3StoreTest, SmallFileIsOneSignedStreamedPut) {
  Serve([](const TestRequest&) { return Reply(200, "", {{"ETag", "\"e\""}}); });
  auto store = MakeStore(Options());
  const std::string path = WriteFile("in.mp4", 100000);
  std::vector<int64_t> progress;
  ASSERT_TRUE(store
                  ->Put("videos/a b.mp4", path, "video/mp4",
                        [&](int64_t done, int64_t total) {
                          EXPECT_EQ(total, 100000);
                          progress.push_back(done);
                        })
                  .ok());
  const auto requests = Requests();
  ASSERT_EQ(requests.size(), 1u);
  const TestRequest& put = requests[0];
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/bucket/videos/a%20b.mp4");  // path style: the endpoint is an IP
  EXPECT_EQ(Header(put, "Host"), "127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_EQ(Header(put, "Content-Type"), "video/mp4");
  EXPECT_EQ(Header(put, "Content-Disposition"), "inline; filename=\"a b.mp4\"");
  EXPECT_EQ(Header(put, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(Header(put, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(Header(put, "Content-Length"), "100000");
  EXPECT_FALSE(HasHeader(put, "Transfer-Encoding"));
  EXPECT_THAT(Header(put, "Authorization"),
              StartsWith("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY0000001/20130524/us-east-1/s3/"
                         "aws4_request, SignedHeaders=content-disposition;content-type;host;"
                         "x-amz-content-sha256;x-amz-date, Signature="));
  EXPECT_TRUE(SignatureVerifies(put));
  EXPECT_EQ(put.body, files_[path]);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 100000);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
}

TEST_F(S3StoreTest, ExpectContinueIsSentButNotSigned) {
  Serve([](const TestRequest&) { return Reply(200, "", {{"ETag", "\"e\""}}); });
  S3StoreOptions options = Options();
  options.expect_continue = true;  // costs curl's 1 s wait here: TestHttpServer sends no 100
  auto store = MakeStore(options);
  ASSERT_TRUE(store->Put("videos/x.mp4", WriteFile("x.mp4", 1000), "video/mp4").ok());
  const TestRequest put = Requests().at(0);
  EXPECT_EQ(Header(put, "Expect"), "100-continue");
  EXPECT_THAT(Header(put, "Authorization"), Not(HasSubstr("expect")));
  EXPECT_TRUE(SignatureVerifies(put));
}

TEST_F(S3StoreTest, RetriesOn500And503WithBackoffThenSucceeds) {
  std::atomic<int> count{0};
  Serve([&](const TestRequest&) {
    switch (count++) {
      case 0:
        return Reply(500, XmlError("InternalError", "We encountered an internal error."));
      case 1:
        return Reply(503, XmlError("SlowDown", "Please reduce your request rate."));
      default:
        return Reply(200, "", {{"ETag", "\"e\""}});
    }
  });
  auto store = MakeStore(Options());
  const std::string path = WriteFile("in.mp4", 5000);
  ASSERT_TRUE(store->Put("videos/r.mp4", path, "video/mp4").ok());
  const auto requests = Requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const TestRequest& request : requests) {
    EXPECT_EQ(request.body, files_[path]);  // the whole body each time
    EXPECT_TRUE(SignatureVerifies(request));
  }
  EXPECT_THAT(delays_, ElementsAre(100, 200));
}

TEST_F(S3StoreTest, RetriesABrokenConnectionThenSucceeds) {
  std::atomic<int> count{0};
  Serve([&](const TestRequest&) {
    TestReply reply = Reply(200, "<partial");
    // The first answer claims more body than it sends and closes: a transport error.
    if (count++ == 0) reply.claimed_content_length = 1000;
    return reply;
  });
  auto store = MakeStore(Options());
  auto info = store->Put("videos/n.mp4", WriteFile("n.mp4", 10), "video/mp4");
  EXPECT_TRUE(info.ok()) << info.ToString();
  EXPECT_EQ(Requests().size(), 2u);
  EXPECT_THAT(delays_, ElementsAre(100));
}

TEST_F(S3StoreTest, GivesUpAfterTheConfiguredTries) {
  Serve([](const TestRequest&) {
    return Reply(503, XmlError("ServiceUnavailable", "Reduce your request rate."));
  });
  auto store = MakeStore(Options());
  const Status status = store->Put("videos/g.mp4", WriteFile("g.mp4", 10), "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kStorageUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("PutObject of videos/g.mp4"));
  EXPECT_THAT(status.message(), HasSubstr("HTTP 503 ServiceUnavailable: Reduce your request rate"));
  EXPECT_THAT(status.message(), HasSubstr("after 4 tries"));
  EXPECT_EQ(Requests().size(), 4u);
  EXPECT_THAT(delays_, ElementsAre(100, 200, 400));
}

TEST_F(S3StoreTest, AnUploadToAServerThatStopsReadingFailsWithoutWaitingForTheTimeout) {
  net::testing::SilentListener silent;
  ASSERT_TRUE(silent.Start().ok());
  config::S3Settings settings = Settings();
  settings.endpoint = silent.Url("");
  S3StoreOptions options = Options();
  options.attempts = 1;
  options.upload_stall_timeout_s = 1;
  options.multipart_threshold_bytes = int64_t{1} << 30;  // one PutObject
  auto store = S3Store::Create(settings, std::move(options), &clock_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  const auto start = std::chrono::steady_clock::now();
  // 24 MiB: the socket buffers fill long before the end. Its size allows a 400 s timeout.
  const Status status = (*store)->Put("videos/s.mp4", WriteFile("s.mp4", 24 << 20), "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kStorageUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("stalled"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(S3StoreTest, ForbiddenIsNotRetriedAndSaysWhy) {
  Serve([](const TestRequest&) {
    return Reply(403, XmlError("SignatureDoesNotMatch",
                               "The request signature we calculated does not match the "
                               "signature you provided. Check your key and signing method."));
  });
  auto store = MakeStore(Options());
  const Status status = store->Put("videos/f.mp4", WriteFile("f.mp4", 10), "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kUnauthorized);
  EXPECT_THAT(status.message(),
              HasSubstr("S3 refused the credentials (SignatureDoesNotMatch) for bucket bucket at "
                        "http://127.0.0.1:" +
                        std::to_string(server_->port())));
  EXPECT_THAT(status.message(), Not(HasSubstr(kSecret)));
  EXPECT_EQ(Requests().size(), 1u);
  EXPECT_TRUE(delays_.empty());
}

TEST_F(S3StoreTest, ErrorCodesMapToClearErrors) {
  std::string next_body;
  int next_status = 0;
  std::mutex reply_mutex;
  Serve([&](const TestRequest&) {
    std::lock_guard<std::mutex> lock(reply_mutex);
    return Reply(next_status, next_body);
  });
  auto store = MakeStore(Options());
  auto check = [&](int status, const std::string& code, ErrorCode expected,
                   const std::string& words) {
    {
      std::lock_guard<std::mutex> lock(reply_mutex);
      next_status = status;
      next_body = code.empty() ? "" : XmlError(code, "message from S3");
    }
    const Status result = store->Check();
    EXPECT_EQ(result.code(), expected) << code << ": " << result.ToString();
    EXPECT_THAT(result.message(), HasSubstr(words)) << code;
  };
  check(403, "InvalidAccessKeyId", ErrorCode::kUnauthorized,
        "S3 refused the credentials (InvalidAccessKeyId) for bucket bucket");
  check(403, "AccessDenied", ErrorCode::kForbidden, "S3 denied access to bucket bucket");
  check(404, "NoSuchBucket", ErrorCode::kNotFound, "The bucket bucket does not exist at http://");
  check(400, "AuthorizationHeaderMalformed", ErrorCode::kInvalidArgument, "check AWS_REGION");
  check(403, "RequestTimeTooSkewed", ErrorCode::kStorageUnavailable, "clock");
  check(400, "InvalidArgument", ErrorCode::kStorageUnavailable,
        "HTTP 400 InvalidArgument: message from S3");
  check(502, "", ErrorCode::kStorageUnavailable, "HTTP 502");
}

TEST_F(S3StoreTest, CheckTellsAnUnreachableServerApart) {
  Serve([](const TestRequest&) {
    return Reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  });
  auto store = MakeStore(Options());
  EXPECT_TRUE(store->Check().ok());
  const TestRequest list = Requests().at(0);
  EXPECT_EQ(list.target, "/bucket?list-type=2&max-keys=1&prefix=videos%2F");
  EXPECT_TRUE(SignatureVerifies(list));
  server_->Stop();
  const Status down = store->Check();
  EXPECT_EQ(down.code(), ErrorCode::kStorageUnavailable);
  EXPECT_THAT(down.message(), HasSubstr("cannot reach S3 at " + store->endpoint_for_messages()));
  EXPECT_THAT(down.message(), HasSubstr("connection refused"));
}

// A tiny multipart S3: records parts, checks the Complete body, assembles the object.
class FakeMultipart {
 public:
  TestReply Handle(const TestRequest& request) {
    const auto query = Query(request);
    std::lock_guard<std::mutex> lock(mutex_);
    if (request.method == "POST" && query.count("uploads")) {
      create_headers = request.headers;
      return Reply(200,
                   "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><UploadId>"
                   "up+1/x=</UploadId></InitiateMultipartUploadResult>");
    }
    if (request.method == "PUT" && query.count("partNumber")) {
      EXPECT_EQ(query.at("uploadId"), "up+1/x=");
      const int number = std::stoi(query.at("partNumber"));
      parts[number] = request.body;
      part_headers.push_back(request.headers);
      if (fail_part == number) return Reply(403, XmlError("AccessDenied", "Access Denied"));
      return Reply(200, "", {{"ETag", "\"etag" + std::to_string(number) + "\""}});
    }
    if (request.method == "POST" && query.count("uploadId")) {
      ++completes;
      complete_body = request.body;
      if (complete_errors_left > 0) {
        --complete_errors_left;
        return Reply(200, XmlError(complete_error_code, "failed while assembling"));
      }
      object.clear();
      for (const auto& [number, data] : parts) object += data;
      return Reply(200,
                   "<CompleteMultipartUploadResult><ETag>&quot;x-3&quot;</ETag>"
                   "</CompleteMultipartUploadResult>");
    }
    if (request.method == "DELETE" && query.count("uploadId")) {
      ++aborts;
      return Reply(abort_status, abort_status == 405 ? XmlError("MethodNotAllowed", "no") : "");
    }
    if (request.method == "GET") {
      return Reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
    }
    return Reply(400, XmlError("InvalidRequest", "unexpected " + request.method));
  }

  std::mutex mutex_;
  std::vector<net::HttpHeader> create_headers;
  std::vector<std::vector<net::HttpHeader>> part_headers;
  std::map<int, std::string> parts;
  std::string complete_body;
  std::string object;
  int completes = 0;
  int aborts = 0;
  int fail_part = 0;
  int abort_status = 204;
  int complete_errors_left = 0;
  std::string complete_error_code = "InternalError";
};

S3StoreOptions MultipartOptions(S3StoreOptions options) {
  options.multipart_threshold_bytes = 5LL << 20;
  options.part_size_bytes = 5LL << 20;
  return options;
}

TEST_F(S3StoreTest, MultipartSendsPartsInParallelAndCompletesInOrder) {
  FakeMultipart fake;
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};
  Serve([&](const TestRequest& request) {
    if (Query(request).count("partNumber")) {
      const int now = ++in_flight;
      int seen = most_in_flight.load();
      while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      --in_flight;
    }
    return fake.Handle(request);
  });
  auto store = MakeStore(MultipartOptions(Options()));
  const int64_t size = (12LL << 20) + 7;  // 5 + 5 + 2 MiB and 7 bytes
  const std::string path = WriteFile("big.mp4", size);
  std::vector<int64_t> progress;
  const Status status = store->Put("videos/big.mp4", path, "video/mp4",
                                   [&](int64_t done, int64_t) { progress.push_back(done); });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(fake.parts.size(), 3u);
  EXPECT_EQ(fake.parts[3].size(), (2u << 20) + 7);
  EXPECT_EQ(fake.object, files_[path]);
  EXPECT_GE(most_in_flight.load(), 2);
  EXPECT_EQ(fake.completes, 1);
  EXPECT_THAT(fake.complete_body,
              HasSubstr("<Part><PartNumber>1</PartNumber><ETag>\"etag1\"</ETag></Part><Part>"
                        "<PartNumber>2</PartNumber><ETag>\"etag2\"</ETag></Part><Part><PartNumber>"
                        "3</PartNumber><ETag>\"etag3\"</ETag></Part>"));
  EXPECT_EQ(fake.aborts, 0);
  // Metadata goes on CreateMultipartUpload, never on parts.
  auto find = [](const std::vector<net::HttpHeader>& headers, const std::string& name) {
    for (const auto& header : headers) {
      if (strcasecmp(header.name.c_str(), name.c_str()) == 0) return header.value;
    }
    return std::string();
  };
  EXPECT_EQ(find(fake.create_headers, "Content-Type"), "video/mp4");
  EXPECT_EQ(find(fake.create_headers, "Content-Disposition"), "inline; filename=\"big.mp4\"");
  for (const auto& headers : fake.part_headers) {
    EXPECT_EQ(find(headers, "Content-Type"), "");
    EXPECT_EQ(find(headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  }
  for (const TestRequest& request : Requests()) EXPECT_TRUE(SignatureVerifies(request));
  // The Complete body is signed by its hash.
  const auto completes = Requests("POST", "uploadId");
  ASSERT_EQ(completes.size(), 1u);
  EXPECT_EQ(Header(completes[0], "x-amz-content-sha256"), sigv4::Sha256Hex(fake.complete_body));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), size);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
}

TEST_F(S3StoreTest, CompleteAnswering200WithAnErrorIsRetried) {
  FakeMultipart fake;
  fake.complete_errors_left = 1;
  Serve([&](const TestRequest& request) { return fake.Handle(request); });
  auto store = MakeStore(MultipartOptions(Options()));
  const std::string path = WriteFile("c.mp4", 6LL << 20);
  const Status status = store->Put("videos/c.mp4", path, "video/mp4");
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(fake.completes, 2);
  EXPECT_EQ(fake.object, files_[path]);
  EXPECT_THAT(delays_, ElementsAre(100));
}

TEST_F(S3StoreTest, CompleteAnswering200WithAFinalErrorFailsAndAborts) {
  FakeMultipart fake;
  fake.complete_errors_left = 100;
  fake.complete_error_code = "InvalidPart";
  Serve([&](const TestRequest& request) { return fake.Handle(request); });
  auto store = MakeStore(MultipartOptions(Options()));
  const Status status = store->Put("videos/c.mp4", WriteFile("c.mp4", 6LL << 20), "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kStorageUnavailable);
  EXPECT_THAT(status.message(),
              HasSubstr("S3 CompleteMultipartUpload of videos/c.mp4 in bucket bucket at http://"));
  EXPECT_THAT(status.message(), HasSubstr("InvalidPart: failed while assembling"));
  EXPECT_EQ(fake.completes, 1);
  EXPECT_EQ(fake.aborts, 1);
  EXPECT_TRUE(fake.object.empty());
}

TEST_F(S3StoreTest, PartFailureAbortsTheUpload) {
  FakeMultipart fake;
  fake.fail_part = 2;
  Serve([&](const TestRequest& request) { return fake.Handle(request); });
  auto store = MakeStore(MultipartOptions(Options()));
  const Status status = store->Put("videos/p.mp4", WriteFile("p.mp4", 16LL << 20), "video/mp4");
  EXPECT_EQ(status.code(), ErrorCode::kForbidden);
  EXPECT_THAT(status.message(), HasSubstr("UploadPart 2/4 of videos/p.mp4"));
  EXPECT_EQ(fake.completes, 0);
  EXPECT_EQ(fake.aborts, 1);
  const auto aborts = Requests("DELETE", "uploadId");
  ASSERT_EQ(aborts.size(), 1u);
  EXPECT_EQ(aborts[0].target, "/bucket/videos/p.mp4?uploadId=up%2B1%2Fx%3D");
  EXPECT_TRUE(SignatureVerifies(aborts[0]));
  EXPECT_EQ(store->pending_aborts(), 0u);
}

TEST_F(S3StoreTest, AbortAnswered405IsTolerated) {
  FakeMultipart fake;
  fake.fail_part = 1;
  fake.abort_status = 405;  // s3rver 3.7.1
  Serve([&](const TestRequest& request) { return fake.Handle(request); });
  auto store = MakeStore(MultipartOptions(Options()));
  EXPECT_FALSE(store->Put("videos/q.mp4", WriteFile("q.mp4", 6LL << 20), "video/mp4").ok());
  EXPECT_EQ(fake.aborts, 1);
  EXPECT_EQ(store->pending_aborts(), 0u);
}

TEST_F(S3StoreTest, AnAbortThatCannotBeSentIsKeptAndSentLater) {
  FakeMultipart fake;
  fake.fail_part = 1;
  fake.abort_status = 503;
  Serve([&](const TestRequest& request) { return fake.Handle(request); });
  auto store = MakeStore(MultipartOptions(Options()));
  EXPECT_FALSE(store->Put("videos/k.mp4", WriteFile("k.mp4", 6LL << 20), "video/mp4").ok());
  EXPECT_EQ(fake.aborts, 4);
  EXPECT_EQ(store->pending_aborts(), 1u);
  {
    std::lock_guard<std::mutex> lock(fake.mutex_);
    fake.abort_status = 204;
  }
  EXPECT_TRUE(store->Check().ok());
  EXPECT_EQ(fake.aborts, 5);
  EXPECT_EQ(store->pending_aborts(), 0u);
}

TEST_F(S3StoreTest, HeadDeleteAndMissingObjects) {
  Serve([](const TestRequest& request) {
    if (request.method == "HEAD" && request.path == "/bucket/videos/h.mp4") {
      return Reply(
          200, "",
          {{"Last-Modified", "Fri, 24 May 2013 00:00:00 GMT"}, {"Content-Type", "video/mp4"}});
    }
    if (request.method == "HEAD") return Reply(404);
    if (request.method == "DELETE" && request.path == "/bucket/videos/gone.mp4") {
      return Reply(404, XmlError("NoSuchKey", "The specified key does not exist."));
    }
    if (request.method == "DELETE") return Reply(204);
    return Reply(400);
  });
  auto store = MakeStore(Options());
  auto info = store->Head("videos/h.mp4");
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->key, "videos/h.mp4");
  EXPECT_EQ(info->modified_unix_ms, 1369353600000);
  auto missing = store->Head("videos/none.mp4");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store->Delete("videos/h.mp4").ok());
  EXPECT_TRUE(store->Delete("videos/gone.mp4").ok());
  EXPECT_EQ(store->Put("", "/nonexistent", "video/mp4").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->Put("videos/x.mp4", (dir_ / "nonexistent").string(), "video/mp4").code(),
            ErrorCode::kNotFound);
  for (const TestRequest& request : Requests()) EXPECT_TRUE(SignatureVerifies(request));
}

TEST_F(S3StoreTest, ListOlderThanFollowsContinuationTokensUnderTheVideosPrefix) {
  Serve([](const TestRequest& request) {
    const auto query = Query(request);
    EXPECT_EQ(query.at("list-type"), "2");
    EXPECT_EQ(query.at("prefix"), "videos/");
    EXPECT_EQ(query.at("max-keys"), "2");
    const std::string token =
        query.count("continuation-token") ? query.at("continuation-token") : "";
    auto entry = [](const std::string& key, const std::string& time, int size) {
      return "<Contents><Key>" + key + "</Key><LastModified>" + time + "</LastModified><Size>" +
             std::to_string(size) + "</Size></Contents>";
    };
    if (token.empty()) {
      return Reply(200,
                   "<ListBucketResult><IsTruncated>true</IsTruncated>"
                   "<NextContinuationToken>page+2/=</NextContinuationToken>" +
                       entry("videos/old.mp4", "2013-05-20T00:00:00.000Z", 10) +
                       entry("videos/new.mp4", "2013-05-24T00:00:00.000Z", 20) +
                       "</ListBucketResult>");
    }
    EXPECT_EQ(token, "page+2/=");
    return Reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated>" +
                          entry("videos/old.jpg", "2013-05-21T00:00:00.000Z", 5) +
                          entry("other/old.mp4", "2013-05-01T00:00:00.000Z", 7) +
                          "</ListBucketResult>");
  });
  S3StoreOptions options = Options();
  options.list_page_size = 2;
  auto store = MakeStore(options);
  auto older = store->ListOlderThan(kNow - 3600000);
  ASSERT_TRUE(older.ok()) << older.error().ToString();
  ASSERT_EQ(older->size(), 2u);
  EXPECT_EQ((*older)[0].key, "videos/old.mp4");
  EXPECT_EQ((*older)[0].size_bytes, 10);
  EXPECT_EQ((*older)[0].modified_unix_ms, kNow - 4 * 86400000LL);
  EXPECT_EQ((*older)[1].key, "videos/old.jpg");
  EXPECT_EQ(Requests().size(), 2u);
  for (const TestRequest& request : Requests()) EXPECT_TRUE(SignatureVerifies(request));

  // BytesUsed: the same listing, cached.
  auto used = store->BytesUsed();
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 35);
  EXPECT_EQ(store->BytesUsed().value(), 35);
  EXPECT_EQ(Requests().size(), 4u);
  clock_.now_ms += 301000;
  EXPECT_EQ(store->BytesUsed().value(), 35);
  EXPECT_EQ(Requests().size(), 6u);
}

TEST_F(S3StoreTest, EndpointPathPrefixIsPartOfEveryPathAndSignature) {
  Serve([](const TestRequest&) { return Reply(200, "", {{"ETag", "\"e\""}}); });
  auto store = MakeStore(Options(), "/storage/v1/s3");
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->path_style());
  ASSERT_TRUE(store->Put("videos/j.mp4", WriteFile("j.mp4", 10), "video/mp4").ok());
  const TestRequest put = Requests().at(0);
  EXPECT_EQ(put.target, "/storage/v1/s3/bucket/videos/j.mp4");
  EXPECT_TRUE(SignatureVerifies(put));
  auto url = store->Sign("videos/j.mp4", 60);
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(url->url, StartsWith(server_->Url("/storage/v1/s3/bucket/videos/j.mp4?")));
}

TEST(S3StoreAddressingTest, VirtualHostedAndPathStyleUrls) {
  auto make = [](const std::string& endpoint, const std::string& bucket, bool path_style) {
    config::S3Settings settings;
    settings.access_key_id = kAccessKey;
    settings.secret_access_key = kSecret;
    settings.region = "eu-west-1";
    settings.bucket = bucket;
    settings.endpoint = endpoint;
    settings.force_path_style = path_style;
    auto store = S3Store::Create(settings);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return std::move(store).value();
  };
  EXPECT_EQ(make("", "my-bucket", false)->ObjectUrl("videos/a b+c.mp4"),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/videos/a%20b%2Bc.mp4");
  EXPECT_EQ(make("", "my-bucket", true)->ObjectUrl("videos/a.mp4"),
            "https://s3.eu-west-1.amazonaws.com/my-bucket/videos/a.mp4");
  // Dots in a bucket name would break the TLS host name: path style.
  EXPECT_EQ(make("", "my.bucket", false)->ObjectUrl("videos/a.mp4"),
            "https://s3.eu-west-1.amazonaws.com/my.bucket/videos/a.mp4");
  EXPECT_EQ(make("https://acct.r2.cloudflarestorage.com/", "media", false)->ObjectUrl("v/a.mp4"),
            "https://media.acct.r2.cloudflarestorage.com/v/a.mp4");
  EXPECT_EQ(make("HTTPS://Minio.Example:443", "media", true)->ObjectUrl("v/a.mp4"),
            "https://minio.example/media/v/a.mp4");
  EXPECT_EQ(make("http://minio.example:9000", "media", false)->ObjectUrl("v/a.mp4"),
            "http://media.minio.example:9000/v/a.mp4");
  EXPECT_EQ(make("http://localhost:9000", "media", false)->ObjectUrl("v/a.mp4"),
            "http://localhost:9000/media/v/a.mp4");
  EXPECT_EQ(make("http://[::1]:9000", "media", false)->ObjectUrl("v/a.mp4"),
            "http://[::1]:9000/media/v/a.mp4");
  EXPECT_EQ(make("https://ref.storage.supabase.co/storage/v1/s3/", "videos", true)
                ->ObjectUrl("videos/odd name (1)+ü.mp4"),
            "https://ref.storage.supabase.co/storage/v1/s3/videos/videos/"
            "odd%20name%20%281%29%2B%C3%BC.mp4");

  auto store = make("", "my-bucket", false);
  auto url = store->Sign("videos/a.mp4", 3600);
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(url->url, StartsWith("https://my-bucket.s3.eu-west-1.amazonaws.com/videos/a.mp4?"
                                   "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                                   "AKIDTESTKEY0000001%2F"));
  EXPECT_THAT(url->url, HasSubstr("%2Feu-west-1%2Fs3%2Faws4_request&"));
}

TEST(S3StoreSignTest, TtlIsCappedAtSevenDaysAndDispositionIsSigned) {
  ManualClock clock;
  config::S3Settings settings;
  settings.access_key_id = kAccessKey;
  settings.secret_access_key = kSecret;
  settings.bucket = "bucket";
  settings.endpoint = "http://127.0.0.1:1";  // never contacted
  auto store = S3Store::Create(settings, {}, &clock).value();
  auto url = store->Sign("videos/a.mp4", 30 * 86400);
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(url->url, HasSubstr("X-Amz-Date=20130524T000000Z&X-Amz-Expires=604800&"));
  EXPECT_EQ(url->expires_unix_s, kNow / 1000 + 604800);
  EXPECT_EQ(store->Sign("videos/a.mp4", 0).error().code(), ErrorCode::kInvalidArgument);
  auto download = store->SignWithDisposition("videos/a.mp4", 60, "attachment; filename=\"a.mp4\"");
  ASSERT_TRUE(download.ok());
  EXPECT_THAT(download->url,
              HasSubstr("&response-content-disposition=attachment%3B%20filename%3D%22a.mp4%22"
                        "&X-Amz-Signature="));
  EXPECT_NE(download->url.substr(download->url.size() - 64), url->url.substr(url->url.size() - 64));
}

TEST(S3StoreCreateTest, BadSettingsAreReportedTogether) {
  config::S3Settings settings;
  settings.endpoint = "ftp://example.com";
  auto store = S3Store::Create(settings);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), ErrorCode::kInvalidArgument);
  for (const char* problem : {"AWS_ACCESS_KEY_ID is not set", "AWS_SECRET_ACCESS_KEY is not set",
                              "AWS_S3_BUCKET is not set", "S3_ENDPOINT must start with http"}) {
    EXPECT_THAT(store.error().message(), HasSubstr(problem));
  }
  settings.access_key_id = "a";
  settings.secret_access_key = "b";
  settings.bucket = "c";
  settings.endpoint = "https://user:pw@example.com/x?y=1";
  store = S3Store::Create(settings);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error().message(), HasSubstr("must not contain user info"));
  EXPECT_THAT(store.error().message(), HasSubstr("must not contain a query"));
  settings.endpoint = "http://example.com:99999";
  EXPECT_THAT(S3Store::Create(settings).error().message(), HasSubstr("invalid port"));
}

TEST_F(S3StoreTest, LogsNeverShowTheSecretOrTheWholeAccessKey) {
  Serve([](const TestRequest&) { return Reply(403, XmlError("SignatureDoesNotMatch", "no")); });
  ::testing::internal::CaptureStderr();
  auto store = MakeStore(Options());
  EXPECT_FALSE(store->Put("videos/l.mp4", WriteFile("l.mp4", 10), "video/mp4").ok());
  auto url = store->Sign("videos/l.mp4", 60);
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(logs, HasSubstr("access_key=AKID…"));
  EXPECT_THAT(logs, HasSubstr("event=storage.s3.failed"));
  EXPECT_THAT(logs, Not(HasSubstr(kSecret)));
  EXPECT_THAT(logs, Not(HasSubstr(kAccessKey)));
  EXPECT_THAT(logs, Not(HasSubstr("X-Amz-Signature")));
}

}  // namespace
}  // namespace vg::storage

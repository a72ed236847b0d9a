// A fuzz-style test: more than 1,000 malformed or hostile requests (bad JSON, invalid UTF-8,
// deep nesting, huge headers, oversized and chunked bodies, wrong methods, path traversal in
// /files, garbage request lines, bad versions and chunk sizes, control bytes, long URLs, slow
// bodies). Each must get its documented answer (malformed HTTP too: 400, 414 or 431 with the
// error JSON and Connection: close), the server must stay up, and its memory (this process's
// RSS: the server runs in-process) must stay flat. Also pipelined requests before a bad one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "api_test_util.h"

namespace vg::api::testing {
namespace {

int64_t RssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

struct Case {
  std::string name;
  std::string raw;
  std::vector<int> statuses;  // accepted answers
  std::string error;          // expected "error" field when the answer has a body
};

std::string Post(const std::string& target, const std::string& body,
                 const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra +
         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}
std::string Req(const std::string& method, const std::string& target,
                const std::string& extra = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + "\r\n";
}

std::vector<Case> Cases(int i) {
  std::string n = std::to_string(i);
  std::string deep(2000 + i % 7, '[');
  std::string huge_header = "X-Big: " + std::string(20000 + i % 100, 'a') + "\r\n";
  std::string many_headers;
  for (int k = 0; k < 90; ++k) {
    many_headers += "X-F" + std::to_string(k) + ": " + std::string(1000, 'f') + "\r\n";
  }
  return {
      {"bad json", Post("/api/video/generate", "{\"template\": {" + n), {400}, "invalid_json"},
      {"truncated",
       Post("/api/video/generate", R"({"template":{"tracks":[)"),
       {400},
       "invalid_json"},
      {"invalid utf-8",
       Post("/api/video/generate", "{\"template\":\"\xff\xfe" + n + "\"}"),
       {400},
       "invalid_json"},
      {"deep nesting", Post("/api/video/validate", deep), {400}, "invalid_json"},
      {"not an object", Post("/api/video/generate", "\"" + n + "\""), {400}, "invalid_json"},
      {"wrong types",
       Post("/api/video/generate", R"({"template":)" + n + "}"),
       {400},
       "invalid_argument"},
      {"bad template",
       Post("/api/video/validate", R"({"template":{"tracks":[{"type":"nope"}]}})"),
       {422},
       "invalid_template"},
      {"wrong method", Req("PATCH", "/api/video/generate"), {405}, "method_not_allowed"},
      {"wrong method 2", Req("POST", "/api/video/status/" + n), {405}, "method_not_allowed"},
      {"unknown path", Req("GET", "/api/video/" + n), {404}, "not_found"},
      {"traversal",
       Req("GET", "/files/../../etc/passwd?exp=9999999999&sig=" + n),
       {403},
       "forbidden"},
      {"encoded traversal",
       Req("GET", "/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd?exp=9999999999&sig=00"),
       {403},
       "forbidden"},
      {"unsigned file", Req("GET", "/files/videos/" + n + ".mp4"), {403}, "forbidden"},
      {"bad escape id", Req("GET", "/api/video/status/%ff%fe%" + n), {404}, "not_found"},
      {"oversized",
       "POST /api/video/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{",
       {413},
       "payload_too_large"},
      {"huge header", Req("GET", "/api/video/status/x", huge_header), {431}, "headers_too_large"},
      {"header over 64 KiB",
       Req("GET", "/health", "X-Huge: " + std::string(70000 + i % 100, 'h') + "\r\n"),
       {431},
       "headers_too_large"},
      {"headers over 80 KiB", Req("GET", "/health", many_headers), {431}, "headers_too_large"},
      {"header name too long",
       Req("GET", "/health", std::string(1500, 'N') + ": 1\r\n"),
       {431},
       "headers_too_large"},
      {"long url", Req("GET", "/files/" + std::string(9000 + i % 10, 'u')), {414}, "uri_too_long"},
      {"garbage line", "\x01\x02 GARBAGE " + n + "\r\n\r\n", {400}, "invalid_argument"},
      {"bad version", "GET /health HTTP/1." + n + "x\r\n\r\n", {400}, "invalid_argument"},
      {"bad content-length",
       "POST /api/video/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
       {400},
       "invalid_argument"},
      {"control bytes in a header",
       Post("/api/video/generate", "{}", "Idempotency-Key: k\x01\x02\r\n"),
       {400},
       "invalid_argument"},
      {"bad chunk size",
       "POST /api/video/validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "zz\r\n{}\r\n0\r\n\r\n",
       {400},
       "invalid_argument"},
      {"long idempotency key",
       Post("/api/video/generate", "{}", "Idempotency-Key: " + std::string(300, 'k') + "\r\n"),
       {400},
       "invalid_argument"},
  };
}

TEST_F(ApiTest, FuzzHostileRequests) {
  config_.max_body_bytes = 65536;
  StartServer();
  int sent = 0;
  int64_t rss_after_warmup = 0;
  for (int round = 0; sent < 1200; ++round) {
    for (const Case& c : Cases(round)) {
      HttpResponse r = SendRaw(port_, c.raw, 10000);
      ++sent;
      bool expected = std::find(c.statuses.begin(), c.statuses.end(), r.status) != c.statuses.end();
      EXPECT_TRUE(expected) << c.name << ": got " << r.status << " " << r.body;
      if (r.status != 0 && !c.error.empty()) {
        nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
        EXPECT_EQ(doc.value("error", ""), c.error) << c.name << ": " << r.body;
        EXPECT_TRUE(doc["message"].is_string()) << c.name;
        EXPECT_EQ(r.Header("content-type"), "application/json; charset=utf-8") << c.name;
      }
      if (r.status == 400 || r.status == 414 || r.status == 431) {
        EXPECT_EQ(r.Header("connection"), "close") << c.name;
      }
      if (!expected) return;  // one failure explains the rest
    }
    if (round == 5) rss_after_warmup = RssKb();
  }
  // Slow bodies: sent in pieces with pauses, still answered correctly.
  for (int i = 0; i < 5; ++i) {
    std::string body = "{\"template\": oops}";
    std::string head =
        "POST /api/video/generate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";
    HttpResponse r = SendRaw(port_, head + body, 10000, 7, 40);
    EXPECT_EQ(r.status, 400);
    ++sent;
  }
  EXPECT_GE(sent, 1000);
  // Still up and serving, memory flat.
  EXPECT_EQ(Get("/health").status, 200);
  std::string id = Submit();
  EXPECT_EQ(Get("/api/video/status/" + id).status, 200);
  int64_t rss_end = RssKb();
  std::printf("fuzz: %d requests, RSS %lld kB after warm-up, %lld kB at the end\n", sent,
              static_cast<long long>(rss_after_warmup), static_cast<long long>(rss_end));
  EXPECT_LT(rss_end - rss_after_warmup, 16 * 1024)
      << "RSS grew from " << rss_after_warmup << " kB to " << rss_end << " kB";
}

// Sends `raw` on one connection and reads everything until the server closes it.
std::string Exchange(int port, const std::string& raw, int timeout_ms = 10000) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string data;
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(raw.size())) {
    if (fd >= 0) ::close(fd);
    return data;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[16384];
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) {
      data += "<timeout>";
      break;
    }
    ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) break;
    data.append(buf, static_cast<size_t>(got));
  }
  ::close(fd);
  return data;
}

// The status codes of the responses in `data`, in order.
std::vector<int> Statuses(const std::string& data) {
  std::vector<int> out;
  for (size_t at = data.find("HTTP/1.1 "); at != std::string::npos;
       at = data.find("HTTP/1.1 ", at + 1)) {
    out.push_back(std::atoi(data.c_str() + at + 9));
  }
  return out;
}

// Keep-alive clients that pipeline: the requests before a bad one are answered first, in
// order, then the bad one gets its 400 and the connection closes; nothing after it is run.
TEST_F(ApiTest, PipelinedRequestsBeforeABadOneAreAnsweredFirstThenTheBadOne) {
  StartServer();
  const std::string health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string generate =
      "POST /api/video/generate HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(GenerateBody().size()) + "\r\n\r\n" + GenerateBody();
  // All in one write.
  std::string data = Exchange(port_, health + health +
                                         "\x01"
                                         "BAD\r\n\r\n" +
                                         generate);
  EXPECT_EQ(Statuses(data), (std::vector<int>{200, 200, 400})) << data;
  EXPECT_NE(data.find("\"error\":\"invalid_argument\""), std::string::npos) << data;
  EXPECT_EQ(data.find("<timeout>"), std::string::npos) << "the connection was left open";
  // The bad request's headers start after a good request's body, with many requests in
  // flight; the one after it is never run (no job queued).
  std::string many;
  for (int i = 0; i < 6; ++i) many += health;
  data = Exchange(port_, many + "GET /health HTTP/1.1\r\nX: a\x01b\r\n\r\n" + generate);
  std::vector<int> expected(6, 200);
  expected.push_back(400);
  EXPECT_EQ(Statuses(data), expected) << data;
  auto counts = producer_->GetCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->waiting + counts->prioritized, 0);
  // The same with the bad bytes arriving in a later read than the good request.
  HttpResponse slow = SendRaw(
      port_, "GET /health HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(100, 'v') + "\x02\r\n\r\n",
      10000, 20, 5);
  EXPECT_EQ(slow.status, 400);
  // A large /files download (sent with sendfile, in many writes) pipelined before a bad
  // request: the whole file goes out first, then the 400.
  const std::string big_path = dir_ + "/big.mp4";
  std::string content(8 << 20, '\0');
  for (size_t k = 0; k < content.size(); ++k) content[k] = static_cast<char>(k * 131 % 251);
  { std::ofstream(big_path, std::ios::binary) << content; }
  ASSERT_TRUE(store_->Put("videos/big.mp4", big_path, "video/mp4").ok());
  auto signed_url = store_->Sign("videos/big.mp4", 600);
  ASSERT_TRUE(signed_url.ok());
  const std::string target = signed_url->url.substr(signed_url->url.find("/files/"));
  data =
      Exchange(port_, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nX: \x01" +
                          "\x02\r\n\r\n");
  EXPECT_EQ(Statuses(data.substr(0, 64)), (std::vector<int>{200}));
  const size_t body_at = data.find("\r\n\r\n") + 4;
  ASSERT_GT(data.size(), body_at + content.size());
  EXPECT_TRUE(data.compare(body_at, content.size(), content) == 0) << "the download was garbled";
  EXPECT_EQ(data.substr(body_at + content.size(), 24), "HTTP/1.1 400 Bad Request");

  // Answers to malformed requests are counted like any other.
  const std::string metrics = Get("/metrics").body;
  EXPECT_NE(metrics.find(R"(route="malformed",status="400"})"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace vg::api::testing

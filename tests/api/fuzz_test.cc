// A fuzz-style test: more than 1,000 malformed or hostile requests (bad JSON, invalid UTF-8,
// deep nesting, huge headers, oversized and chunked bodies, wrong methods, path traversal in
// /files, garbage request lines, slow bodies). Each must get its documented answer, the server
// must stay up, and its memory (this process's RSS: the server runs in-process) must stay flat.
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
  std::vector<int> statuses;  // accepted answers; 0 = the connection is closed unanswered
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
      {"huge header", Req("GET", "/api/video/status/x", huge_header), {400}, "invalid_argument"},
      {"garbage line", "\x01\x02 GARBAGE " + n + "\r\n\r\n", {0, 400}, ""},
      {"bad content-length",
       "POST /api/video/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
       {0, 400},
       ""},
      {"control bytes in a header",
       Post("/api/video/generate", "{}", "Idempotency-Key: \x01\x02\r\n"),
       {0, 400},
       ""},
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

}  // namespace
}  // namespace vg::api::testing

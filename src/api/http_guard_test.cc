// RequestScanner unit tests: where complete requests end (pipelined, split across reads), which
// answer each kind of bad request gets, the limits, the skipped oversized body, and Upgrade.
#include "api/http_guard.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vg::api {
namespace {

constexpr char kGet[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

RequestScanner::Verdict Feed(RequestScanner& scanner, const std::string& bytes) {
  return scanner.Feed(bytes.data(), bytes.size());
}

TEST(RequestScannerTest, GoodRequestsPassAndTheirEndsAreKnown) {
  RequestScanner scanner({});
  const std::string one = kGet;
  auto verdict = Feed(scanner, one + one);
  EXPECT_FALSE(verdict.rejection);
  ASSERT_TRUE(verdict.last_request_end);
  EXPECT_EQ(*verdict.last_request_end, 2 * one.size());
  // A request split over three reads: only the last one ends it.
  const std::string post = "POST /api/video/generate HTTP/1.1\r\nContent-Length: 4\r\n\r\n{\"a\"";
  EXPECT_FALSE(Feed(scanner, post.substr(0, 10)).last_request_end);
  EXPECT_FALSE(Feed(scanner, post.substr(10, 40)).last_request_end);
  verdict = Feed(scanner, post.substr(50));
  EXPECT_FALSE(verdict.rejection);
  EXPECT_EQ(verdict.last_request_end, post.size() - 50);
}

TEST(RequestScannerTest, ABadRequestAfterGoodOnesIsFoundWithTheCleanPrefix) {
  RequestScanner scanner({});
  const std::string one = kGet;
  auto verdict = Feed(scanner, one + "\x01\x02 GARBAGE\r\n\r\n");
  ASSERT_TRUE(verdict.rejection);
  EXPECT_EQ(verdict.rejection->status, 400);
  EXPECT_EQ(verdict.rejection->error, "invalid_argument");
  EXPECT_EQ(verdict.last_request_end, one.size());
  // Failed for good: later bytes are not scanned.
  verdict = Feed(scanner, one);
  EXPECT_FALSE(verdict.rejection);
  EXPECT_FALSE(verdict.last_request_end);
}

TEST(RequestScannerTest, EachKindOfBadRequestGetsItsAnswer) {
  struct Case {
    std::string bytes;
    int status;
    std::string error;
  };
  const std::string long_value(70000, 'a');
  std::string many_fields;
  for (int i = 0; i < 101; ++i) many_fields += "X-F" + std::to_string(i) + ": 1\r\n";
  const std::vector<Case> cases = {
      {"\x01\x02 GARBAGE 1\r\n\r\n", 400, "invalid_argument"},
      {"GET / HTTP/1.1\r\nBad: \x01\x02\r\n\r\n", 400, "invalid_argument"},
      {"GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "invalid_argument"},
      {"GET / HTTP/9.9.9\r\n\r\n", 400, "invalid_argument"},
      {"GET /" + std::string(9000, 'u') + " HTTP/1.1\r\n\r\n", 414, "uri_too_long"},
      {"GET / HTTP/1.1\r\nX-Big: " + long_value + "\r\n\r\n", 431, "headers_too_large"},
      {"GET / HTTP/1.1\r\n" + std::string(2000, 'N') + ": 1\r\n\r\n", 431, "headers_too_large"},
      {"GET / HTTP/1.1\r\n" + many_fields + "\r\n", 431, "headers_too_large"},
      {"GET / HTTP/1.1\r\nA: " + std::string(9000, 'a') + "\r\nB: " + std::string(9000, 'b') +
           "\r\n\r\n",
       431, "headers_too_large"},
  };
  for (const Case& c : cases) {
    RequestScanner scanner({});
    auto verdict = Feed(scanner, c.bytes);
    ASSERT_TRUE(verdict.rejection) << c.bytes.substr(0, 40);
    EXPECT_EQ(verdict.rejection->status, c.status) << c.bytes.substr(0, 40);
    EXPECT_EQ(verdict.rejection->error, c.error) << c.bytes.substr(0, 40);
    EXPECT_FALSE(verdict.rejection->message.empty());
  }
}

TEST(RequestScannerTest, TheAnswerIsAClosingHttpResponseWithTheErrorJson) {
  RequestScanner scanner({});
  auto verdict = Feed(scanner, "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n");
  ASSERT_TRUE(verdict.rejection);
  const std::string response = verdict.rejection->Response();
  EXPECT_EQ(response.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nContent-Type: application/json; charset=utf-8\r\n"),
            std::string::npos);
  const std::string body = response.substr(response.find("\r\n\r\n") + 4);
  EXPECT_NE(response.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  nlohmann::json doc = nlohmann::json::parse(body);
  EXPECT_EQ(doc["error"], "invalid_argument");
  EXPECT_TRUE(doc["message"].is_string());
}

TEST(RequestScannerTest, AnOversizedBodyIsSkippedLikeTheServersParserDoes) {
  RequestLimits limits;
  limits.max_body_bytes = 10;
  RequestScanner scanner(limits);
  const std::string head = "POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n";
  auto verdict = Feed(scanner, head);
  EXPECT_FALSE(verdict.rejection);
  EXPECT_EQ(verdict.last_request_end, head.size());
}

TEST(RequestScannerTest, AfterAnUpgradeTheRestIsNotScanned) {
  RequestScanner scanner({});
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  auto verdict = Feed(scanner, upgrade + "\x81\x85" "binary frame bytes");
  EXPECT_FALSE(verdict.rejection);
  EXPECT_EQ(verdict.last_request_end, upgrade.size());
  EXPECT_TRUE(scanner.upgraded());
  EXPECT_FALSE(Feed(scanner, "\x01\x02\x03").rejection);
}

}  // namespace
}  // namespace vg::api

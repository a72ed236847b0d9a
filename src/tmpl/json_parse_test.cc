// ParseJson: syntax errors say where, limits are enforced while parsing (a hostile document is
// refused quickly and without deep recursion), invalid UTF-8 is refused.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tmpl/load.h"

namespace vg::tmpl {
namespace {

using nlohmann::json;

TEST(ParseJsonTest, ParsesValidDocument) {
  auto parsed =
      ParseJson(R"json({"a": [1, 2.5, "x", true, null], "b": {"c": -3}})json", "template", {});
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ((*parsed)["a"][0], 1);
  EXPECT_EQ((*parsed)["a"][1], 2.5);
  EXPECT_EQ((*parsed)["a"][2], "x");
  EXPECT_EQ((*parsed)["b"]["c"], -3);
}

TEST(ParseJsonTest, SyntaxErrorNamesLineAndColumn) {
  auto parsed = ParseJson("{\n  \"a\": 1,\n  \"b\": 2,\n}", "template", {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidJson);
  EXPECT_EQ(parsed.error().message().rfind(
                "the template is not valid JSON: syntax error at line 4, column 1: ", 0),
            0u)
      << parsed.error().message();
}

TEST(ParseJsonTest, ColumnCountsCharactersNotBytes) {
  // "é" is two bytes; the stray 'x' is the 8th character (9th byte) of line 2.
  auto parsed = ParseJson("{\n\"é\": 1 x}", "input", {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message().find("the input is not valid JSON: syntax error at line 2, "
                                          "column 8"),
            std::string::npos)
      << parsed.error().message();
}

TEST(ParseJsonTest, RefusesTrailingGarbageAndEmptyText) {
  for (std::string_view text : {"{} x", "", "   ", "{\"a\":}", "[1,]", "{'a':1}"}) {
    auto parsed = ParseJson(text, "template", {});
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidJson) << text;
  }
}

TEST(ParseJsonTest, DuplicateKeysLastWins) {
  auto parsed = ParseJson(R"json({"a": 1, "a": 2})json", "template", {});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)["a"], 2);
}

TEST(ParseJsonTest, RefusesInvalidUtf8) {
  for (std::string text :
       {std::string("{\"a\": \"\xff\"}"), std::string("{\"a\": \"\xc0\xaf\"}"),
        std::string("{\"a\": \"\xe2\x82\"}"), std::string("{\"a\": \"\xed\xa0\x80\"}")}) {
    auto parsed = ParseJson(text, "template", {});
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidJson);
    EXPECT_NE(parsed.error().message().find("invalid UTF-8"), std::string::npos)
        << parsed.error().message();
    // The message itself must be valid UTF-8 (it goes into JSON error documents).
    EXPECT_NO_THROW((void)json(parsed.error().message()).dump());
  }
}

TEST(ParseJsonTest, HugeBadTokenGivesShortMessage) {
  std::string text = "{\"a\": " + std::string(100000, 'x') + "}";
  auto parsed = ParseJson(text, "template", {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_LT(parsed.error().message().size(), 300u);
}

TEST(ParseJsonTest, SizeLimitNamesTheLimit) {
  std::string text = "{}" + std::string(static_cast<size_t>(1.2 * 1024 * 1024), ' ');
  auto parsed = ParseJson(text, "template", {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(parsed.error().message(),
            "template is 1.2 MiB; the limit is 1 MiB (LIMIT_TEMPLATE_BYTES)");

  Limits small;
  small.template_bytes = 1000;
  parsed = ParseJson(std::string(1001, ' '), "template", small);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message(),
            "template is 1001 bytes; the limit is 1000 bytes (LIMIT_TEMPLATE_BYTES)");
  EXPECT_TRUE(ParseJson(std::string(998, ' ') + "{}", "template", small).ok());
}

std::string Nested(int depth, char open, char close) {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(ParseJsonTest, DepthLimitIsExact) {
  EXPECT_TRUE(ParseJson(Nested(kMaxJsonDepth, '[', ']'), "template", {}).ok());
  auto parsed = ParseJson(Nested(kMaxJsonDepth + 1, '[', ']'), "template", {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(parsed.error().message(),
            "the template nests arrays and objects deeper than 64 levels");

  std::string objects;
  for (int i = 0; i < kMaxJsonDepth + 1; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kMaxJsonDepth + 1, '}');
  parsed = ParseJson(objects, "template", {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kLimitExceeded);
}

TEST(ParseJsonTest, HostileDeepNestingIsRefusedQuickly) {
  // 100 000 levels, and a full 1 MiB of '[': no deep tree, no recursion, no waiting.
  for (size_t depth : {size_t{100000}, size_t{1} << 20}) {
    std::string text(depth, '[');
    auto start = std::chrono::steady_clock::now();
    auto parsed = ParseJson(text, "template", {});
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code(), ErrorCode::kLimitExceeded);
    EXPECT_LT(elapsed, std::chrono::milliseconds(200));
  }
}

}  // namespace
}  // namespace vg::tmpl

// ParseJson: syntax errors say where, limits are enforced while parsing (a hostile document is
// refused quickly and without deep recursion), invalid UTF-8 is refused.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

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

// The same value with the same types throughout (nlohmann's == treats 1u and 1 as equal).
void ExpectIdentical(const json& got, const json& want, const std::string& where) {
  ASSERT_EQ(got.type(), want.type()) << where << ": " << got.dump() << " vs " << want.dump();
  if (got.is_object()) {
    ASSERT_EQ(got.size(), want.size()) << where;
    for (auto it = want.begin(); it != want.end(); ++it) {
      ASSERT_TRUE(got.contains(it.key())) << where << "." << it.key();
      ExpectIdentical(got[it.key()], it.value(), where + "." + it.key());
    }
  } else if (got.is_array()) {
    ASSERT_EQ(got.size(), want.size()) << where;
    for (size_t i = 0; i < got.size(); ++i) {
      ExpectIdentical(got[i], want[i], where + "[" + std::to_string(i) + "]");
    }
  } else if (got.is_number_float()) {
    // Bit for bit (a negative zero stays one).
    const double a = got.get<double>();
    const double b = want.get<double>();
    ASSERT_EQ(std::memcmp(&a, &b, sizeof a), 0) << where << ": " << a << " vs " << b;
  } else {
    ASSERT_EQ(got, want) << where;
  }
}

// ParseJson (simdjson first, nlohmann when in doubt) against nlohmann's own parse: the same
// value for every text nlohmann accepts, a refusal for every text it refuses.
void ExpectSameAsNlohmann(const std::string& text) {
  auto got = ParseJson(text, "template", {});
  json want;
  bool valid = true;
  try {
    want = json::parse(text);
  } catch (const json::exception&) {
    valid = false;
  }
  if (!valid) {
    EXPECT_FALSE(got.ok()) << "accepted what nlohmann refuses: " << text;
    return;
  }
  ASSERT_TRUE(got.ok()) << got.error().ToString() << " for " << text;
  ExpectIdentical(*got, want, text);
}

TEST(ParseJsonTest, ReadsEveryTextAsNlohmannDoes) {
  const std::vector<std::string> texts = {
      "0",
      "-0",
      "-0.0",
      "0.0",
      "1",
      "-1",
      "1.5e3",
      "1E+2",
      "1e-2",
      "2.5",
      "18446744073709551615",
      "18446744073709551616",
      "9223372036854775807",
      "9223372036854775808",
      "-9223372036854775808",
      "-9223372036854775809",
      "123456789012345678901234567890",
      "1e308",
      "1e309",
      "-1e309",
      "4.9e-324",
      "1e-400",
      "01",
      "1.",
      ".5",
      "+1",
      "-",
      "1e",
      "0x10",
      "NaN",
      "Infinity",
      R"("plain")",
      R"("esc \" \\ \/ \b \f \n \r \t")",
      R"("\u0000 nul")",
      R"("\u00e9 é")",
      R"("\ud83d\ude00")",
      R"("\ud83d")",
      R"("\ude00")",
      R"("\ud83d x")",
      R"("\uDBFF\uDFFF")",
      R"("\\ud83d is text")",
      "\"tab\there\"",
      "\"new\nline\"",
      "\"\x7f\"",
      "\"\xc3\xa9\"",
      "\"\xc3\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\xef\xbb\xbf{}",
      "{}",
      "[]",
      R"({"a":1,"a":2})",
      R"({"a":{"b":1},"a":[2]})",
      R"([1,2,])",
      R"({"a":1,})",
      "[1 2]",
      " \t\r\n{ \"k\" : [ true , false , null ] } \n",
      "{} x",
      "",
      "   ",
      "tru",
      "nul",
      R"({"template":{"version":1,"tracks":[{"type":"text","clips":[{"text":"Hi {{name}}"}]}]}})",
      "[-0]",
      "[-0 ]",
      "{\"a\":-0}",
      "[-0,1]",
      "[-0.0,-0e0,-0E1]",
      "-01",
      "[-0x]",
      R"({"date":"2026-01-05","n":-0})",
      R"({"date":"2026-01-05"})",
  };
  for (const std::string& text : texts) ExpectSameAsNlohmann(text);
  // Nesting at the limit reads as nlohmann reads it; one more level is our limit's refusal.
  ExpectSameAsNlohmann(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'));
  auto deep = ParseJson(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'),
                        "template", {});
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code(), ErrorCode::kLimitExceeded);
}

TEST(ParseJsonTest, ReadsRandomDocumentsAsNlohmannDoes) {
  // Random documents (numbers of every kind, escapes, nesting, duplicate keys), then single-byte
  // mutations of them (most invalid): the same value or the same refusal.
  std::mt19937 random(11);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  const std::vector<std::string> atoms = {"0",
                                          "-0",
                                          "7",
                                          "-12",
                                          "3.25",
                                          "-1e-7",
                                          "6.02e23",
                                          "18446744073709551615",
                                          "-9223372036854775808",
                                          "true",
                                          "false",
                                          "null",
                                          R"("")",
                                          R"("a\"b")",
                                          R"("\u00fc\n")",
                                          R"("日本")",
                                          R"("\ud834\udd1e")"};
  std::function<std::string(int)> value = [&](int depth) -> std::string {
    int kind = depth > 5 ? 0 : pick(4);
    if (kind <= 1) return atoms[pick(static_cast<int>(atoms.size()))];
    std::string out = kind == 2 ? "[" : "{";
    int n = pick(5);
    for (int i = 0; i < n; ++i) {
      if (i > 0) out += ",";
      if (kind == 3) out += "\"k" + std::to_string(pick(4)) + "\":";
      out += value(depth + 1);
    }
    return out + (kind == 2 ? "]" : "}");
  };
  const std::string bytes = "{}[],:\"\\0123456789.-+eEtfnu \x01\xc3\xff";
  for (int i = 0; i < 3000; ++i) {
    std::string text = value(0);
    ExpectSameAsNlohmann(text);
    if (!text.empty()) {
      text[pick(static_cast<int>(text.size()))] = bytes[pick(static_cast<int>(bytes.size()))];
      ExpectSameAsNlohmann(text);
    }
  }
}

}  // namespace
}  // namespace vg::tmpl

// Placeholders (TEMPLATE-FORMAT.md "Placeholders") and --set (CLI.md): every rule, checked on
// the resolved JSON a renderer would see and on the problems a user would read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tmpl/load.h"
#include "tmpl/test_util.h"

namespace vg::tmpl {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Resolved {
  json value;
  std::vector<ErrorDetail> problems;
};

Resolved Resolve(const json& template_json, const json& input) {
  Resolved out;
  out.value = ResolvePlaceholders(template_json, input, &out.problems);
  return out;
}

// Resolves {"v": <value>} and returns the resolved "v".
json ResolveValue(const json& value, const json& input, const json& inputs = nullptr) {
  json t = {{"v", value}};
  if (!inputs.is_null()) t["inputs"] = inputs;
  auto resolved = Resolve(t, input);
  EXPECT_THAT(resolved.problems, IsEmpty())
      << resolved.problems[0].path << ": " << resolved.problems[0].message;
  return resolved.value["v"];
}

TEST(PlaceholdersTest, ReplacesInsideStrings) {
  EXPECT_EQ(ResolveValue("Hello, {{name}}!", {{"name", "Ada"}}), "Hello, Ada!");
  EXPECT_EQ(ResolveValue("{{a}} and {{b}}", {{"a", "x"}, {"b", "y"}}), "x and y");
  EXPECT_EQ(ResolveValue("{{a}}{{a}}", {{"a", "x"}}), "xx");
  EXPECT_EQ(ResolveValue("no placeholders {single} }}", json::object()),
            "no placeholders {single} }}");
}

TEST(PlaceholdersTest, AllowsWhitespaceInsideBraces) {
  EXPECT_EQ(ResolveValue("Hi {{ name }}.", {{"name", "Ada"}}), "Hi Ada.");
  EXPECT_EQ(ResolveValue("{{  price\t}}", {{"price", 49}}), 49);
}

TEST(PlaceholdersTest, WholeStringKeepsTheJsonType) {
  EXPECT_EQ(ResolveValue("{{x}}", {{"x", 49}}), 49);
  EXPECT_EQ(ResolveValue("{{x}}", {{"x", 2.5}}), 2.5);
  EXPECT_EQ(ResolveValue("{{x}}", {{"x", true}}), true);
  EXPECT_EQ(ResolveValue("{{x}}", {{"x", json::array({1, 2})}}), json::array({1, 2}));
  EXPECT_EQ(ResolveValue("{{x}}", {{"x", {{"a", 1}}}}), json({{"a", 1}}));
  EXPECT_EQ(ResolveValue("{{x}}", {{"x", "text"}}), "text");
  // Anything around the placeholder makes it text.
  EXPECT_EQ(ResolveValue(" {{x}}", {{"x", 49}}), " 49");
  EXPECT_EQ(ResolveValue("{{x}}px", {{"x", 49}}), "49px");
}

TEST(PlaceholdersTest, InsertsNonStringsAsAPersonWritesThem) {
  EXPECT_EQ(ResolveValue("${{p}}", {{"p", 49}}), "$49");
  EXPECT_EQ(ResolveValue("${{p}}", {{"p", 49.0}}), "$49");
  EXPECT_EQ(ResolveValue("{{p}}%", {{"p", 0.1}}), "0.1%");
  EXPECT_EQ(ResolveValue("{{p}}!", {{"p", -1.25}}), "-1.25!");
  EXPECT_EQ(ResolveValue("is {{p}}", {{"p", false}}), "is false");
  EXPECT_EQ(ResolveValue("list {{p}}", {{"p", json::array({1, "a"})}}), R"json(list [1,"a"])json");
}

TEST(PlaceholdersTest, DottedPathsReachIntoObjectsAndArrays) {
  json input = {{"user", {{"firstName", "Ada"}, {"tags", {"x", "y"}}}},
                {"items", json::array({"first", {{"name", "second"}}})}};
  EXPECT_EQ(ResolveValue("Hi {{user.firstName}}", input), "Hi Ada");
  EXPECT_EQ(ResolveValue("{{items.0}}", input), "first");
  EXPECT_EQ(ResolveValue("{{items.1.name}}", input), "second");
  EXPECT_EQ(ResolveValue("{{user.tags.1}}", input), "y");
  EXPECT_EQ(ResolveValue("{{user}}", input), input["user"]);
}

TEST(PlaceholdersTest, DefaultsFromTheInputsBlock) {
  json inputs = {{"name", {{"type", "string"}, {"default", "friend"}}},
                 {"user", {{"default", {{"firstName", "Grace"}}}}},
                 {"size", {{"type", "number"}, {"default", 12}}}};
  EXPECT_EQ(ResolveValue("Hi {{name}}", json::object(), inputs), "Hi friend");
  EXPECT_EQ(ResolveValue("Hi {{name}}", {{"name", "Ada"}}, inputs), "Hi Ada");
  EXPECT_EQ(ResolveValue("{{user.firstName}}", json::object(), inputs), "Grace");
  EXPECT_EQ(ResolveValue("{{size}}", json::object(), inputs), 12);
  // An explicit null in the input is no value: the default applies.
  EXPECT_EQ(ResolveValue("Hi {{name}}", {{"name", nullptr}}, inputs), "Hi friend");
}

TEST(PlaceholdersTest, MissingValueIsReportedOnceAtTheInputPath) {
  json t = json::parse(R"json({
    "tracks": [ { "clips": [ { "text": "Hi {{name}}" }, { "text": "Bye {{ name }}" } ] } ],
    "title": "{{user.firstName}}" })json");
  auto resolved = Resolve(t, json::object());
  // Objects are walked in key order: "title" before "tracks".
  EXPECT_THAT(resolved.problems,
              ElementsAre(ErrorDetail{"input.user.firstName",
                                      "required placeholder {{user.firstName}} has no value and "
                                      "no default"},
                          ErrorDetail{"input.name",
                                      "required placeholder {{name}} has no value "
                                      "and no default"}));
}

TEST(PlaceholdersTest, BackslashWritesLiteralBraces) {
  // The JSON text "\\{{name}}" is the string \{{name}}.
  EXPECT_EQ(ResolveValue("\\{{name}} is {{name}}", {{"name", "Ada"}}), "{{name}} is Ada");
  EXPECT_EQ(ResolveValue("\\{{", json::object()), "{{");
  EXPECT_EQ(ResolveValue("\\{{x}}", {{"x", 1}}), "{{x}}");  // text, not a whole placeholder
}

TEST(PlaceholdersTest, UnterminatedPlaceholderIsAProblemAtTheString) {
  json t =
      json::parse(R"json({"tracks": [{"clips": [{"text": "ok"}, {"text": "Hi {{name"}]}]})json");
  auto resolved = Resolve(t, {{"name", "Ada"}});
  ASSERT_EQ(resolved.problems.size(), 1u);
  EXPECT_EQ(resolved.problems[0].path, "tracks[0].clips[1].text");
  EXPECT_THAT(resolved.problems[0].message, ::testing::HasSubstr("unterminated placeholder"));
}

TEST(PlaceholdersTest, InvalidPlaceholderNameIsAProblem) {
  for (std::string text : {"{{}}", "{{a b}}", "{{a..b}}", "{{.a}}", "{{ {{a}}"}) {
    auto resolved = Resolve({{"v", text}}, {{"a", 1}, {"a b", 1}});
    ASSERT_EQ(resolved.problems.size(), 1u) << text;
    EXPECT_EQ(resolved.problems[0].path, "v");
    EXPECT_THAT(resolved.problems[0].message, ::testing::HasSubstr("not a valid placeholder"));
  }
}

TEST(PlaceholdersTest, KeysAndTheInputsBlockAreNotResolved) {
  json t = json::parse(
      R"json({"{{k}}": "{{k}}", "inputs": {"k": {"type": "string", "default": "{{other}}"}}})json");
  auto resolved = Resolve(t, {{"k", "v"}});
  EXPECT_THAT(resolved.problems, IsEmpty());
  EXPECT_EQ(resolved.value["{{k}}"], "v");
  EXPECT_EQ(resolved.value["inputs"]["k"]["default"], "{{other}}");
}

TEST(PlaceholdersTest, InsertedValuesAreNotScannedAgain) {
  EXPECT_EQ(ResolveValue("say {{a}}", {{"a", "{{b}}"}}), "say {{b}}");
  EXPECT_EQ(ResolveValue("{{a}}", {{"a", "{{b}}"}}), "{{b}}");
}

TEST(PlaceholdersTest, UndeclaredPlaceholdersWorkWithoutDeclaration) {
  auto resolved = Resolve({{"v", "{{anything}}"}}, {{"anything", "x"}});
  EXPECT_THAT(resolved.problems, IsEmpty());
  EXPECT_EQ(resolved.value["v"], "x");
}

std::vector<ErrorDetail> InputProblems(const json& declaration, const json& input) {
  return Resolve({{"inputs", {{"v", declaration}}}, {"x", "{{v}}"}}, input).problems;
}

TEST(PlaceholdersTest, DeclaredTypesAreChecked) {
  EXPECT_THAT(InputProblems({{"type", "string"}}, {{"v", 5}}),
              ElementsAre(ErrorDetail{"input.v", "must be a string, got 5"}));
  EXPECT_THAT(InputProblems({{"type", "number"}}, {{"v", "five"}}),
              ElementsAre(ErrorDetail{"input.v", "must be a number, got \"five\""}));
  EXPECT_THAT(InputProblems({{"type", "boolean"}}, {{"v", "yes"}}),
              ElementsAre(ErrorDetail{"input.v", "must be true or false, got \"yes\""}));
  auto color = InputProblems({{"type", "color"}}, {{"v", "#ggg"}});
  ASSERT_EQ(color.size(), 1u);
  EXPECT_EQ(color[0].path, "input.v");
  EXPECT_THAT(color[0].message, ::testing::StartsWith("must be a colour"));
  auto image = InputProblems({{"type", "image"}}, {{"v", 3}});
  ASSERT_EQ(image.size(), 1u);
  EXPECT_THAT(image[0].message, ::testing::StartsWith("must be a string with the image's src"));
  EXPECT_THAT(InputProblems({{"type", "audio"}}, {{"v", ""}}), ::testing::SizeIs(1));

  EXPECT_THAT(InputProblems({{"type", "color"}}, {{"v", "rgba(0,0,0,0.5)"}}), IsEmpty());
  EXPECT_THAT(InputProblems({{"type", "video"}}, {{"v", "clip.mp4"}}), IsEmpty());
  EXPECT_THAT(InputProblems({{"type", "boolean"}}, {{"v", false}}), IsEmpty());
  EXPECT_THAT(InputProblems({{"type", "number"}}, {{"v", 1.5}}), IsEmpty());
}

TEST(PlaceholdersTest, MaxLengthCountsCodePoints) {
  json declaration = {{"type", "string"}, {"maxLength", 5}};
  EXPECT_THAT(InputProblems(declaration, {{"v", "héllo"}}), IsEmpty());
  EXPECT_THAT(InputProblems(declaration, {{"v", "😀😀😀😀😀"}}), IsEmpty());
  EXPECT_THAT(
      InputProblems(declaration, {{"v", "héllo!"}}),
      ElementsAre(ErrorDetail{"input.v", "must be at most 5 characters long, got 6 characters"}));
}

TEST(PlaceholdersTest, MinAndMaxBoundNumbers) {
  json declaration = {{"type", "number"}, {"min", 1}, {"max", 10}};
  EXPECT_THAT(InputProblems(declaration, {{"v", 1}}), IsEmpty());
  EXPECT_THAT(InputProblems(declaration, {{"v", 10}}), IsEmpty());
  EXPECT_THAT(InputProblems(declaration, {{"v", 0.5}}),
              ElementsAre(ErrorDetail{"input.v", "must be >= 1, got 0.5"}));
  EXPECT_THAT(InputProblems(declaration, {{"v", 11}}),
              ElementsAre(ErrorDetail{"input.v", "must be <= 10, got 11"}));
}

TEST(PlaceholdersTest, RequiredDeclaredInputMustBeGiven) {
  json t = json::parse(
      R"json({"inputs": {"logo": {"type": "image", "required": true}}, "src": "{{logo}}"})json");
  EXPECT_THAT(Resolve(t, json::object()).problems,
              ElementsAre(ErrorDetail{"input.logo", "required input \"logo\" has no value"}));
  EXPECT_THAT(Resolve(t, {{"logo", "a.png"}}).problems, IsEmpty());
  // A declared input nobody uses and nobody requires may be left out.
  EXPECT_THAT(Resolve({{"inputs", {{"opt", {{"type", "string"}}}}}}, json::object()).problems,
              IsEmpty());
}

TEST(PlaceholdersTest, InputMustBeAnObject) {
  auto resolved = Resolve({{"v", "x"}}, json::array());
  EXPECT_THAT(resolved.problems,
              ElementsAre(ErrorDetail{"input", "must be a JSON object, got an empty array"}));
  EXPECT_THAT(Resolve({{"v", "x"}}, nullptr).problems, IsEmpty());
}

TEST(PlaceholdersTest, InputProblemsComeFirst) {
  json t = {{"a", "{{x"}, {"b", "{{missing}}"}};
  auto problems = Resolve(t, json::object()).problems;
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].path, "input.missing");
  EXPECT_EQ(problems[1].path, "a");
}

// ---- --set --------------------------------------------------------------------------------

json Set(const json& template_json, std::vector<std::string> assignments) {
  json input = json::object();
  for (const auto& assignment : assignments) {
    Status status = ApplySet(template_json, assignment, &input);
    EXPECT_TRUE(status.ok()) << assignment << ": " << status.ToString();
  }
  return input;
}

TEST(ApplySetTest, ParsesJsonElseText) {
  json input = Set(json::object(),
                   {"price=49", "name=Ada", "flag=true", "ratio=0.5", R"json(obj={"a":[1]})json",
                    "zip=01234", "empty=", "eq=a=b", R"json(quoted="49")json"});
  EXPECT_EQ(input["price"], 49);
  EXPECT_EQ(input["name"], "Ada");
  EXPECT_EQ(input["flag"], true);
  EXPECT_EQ(input["ratio"], 0.5);
  EXPECT_EQ(input["obj"], json::parse(R"json({"a":[1]})json"));
  EXPECT_EQ(input["zip"], "01234");  // not valid JSON (leading zero): text
  EXPECT_EQ(input["empty"], "");
  EXPECT_EQ(input["eq"], "a=b");
  EXPECT_EQ(input["quoted"], "49");
}

TEST(ApplySetTest, DeclaredStringKeepsRawText) {
  json t = json::parse(R"json({"inputs": {"zip": {"type": "string"}, "price": {"type": "string"},
                                       "count": {"type": "number"}, "tint": {"type": "color"}}})json");
  json input = Set(t, {"zip=01234", "price=49", "count=49", "tint=#ff0000"});
  EXPECT_EQ(input["zip"], "01234");
  EXPECT_EQ(input["price"], "49");
  EXPECT_EQ(input["count"], 49);
  EXPECT_EQ(input["tint"], "#ff0000");
}

TEST(ApplySetTest, DottedNamesReachIntoObjects) {
  json input = Set(json::object(), {"user.name=Ada", "user.age=36", "a.b.c=true"});
  EXPECT_EQ(input, json::parse(R"json({"user":{"name":"Ada","age":36},"a":{"b":{"c":true}}})json"));
  // The set value then fills the placeholder.
  auto resolved = Resolve({{"v", "{{user.name}} ({{user.age}})"}}, input);
  EXPECT_EQ(resolved.value["v"], "Ada (36)");
}

TEST(ApplySetTest, RefusesMalformedAssignments) {
  json input = json::object();
  for (std::string_view bad : {"noequals", "=value", "a..b=1", ".a=1"}) {
    Status status = ApplySet(json::object(), bad, &input);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << bad;
  }
  input = {{"name", "Ada"}};
  Status status = ApplySet(json::object(), "name.first=Ada", &input);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(input["name"], "Ada");  // untouched
}

}  // namespace
}  // namespace vg::tmpl

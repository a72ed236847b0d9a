// Job options ⇄ BullMQ's opts JSON, and decoding of job hashes (including malformed ones).
#include "queue/job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace vg::queue {
namespace {

TEST(JobTest, OptionsRoundTripThroughBullMqJson) {
  JobOptions o;
  o.attempts = 3;
  o.backoff = {Backoff::Type::kExponential, 5000, 0};
  o.priority = 7;
  o.delay_ms = 1500;
  o.job_id = "render-1";
  o.remove_on_complete = KeepJobs{-1, 86400, 1000};
  o.remove_on_fail = KeepJobs{10, 0, 1000};
  nlohmann::json j = JobOptionsToJson(o);
  EXPECT_EQ(j["attempts"], 3);
  EXPECT_EQ(j["backoff"], (nlohmann::json{{"type", "exponential"}, {"delay", 5000}}));
  EXPECT_EQ(j["removeOnComplete"], (nlohmann::json{{"age", 86400}}));
  EXPECT_EQ(j["removeOnFail"], 10);
  JobOptions back = JobOptionsFromJson(j);
  EXPECT_EQ(back.attempts, 3);
  EXPECT_EQ(back.backoff.type, Backoff::Type::kExponential);
  EXPECT_EQ(back.backoff.delay_ms, 5000);
  EXPECT_EQ(back.priority, 7);
  EXPECT_EQ(back.delay_ms, 1500);
  EXPECT_EQ(back.job_id, "render-1");
  ASSERT_TRUE(back.remove_on_complete);
  EXPECT_EQ(back.remove_on_complete->age_seconds, 86400);
  EXPECT_EQ(back.remove_on_complete->count, -1);
  ASSERT_TRUE(back.remove_on_fail);
  EXPECT_EQ(back.remove_on_fail->count, 10);
}

// The options as nlohmann::json built them before they were written as text (the oracle).
nlohmann::json ReferenceOptionsJson(const JobOptions& o) {
  auto keep = [](const KeepJobs& k) -> nlohmann::json {
    if (k.count == 0 && k.age_seconds == 0) return true;
    if (k.count < 0 && k.age_seconds == 0) return false;
    if (k.age_seconds == 0) return k.count;
    nlohmann::json out = {{"age", k.age_seconds}};
    if (k.count >= 0) out["count"] = k.count;
    if (k.limit != 1000) out["limit"] = k.limit;
    return out;
  };
  nlohmann::json opts = {{"attempts", o.attempts}};
  if (o.backoff.type != Backoff::Type::kNone) {
    opts["backoff"] = {{"type", o.backoff.type == Backoff::Type::kFixed ? "fixed" : "exponential"},
                       {"delay", o.backoff.delay_ms}};
    if (o.backoff.jitter > 0) opts["backoff"]["jitter"] = o.backoff.jitter;
  }
  if (o.delay_ms > 0) opts["delay"] = o.delay_ms;
  if (o.priority > 0) opts["priority"] = o.priority;
  if (o.lifo) opts["lifo"] = true;
  if (o.job_id) opts["jobId"] = *o.job_id;
  if (o.timestamp_ms) opts["timestamp"] = *o.timestamp_ms;
  if (o.remove_on_complete) opts["removeOnComplete"] = keep(*o.remove_on_complete);
  if (o.remove_on_fail) opts["removeOnFail"] = keep(*o.remove_on_fail);
  if (o.stack_trace_limit != 10) opts["stackTraceLimit"] = o.stack_trace_limit;
  return opts;
}

TEST(JobTest, OptionsTextIsTheBytesOfTheJsonDump) {
  std::vector<JobOptions> cases(1);
  JobOptions all;
  all.job_id = "id with \"quotes\" and \\ and é";
  all.attempts = 5;
  all.backoff = {Backoff::Type::kFixed, 250, 0.25};
  all.delay_ms = 9000;
  all.priority = 2097151;
  all.lifo = true;
  all.timestamp_ms = 1764130000123;
  all.remove_on_complete = KeepJobs{3, 60, 50};
  all.remove_on_fail = KeepJobs::None();
  all.stack_trace_limit = 0;
  cases.push_back(all);
  JobOptions service;  // what the API enqueues
  service.attempts = 3;
  service.backoff = {Backoff::Type::kExponential, 5000, 0};
  service.timestamp_ms = 1764130000000;
  service.remove_on_complete = KeepJobs{-1, 7 * 86400, 1000};
  service.remove_on_fail = KeepJobs::All();
  cases.push_back(service);
  service.remove_on_fail = KeepJobs{25, 0, 1000};
  service.backoff.jitter = 1.0;
  cases.push_back(service);
  for (const JobOptions& o : cases) {
    EXPECT_EQ(JobOptionsJsonText(o), ReferenceOptionsJson(o).dump());
    EXPECT_EQ(JobOptionsToJson(o), ReferenceOptionsJson(o));
  }
}

TEST(JobTest, RetentionShorthandsFollowBullMq) {
  EXPECT_EQ(KeepJobsFromJson(true)->count, 0);
  EXPECT_EQ(KeepJobsFromJson(false)->count, -1);
  EXPECT_EQ(KeepJobsFromJson(5)->count, 5);
  EXPECT_FALSE(KeepJobsFromJson(nullptr));
  // A bare number as backoff means fixed.
  JobOptions o = JobOptionsFromJson({{"backoff", 250}});
  EXPECT_EQ(o.backoff.type, Backoff::Type::kFixed);
  EXPECT_EQ(o.backoff.delay_ms, 250);
}

TEST(JobTest, DecodesAHash) {
  Job job = JobFromHash("12", {{"name", "render"},
                               {"data", R"({"a":1})"},
                               {"opts", R"({"attempts":2})"},
                               {"atm", "1"},
                               {"ats", "2"},
                               {"progress", "40"},
                               {"returnvalue", R"({"ok":true})"},
                               {"failedReason", "boom"},
                               {"stacktrace", R"(["x","y"])"},
                               {"timestamp", "1732560011123"},
                               {"pb", "w1"}});
  EXPECT_EQ(job.id, "12");
  EXPECT_EQ(job.name, "render");
  EXPECT_EQ(job.data["a"], 1);
  EXPECT_EQ(job.options.attempts, 2);
  EXPECT_EQ(job.attempts_made, 1);
  EXPECT_EQ(job.attempts_started, 2);
  EXPECT_EQ(job.progress, 40);
  EXPECT_EQ(job.returnvalue["ok"], true);
  EXPECT_EQ(job.failed_reason, "boom");
  EXPECT_EQ(job.stacktrace.size(), 2u);
  EXPECT_EQ(job.timestamp_ms, 1732560011123);
  EXPECT_EQ(job.processed_by, "w1");
  EXPECT_TRUE(job.malformed.empty());
}

TEST(JobTest, FlagsMalformedJsonFields) {
  Job job = JobFromHash("3", {{"name", "x"}, {"data", "{not json"}, {"opts", "[]"}});
  EXPECT_NE(job.malformed.find("data is not valid JSON"), std::string::npos);
  EXPECT_TRUE(job.data.is_null());
  // Missing fields are tolerated, as in Node.
  Job bare = JobFromHash("4", {{"name", "x"}});
  EXPECT_TRUE(bare.malformed.empty());
  EXPECT_EQ(bare.options.attempts, 0);
}

TEST(JobTest, StateNames) {
  EXPECT_EQ(JobStateName(JobState::kWaitingChildren), "waiting-children");
  EXPECT_EQ(ParseJobState("prioritized"), JobState::kPrioritized);
  EXPECT_EQ(ParseJobState("nope"), JobState::kUnknown);
}

TEST(JobTest, SelectTopLevelMembersMatchesAFullParseAndStepsOverTheRest) {
  static constexpr std::string_view kKeys[] = {"owner", "metadata", "webhookUrl"};
  const std::string texts[] = {
      R"({"owner":"o","template":{"tracks":[{"clips":[{"text":"a \"owner\": 1 } ] {"}]}]},)"
      R"("metadata":{"orderId":"A-17","n":[1,2.5e3,-4,true,false,null]}})",
      R"(  { "template" : { "owner" : "nested, not selected" } , "owner" : "top" }  )",
      R"({"owner":"\u00fc\n","input":{"x":"}"},"webhookUrl":null})",
      R"({})",
      R"({"a":[],"b":{},"owner":"x","owner":"last wins"})",
  };
  for (const std::string& text : texts) {
    std::optional<nlohmann::json> selected = SelectTopLevelMembers(text, kKeys);
    ASSERT_TRUE(selected.has_value()) << text;
    nlohmann::json::parser_callback_t filter = [](int depth, nlohmann::json::parse_event_t event,
                                                  nlohmann::json& parsed) {
      if (depth != 1 || event != nlohmann::json::parse_event_t::key) return true;
      const std::string& key = parsed.get_ref<const std::string&>();
      return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
    };
    EXPECT_EQ(*selected, nlohmann::json::parse(text, filter)) << text;
  }
  EXPECT_EQ((*SelectTopLevelMembers(texts[1], kKeys))["owner"], "top");
}

TEST(JobTest, SelectTopLevelMembersLeavesAnythingOddToTheFullParse) {
  static constexpr std::string_view kKeys[] = {"owner"};
  for (std::string_view text :
       {R"([1,2])", R"("owner")", R"({"owner":"o")", R"({"owner":"o"} x)", R"({"a":[1,2}})",
        R"({"a":{"b":1]})", R"({"own\u0065r":"o"})", R"({"owner":tru})", R"({"owner":})",
        R"({"owner" "o"})", R"({"a":"unterminated})", R"({,})", "{\"a\":\"tab\there\"}", ""}) {
    EXPECT_FALSE(SelectTopLevelMembers(text, kKeys).has_value()) << text;
  }
}

}  // namespace
}  // namespace vg::queue

// Job options ⇄ BullMQ's `opts` JSON, and Job decoding from a job hash.
#include "queue/job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

namespace vg::queue {
namespace {

int64_t ToInt(std::string_view text) {
  int64_t value = 0;
  // BullMQ writes integers; a float ("1.5e3") or garbage reads as its integer prefix or 0.
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// BullMQ's retention value for `keep` as JSON text: true, false, N or {"age","count","limit"}.
void AppendKeepJobs(std::string& out, const KeepJobs& keep) {
  if (keep.count == 0 && keep.age_seconds == 0) return out.append("true"), void();
  if (keep.count < 0 && keep.age_seconds == 0) return out.append("false"), void();
  if (keep.age_seconds == 0)
    return fmt::format_to(std::back_inserter(out), "{}", keep.count), void();
  fmt::format_to(std::back_inserter(out), "{{\"age\":{}", keep.age_seconds);
  if (keep.count >= 0) fmt::format_to(std::back_inserter(out), ",\"count\":{}", keep.count);
  if (keep.limit != 1000) fmt::format_to(std::back_inserter(out), ",\"limit\":{}", keep.limit);
  out.push_back('}');
}

int64_t JsonInt(const nlohmann::json& value, int64_t fallback) {
  if (value.is_number()) return value.get<int64_t>();
  return fallback;
}

}  // namespace

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kWaiting:
      return "waiting";
    case JobState::kPrioritized:
      return "prioritized";
    case JobState::kDelayed:
      return "delayed";
    case JobState::kActive:
      return "active";
    case JobState::kCompleted:
      return "completed";
    case JobState::kFailed:
      return "failed";
    case JobState::kWaitingChildren:
      return "waiting-children";
    case JobState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

JobState ParseJobState(std::string_view name) {
  for (JobState s :
       {JobState::kWaiting, JobState::kPrioritized, JobState::kDelayed, JobState::kActive,
        JobState::kCompleted, JobState::kFailed, JobState::kWaitingChildren}) {
    if (JobStateName(s) == name) return s;
  }
  if (name == "wait") return JobState::kWaiting;
  return JobState::kUnknown;
}

std::optional<KeepJobs> KeepJobsFromJson(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>() ? KeepJobs::None() : KeepJobs::All();
  if (value.is_number()) {
    KeepJobs keep;
    keep.count = std::max<int64_t>(0, value.get<int64_t>());
    return keep;
  }
  if (value.is_object()) {
    KeepJobs keep;
    if (value.contains("count")) keep.count = std::max<int64_t>(0, JsonInt(value["count"], -1));
    if (value.contains("age")) keep.age_seconds = JsonInt(value["age"], 0);
    if (value.contains("limit")) keep.limit = JsonInt(value["limit"], 1000);
    return keep;
  }
  return std::nullopt;
}

std::string JobOptionsJsonText(const JobOptions& o) {
  // Written straight as text (every enqueue stores it): the members in the order nlohmann's
  // dump() of the same object would give (sorted), so the bytes match what a dump wrote before.
  std::string out;
  out.reserve(160);
  auto append = std::back_inserter(out);
  fmt::format_to(append, "{{\"attempts\":{}", o.attempts);
  if (o.backoff.type != Backoff::Type::kNone) {
    fmt::format_to(append, ",\"backoff\":{{\"delay\":{}", o.backoff.delay_ms);
    if (o.backoff.jitter > 0) out += ",\"jitter\":" + nlohmann::json(o.backoff.jitter).dump();
    out += o.backoff.type == Backoff::Type::kFixed ? ",\"type\":\"fixed\"}"
                                                   : ",\"type\":\"exponential\"}";
  }
  if (o.delay_ms > 0) fmt::format_to(append, ",\"delay\":{}", o.delay_ms);
  if (o.job_id) out += ",\"jobId\":" + nlohmann::json(*o.job_id).dump();
  if (o.lifo) out += ",\"lifo\":true";
  if (o.priority > 0) fmt::format_to(append, ",\"priority\":{}", o.priority);
  if (o.remove_on_complete) {
    out += ",\"removeOnComplete\":";
    AppendKeepJobs(out, *o.remove_on_complete);
  }
  if (o.remove_on_fail) {
    out += ",\"removeOnFail\":";
    AppendKeepJobs(out, *o.remove_on_fail);
  }
  if (o.stack_trace_limit != 10)
    fmt::format_to(append, ",\"stackTraceLimit\":{}", o.stack_trace_limit);
  if (o.timestamp_ms) fmt::format_to(append, ",\"timestamp\":{}", *o.timestamp_ms);
  out.push_back('}');
  return out;
}

nlohmann::json JobOptionsToJson(const JobOptions& o) {
  return nlohmann::json::parse(JobOptionsJsonText(o));
}

JobOptions JobOptionsFromJson(const nlohmann::json& opts) {
  JobOptions o;
  if (!opts.is_object()) return o;
  o.attempts = static_cast<int>(JsonInt(opts.value("attempts", nlohmann::json()), 0));
  if (auto it = opts.find("backoff"); it != opts.end()) {
    if (it->is_number()) {
      o.backoff = {Backoff::Type::kFixed, it->get<int64_t>(), 0};
    } else if (it->is_object()) {
      std::string type = it->value("type", "");
      if (type == "fixed") o.backoff.type = Backoff::Type::kFixed;
      if (type == "exponential") o.backoff.type = Backoff::Type::kExponential;
      o.backoff.delay_ms = JsonInt(it->value("delay", nlohmann::json()), 0);
      auto jitter = it->value("jitter", nlohmann::json());
      if (jitter.is_number()) o.backoff.jitter = jitter.get<double>();
    }
  }
  o.delay_ms = JsonInt(opts.value("delay", nlohmann::json()), 0);
  o.priority = static_cast<int>(JsonInt(opts.value("priority", nlohmann::json()), 0));
  o.lifo = opts.value("lifo", nlohmann::json()).is_boolean() && opts["lifo"].get<bool>();
  if (auto it = opts.find("jobId"); it != opts.end() && it->is_string()) {
    o.job_id = it->get<std::string>();
  }
  if (auto it = opts.find("timestamp"); it != opts.end() && it->is_number()) {
    o.timestamp_ms = it->get<int64_t>();
  }
  if (auto it = opts.find("removeOnComplete"); it != opts.end()) {
    o.remove_on_complete = KeepJobsFromJson(*it);
  }
  if (auto it = opts.find("removeOnFail"); it != opts.end()) {
    o.remove_on_fail = KeepJobsFromJson(*it);
  }
  o.stack_trace_limit =
      static_cast<int>(JsonInt(opts.value("stackTraceLimit", nlohmann::json()), 10));
  return o;
}

Job JobFromHash(std::string id, const std::vector<std::pair<std::string, std::string>>& fields) {
  Job job;
  job.id = std::move(id);
  auto parse_json = [&job](std::string_view field, const std::string& text, nlohmann::json* out) {
    *out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (out->is_discarded()) {
      *out = nullptr;
      if (!job.malformed.empty()) job.malformed += "; ";
      job.malformed += std::string(field) + " is not valid JSON";
    }
  };
  bool have_atm = false;
  for (const auto& [field, value] : fields) {
    if (field == "name")
      job.name = value;
    else if (field == "data")
      parse_json("data", value, &job.data);
    else if (field == "opts")
      parse_json("opts", value, &job.opts);
    else if (field == "progress")
      parse_json("progress", value, &job.progress);
    else if (field == "returnvalue") {
      // Node tolerates a bad returnvalue (reads it as undefined); so do we.
      job.returnvalue = nlohmann::json::parse(value, nullptr, false);
      if (job.returnvalue.is_discarded()) job.returnvalue = nullptr;
    } else if (field == "failedReason")
      job.failed_reason = value;
    else if (field == "errorCode")
      job.error_code = value;
    else if (field == "stacktrace") {
      auto trace = nlohmann::json::parse(value, nullptr, false);
      if (trace.is_array()) {
        for (const auto& line : trace) {
          if (line.is_string()) job.stacktrace.push_back(line.get<std::string>());
        }
      }
    } else if (field == "atm") {
      job.attempts_made = ToInt(value);
      have_atm = true;
    } else if (field == "attemptsMade" && !have_atm)
      job.attempts_made = ToInt(value);
    else if (field == "ats")
      job.attempts_started = ToInt(value);
    else if (field == "stc")
      job.stalled_count = ToInt(value);
    else if (field == "timestamp")
      job.timestamp_ms = ToInt(value);
    else if (field == "delay")
      job.delay_ms = ToInt(value);
    else if (field == "priority")
      job.priority = static_cast<int>(ToInt(value));
    else if (field == "processedOn")
      job.processed_on_ms = ToInt(value);
    else if (field == "finishedOn")
      job.finished_on_ms = ToInt(value);
    else if (field == "cancelledAt")
      job.cancelled_at_ms = ToInt(value);
    else if (field == "pb")
      job.processed_by = value;
    else if (field == "defa")
      job.deferred_failure = value;
  }
  if (job.opts.is_null() && job.malformed.find("opts") == std::string::npos) {
    job.opts = nlohmann::json::object();
  }
  job.options = JobOptionsFromJson(job.opts);
  return job;
}

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void SkipSpace(std::string_view s, size_t& i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
}

// Steps over a string starting at s[i] == '"'; false if it does not end.
bool SkipString(std::string_view s, size_t& i, bool* has_escape = nullptr) {
  for (++i; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20) return false;
    if (c == '\\') {
      if (has_escape) *has_escape = true;
      ++i;
    }
  }
  return false;
}

// Steps over one value (objects and arrays with their brackets matched); false when the text
// is malformed as far as this scan sees. Numbers and literals are checked by their characters;
// the selected members are parsed for real afterwards.
bool SkipValue(std::string_view s, size_t& i) {
  std::string open;  // the brackets still open
  do {
    SkipSpace(s, i);
    if (i >= s.size()) return false;
    const char c = s[i];
    if (c == '"') {
      if (!SkipString(s, i)) return false;
    } else if (c == '{' || c == '[') {
      open.push_back(c);
      ++i;
      continue;
    } else if (c == '}' || c == ']') {
      if (open.empty() || open.back() != (c == '}' ? '{' : '[')) return false;
      open.pop_back();
      ++i;
    } else if (c == ',' || c == ':') {
      if (open.empty()) return false;
      ++i;
      continue;
    } else {
      const size_t start = i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '-' ||
                              s[i] == '+' || s[i] == '.')) {
        ++i;
      }
      if (i == start) return false;
    }
  } while (!open.empty());
  return true;
}

}  // namespace

std::optional<nlohmann::json> SelectTopLevelMembers(std::string_view text,
                                                    std::span<const std::string_view> keys) {
  nlohmann::json out = nlohmann::json::object();
  size_t i = 0;
  SkipSpace(text, i);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  ++i;
  SkipSpace(text, i);
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    for (;;) {
      SkipSpace(text, i);
      if (i >= text.size() || text[i] != '"') return std::nullopt;
      const size_t name_start = i + 1;
      bool escaped = false;
      if (!SkipString(text, i, &escaped) || escaped) return std::nullopt;
      const std::string_view name = text.substr(name_start, i - 1 - name_start);
      SkipSpace(text, i);
      if (i >= text.size() || text[i] != ':') return std::nullopt;
      ++i;
      SkipSpace(text, i);
      const size_t value_start = i;
      if (!SkipValue(text, i)) return std::nullopt;
      if (std::find(keys.begin(), keys.end(), name) != keys.end()) {
        nlohmann::json value = nlohmann::json::parse(text.substr(value_start, i - value_start),
                                                     nullptr, /*allow_exceptions=*/false);
        if (value.is_discarded()) return std::nullopt;
        out[std::string(name)] = std::move(value);  // the last of duplicates wins, as in parse
      }
      SkipSpace(text, i);
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '}') {
        ++i;
        break;
      }
      return std::nullopt;
    }
  }
  SkipSpace(text, i);
  if (i != text.size()) return std::nullopt;
  return out;
}

}  // namespace vg::queue

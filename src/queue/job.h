// The job model of the queue, in BullMQ's terms: options a producer sets (stored as the job's
// `opts` JSON), and a job as read back from its Redis hash with its state. Plain values: copy
// freely between threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg::queue {

// BullMQ 6.x states; names as getState() spells them (JobStateName).
enum class JobState {
  kWaiting,
  kPrioritized,
  kDelayed,
  kActive,
  kCompleted,
  kFailed,
  kWaitingChildren,
  kUnknown,
};
std::string_view JobStateName(JobState state);
// The inverse of JobStateName; kUnknown for anything else.
JobState ParseJobState(std::string_view name);

struct Backoff {
  enum class Type { kNone, kFixed, kExponential };
  Type type = Type::kNone;
  int64_t delay_ms = 0;
  double jitter = 0;  // 0..1
};

// removeOnComplete / removeOnFail: which finished jobs to keep.
struct KeepJobs {
  int64_t count = -1;       // newest N kept; -1 = all; 0 = delete at once (BullMQ's `true`)
  int64_t age_seconds = 0;  // 0 = no age limit
  int64_t limit = 1000;     // most removals by age per finish
  static KeepJobs All() { return {}; }
  static KeepJobs None() { return {0, 0, 1000}; }
};

struct JobOptions {
  std::optional<std::string> job_id;  // custom id: not an integer, no ':'; re-add is a no-op
  int attempts = 0;                   // 0 or 1 = no retry
  Backoff backoff;
  int64_t delay_ms = 0;
  int priority = 0;  // 0 = none; 1 (highest) .. 2,097,151
  bool lifo = false;
  std::optional<int64_t> timestamp_ms;  // default: now
  std::optional<KeepJobs> remove_on_complete;
  std::optional<KeepJobs> remove_on_fail;
  int stack_trace_limit = 10;
};

// The BullMQ `opts` JSON for `options` (what Node's Queue.add stores) as text and as a value,
// and back. Parsing is lenient, as Node's is: missing or odd fields keep their defaults.
std::string JobOptionsJsonText(const JobOptions& options);
nlohmann::json JobOptionsToJson(const JobOptions& options);
JobOptions JobOptionsFromJson(const nlohmann::json& opts);
// BullMQ's retention value (true, false, N, {count, age, limit}) as KeepJobs; nullopt if absent.
std::optional<KeepJobs> KeepJobsFromJson(const nlohmann::json& value);

struct Job {
  std::string id;
  std::string name;
  JobState state = JobState::kUnknown;
  nlohmann::json data;         // parsed `data`; null if it was not valid JSON (see malformed)
  nlohmann::json opts;         // parsed `opts`, as stored
  JobOptions options;          // the options the queue acts on, read from `opts`
  nlohmann::json progress;     // null until reported
  nlohmann::json returnvalue;  // null unless completed
  std::string failed_reason;
  std::string error_code;  // vidgen's `errorCode` field ("" if none)
  std::vector<std::string> stacktrace;
  int64_t attempts_made = 0;     // atm
  int64_t attempts_started = 0;  // ats
  int64_t stalled_count = 0;     // stc
  int64_t timestamp_ms = 0;
  int64_t delay_ms = 0;
  int priority = 0;
  int64_t processed_on_ms = 0;   // 0 = never started
  int64_t finished_on_ms = 0;    // 0 = not finished
  int64_t cancelled_at_ms = 0;   // 0 = not cancelled
  std::string processed_by;      // `pb`
  std::string deferred_failure;  // `defa`
  // Fields holding text that is not valid JSON, e.g. "data: parse error at byte 1". A foreign
  // producer can write such hashes; a consumer fails them instead of running them.
  std::string malformed;

  bool cancelled() const { return cancelled_at_ms != 0; }
};

// Builds a Job from a flat HGETALL field/value list (internal to the queue, exposed for tests).
Job JobFromHash(std::string id, const std::vector<std::pair<std::string, std::string>>& fields);

// The members of a JSON object text whose names are in `keys` (other members are stepped over
// without being decoded: what a status read needs of a job's data is a few top-level fields of
// a whole template). nullopt when the text is not a well-formed object as far as the scan can
// tell, or has a member name with escapes: the caller then parses it fully. Exposed for tests.
std::optional<nlohmann::json> SelectTopLevelMembers(std::string_view text,
                                                    std::span<const std::string_view> keys);

}  // namespace vg::queue

// Producer: job creation and the client-side reads and transitions, over the embedded scripts.
#include "queue/producer.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/check.h"
#include "queue/async_pipeline.h"
#include "queue/redis_connection.h"
#include "queue/scripts.h"

namespace vg::queue {
namespace {

using internal::HashPairs;
using internal::Reply;
using internal::Script;

constexpr size_t kJobsPerAddCall = 100;   // jobs per add_jobs script call
constexpr size_t kCallsPerPipeline = 20;  // script calls per round trip

// A get_job reply ([state, hash pairs]) as a Job; `data_keys` null = the whole of `data`.
Result<Job> JobFromReply(std::string_view id, const Reply& reply,
                         const std::span<const std::string_view>* data_keys) {
  if (reply.elements.size() != 2 || reply.elements[0].text == "missing") {
    return Error(ErrorCode::kNotFound, fmt::format("Job {} does not exist.", id));
  }
  std::vector<std::pair<std::string, std::string>> fields = HashPairs(reply.elements[1]);
  std::string data_text;
  bool summarise = false;
  if (data_keys) {
    auto it =
        std::find_if(fields.begin(), fields.end(), [](const auto& f) { return f.first == "data"; });
    // Only an object is reduced; anything else goes through JobFromHash unchanged.
    size_t first = it == fields.end() ? std::string::npos : it->second.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && it->second[first] == '{') {
      data_text = std::move(it->second);
      fields.erase(it);
      summarise = true;
    }
  }
  Job job = JobFromHash(std::string(id), fields);
  job.state = ParseJobState(reply.elements[0].text);
  if (summarise) {
    const auto& keep = *data_keys;
    if (std::optional<nlohmann::json> selected = SelectTopLevelMembers(data_text, keep)) {
      job.data = std::move(*selected);
      return job;
    }
    // Not plainly well formed: the full parse decides (and reports what is wrong).
    nlohmann::json::parser_callback_t filter =
        [&keep](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          if (depth != 1 || event != nlohmann::json::parse_event_t::key) return true;
          const std::string& key = parsed.get_ref<const std::string&>();
          return std::find(keep.begin(), keep.end(), key) != keep.end();
        };
    job.data = nlohmann::json::parse(data_text, filter, /*allow_exceptions=*/false);
    if (job.data.is_discarded()) {
      job.data = nullptr;
      if (!job.malformed.empty()) job.malformed += "; ";
      job.malformed += "data is not valid JSON";
    }
  }
  return job;
}

// The [id, duplicated] pairs of add_jobs replies.
void AppendAddResults(const Reply& reply, std::vector<AddResult>* results) {
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    results->push_back({reply.elements[i].text, reply.elements[i + 1].AsInteger() == 1});
  }
}

}  // namespace

Status ValidateCustomJobId(std::string_view id) {
  if (id.empty() || id == "0" || id.starts_with("0:")) {
    return Error(ErrorCode::kInvalidArgument,
                 "A custom job id must not be empty, 0 or start with 0:.");
  }
  if (id.find(':') != std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument, "A custom job id must not contain ':'.");
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (ec == std::errc() && end == id.data() + id.size()) {
    return Error(ErrorCode::kInvalidArgument, "A custom job id must not be an integer.");
  }
  return Status::Ok();
}

Status AppendFollowUp(const FollowUp& follow_up, int64_t now, std::vector<std::string>* keys,
                      std::vector<std::string>* args) {
  QueueKeys target(follow_up.queue);
  std::vector<std::string> add_keys = target.AddKeys();
  keys->insert(keys->end(), add_keys.begin(), add_keys.end());
  args->push_back(target.Base());
  return Producer::AppendAdd(*args, follow_up.job.name, follow_up.job.data, follow_up.job.options,
                             now);
}

Producer::Producer(RedisOptions redis, QueueName queue, const Clock* clock)
    : keys_(queue),
      clock_(clock ? clock : &system_clock_),
      connection_(std::make_unique<internal::RedisConnection>(redis, "")),
      redis_(std::move(redis)) {
  add_keys_ = keys_.AddKeys();
}

Producer::~Producer() = default;

std::vector<std::string> Producer::GetJobKeys(std::string_view id) const {
  return {keys_.Job(id),        keys_.Key("completed"),        keys_.Key("failed"),
          keys_.Key("delayed"), keys_.Key("prioritized"),      keys_.Key("active"),
          keys_.Key("wait"),    keys_.Key("waiting-children"), keys_.Key("paused")};
}

Status Producer::AppendAdd(std::vector<std::string>& args, std::string_view name,
                           const nlohmann::json& data, const JobOptions& o, int64_t now) {
  if (o.job_id) VG_RETURN_IF_ERROR(ValidateCustomJobId(*o.job_id));
  if (o.priority < 0 || o.priority > 2097151) {
    return Error(ErrorCode::kInvalidArgument, "Priority must be between 0 and 2097151.");
  }
  if (o.delay_ms < 0) return Error(ErrorCode::kInvalidArgument, "Delay must not be negative.");
  args.push_back(o.job_id.value_or(""));
  args.emplace_back(name);
  args.push_back(data.dump());
  args.push_back(JobOptionsJsonText(o));
  args.push_back(std::to_string(o.timestamp_ms.value_or(now)));
  args.push_back(std::to_string(o.delay_ms));
  args.push_back(std::to_string(o.priority));
  args.push_back(o.lifo ? "1" : "0");
  return Status::Ok();
}

Result<std::vector<AddResult>> Producer::RunAdds(std::vector<std::vector<std::string>> calls,
                                                 size_t job_count) {
  const std::vector<std::string>& keys = AddKeys();
  std::vector<AddResult> results;
  results.reserve(job_count);
  std::lock_guard lock(mutex_);
  for (size_t first = 0; first < calls.size(); first += kCallsPerPipeline) {
    std::vector<std::vector<std::string>> batch(
        std::make_move_iterator(calls.begin() + first),
        std::make_move_iterator(calls.begin() + std::min(calls.size(), first + kCallsPerPipeline)));
    VG_ASSIGN_OR_RETURN(std::vector<Reply> replies,
                        connection_->EvalPipeline(Script("add_jobs"), keys, batch));
    for (const Reply& reply : replies) AppendAddResults(reply, &results);
  }
  return results;
}

Result<std::vector<AddResult>> Producer::AddBulk(const std::vector<NewJob>& jobs) {
  std::vector<std::vector<std::string>> calls;
  int64_t now = clock_->NowUnixMs();
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (i % kJobsPerAddCall == 0) {
      calls.emplace_back();
      calls.back().reserve(1 + 8 * std::min(kJobsPerAddCall, jobs.size() - i));
      calls.back().push_back(keys_.Base());
    }
    VG_RETURN_IF_ERROR(AppendAdd(calls.back(), jobs[i].name, jobs[i].data, jobs[i].options, now));
  }
  return RunAdds(std::move(calls), jobs.size());
}

Result<AddResult> Producer::Add(std::string_view name, const nlohmann::json& data,
                                const JobOptions& options) {
  // Straight to the script's arguments: `data` is dumped once, never copied.
  std::vector<std::vector<std::string>> calls(1);
  calls[0].reserve(9);
  calls[0].push_back(keys_.Base());
  VG_RETURN_IF_ERROR(AppendAdd(calls[0], name, data, options, clock_->NowUnixMs()));
  VG_ASSIGN_OR_RETURN(std::vector<AddResult> results, RunAdds(std::move(calls), 1));
  if (results.size() != 1) return Error(ErrorCode::kInternal, "add_jobs returned no job id.");
  return results[0];
}

Result<Job> Producer::GetJob(std::string_view id) { return ReadJob(id, nullptr); }

Result<Job> Producer::GetJobSummary(std::string_view id,
                                    std::span<const std::string_view> data_keys) {
  return ReadJob(id, &data_keys);
}

Result<Job> Producer::ReadJob(std::string_view id,
                              const std::span<const std::string_view>* data_keys) {
  Reply reply;
  {
    std::lock_guard lock(mutex_);
    VG_ASSIGN_OR_RETURN(reply,
                        connection_->Eval(Script("get_job"), GetJobKeys(id), {std::string(id)}));
  }
  return JobFromReply(id, reply, data_keys);
}

internal::AsyncPipeline& Producer::Async() {
  std::lock_guard lock(async_mutex_);
  if (async_.empty()) {
    for (int i = 0; i < async_connections_; ++i) {
      async_.push_back(std::make_unique<internal::AsyncPipeline>(redis_, "", io_watcher_));
    }
  }
  return *async_[next_async_++ % async_.size()];
}

void Producer::UseIoWatcher(IoWatcher* watcher, int connections) {
  std::lock_guard lock(async_mutex_);
  VG_CHECK(async_.empty());
  io_watcher_ = watcher;
  async_connections_ = std::max(1, connections);
}

void Producer::GetJobSummaryAsync(std::string id, std::span<const std::string_view> data_keys,
                                  std::function<void(Result<Job>)> done) {
  std::vector<std::string> keys = GetJobKeys(id);
  std::vector<std::string> args = {id};
  Async().Submit(&Script("get_job"), std::move(keys), std::move(args),
                 [id = std::move(id), data_keys, done = std::move(done)](Result<Reply> reply) {
                   if (!reply.ok()) return done(reply.error());
                   done(JobFromReply(id, *reply, &data_keys));
                 });
}

void Producer::AddAsync(std::string_view name, const nlohmann::json& data,
                        const JobOptions& options, std::function<void(Result<AddResult>)> done,
                        const AddIndexEntry* index) {
  std::vector<std::string> args;
  args.reserve(10);
  args.push_back(keys_.Base());
  Status valid = AppendAdd(args, name, data, options, clock_->NowUnixMs());
  if (!valid.ok()) return done(valid);
  std::vector<std::string> keys = AddKeys();
  if (index) {
    keys.push_back(index->key);
    args.push_back(std::to_string(std::max<int64_t>(0, index->trim_below_ms)));
  }
  Async().Submit(&Script("add_jobs"), std::move(keys), std::move(args),
                 [done = std::move(done)](Result<Reply> reply) {
                   if (!reply.ok()) return done(reply.error());
                   std::vector<AddResult> results;
                   AppendAddResults(*reply, &results);
                   if (results.size() != 1) {
                     return done(Error(ErrorCode::kInternal, "add_jobs returned no job id."));
                   }
                   done(std::move(results[0]));
                 });
}

void Producer::CommandsAsync(std::vector<std::vector<std::string>> commands,
                             std::function<void(Status)> done) {
  if (commands.empty()) return done(Status::Ok());
  // Calls run in submission order, so the last command's callback comes last.
  auto first_error = std::make_shared<Status>(Status::Ok());
  internal::AsyncPipeline& pipeline = Async();
  for (size_t i = 0; i < commands.size(); ++i) {
    const bool last = i + 1 == commands.size();
    internal::AsyncPipeline::Done step = [first_error](Result<Reply> reply) {
      if (first_error->ok() && !reply.ok()) *first_error = reply.error();
    };
    if (last) {
      step = [first_error, done](Result<Reply> reply) {
        if (first_error->ok() && !reply.ok()) *first_error = reply.error();
        done(*first_error);
      };
    }
    pipeline.Submit(nullptr, {}, std::move(commands[i]), std::move(step));
  }
}

Result<JobCounts> Producer::GetCounts() {
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(std::vector<Reply> r,
                      connection_->Pipeline({{"LLEN", keys_.Key("wait")},
                                             {"ZCARD", keys_.Key("prioritized")},
                                             {"ZCARD", keys_.Key("delayed")},
                                             {"LLEN", keys_.Key("active")},
                                             {"ZCARD", keys_.Key("completed")},
                                             {"ZCARD", keys_.Key("failed")},
                                             {"ZCARD", keys_.Key("waiting-children")}}));
  for (const Reply& reply : r) {
    if (reply.type == Reply::Type::kError) return Error(ErrorCode::kInternal, reply.text);
  }
  return JobCounts{r[0].integer, r[1].integer, r[2].integer, r[3].integer,
                   r[4].integer, r[5].integer, r[6].integer};
}

Result<std::vector<Job>> Producer::ListJobs(JobState state, int64_t offset, int64_t limit) {
  if (offset < 0 || limit <= 0) return std::vector<Job>{};
  std::vector<std::string> range_command;
  std::string start = std::to_string(offset);
  std::string stop = std::to_string(offset + limit - 1);
  switch (state) {
    case JobState::kWaiting:
      range_command = {"LRANGE", keys_.Key("wait"), start, stop};
      break;
    case JobState::kActive:
      range_command = {"LRANGE", keys_.Key("active"), start, stop};
      break;
    case JobState::kPrioritized:
      range_command = {"ZRANGE", keys_.Key("prioritized"), start, stop};
      break;
    case JobState::kDelayed:
    case JobState::kCompleted:
    case JobState::kFailed:
    case JobState::kWaitingChildren: {
      std::string key = keys_.Key(JobStateName(state));
      range_command = {"ZREVRANGE", key, start, stop};
      break;
    }
    case JobState::kUnknown:
      return Error(ErrorCode::kInvalidArgument, "Cannot list jobs in the unknown state.");
  }
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(Reply ids, connection_->Command(range_command));
  std::vector<std::vector<std::string>> reads;
  reads.reserve(ids.elements.size());
  for (const Reply& id : ids.elements) reads.push_back({"HGETALL", keys_.Job(id.text)});
  std::vector<Job> jobs;
  if (reads.empty()) return jobs;
  VG_ASSIGN_OR_RETURN(std::vector<Reply> hashes, connection_->Pipeline(reads));
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (hashes[i].elements.empty()) continue;
    Job job = JobFromHash(ids.elements[i].text, HashPairs(hashes[i]));
    job.state = state;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

Status Producer::Remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(
      Reply reply,
      connection_->Eval(
          Script("remove_job"),
          {keys_.Key("completed"), keys_.Key("waiting-children"), keys_.Key("delayed"),
           keys_.Key("failed"), keys_.Key("prioritized"), keys_.Key("wait"), keys_.Key("paused"),
           keys_.Key("active"), keys_.Key("events"), keys_.Key("meta")},
          {keys_.Base(), std::string(id)}));
  switch (reply.AsInteger()) {
    case 1:
      return Status::Ok();
    case 0:
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("Job {} is being processed by a worker and cannot be removed.", id));
    default:
      return Error(ErrorCode::kNotFound, fmt::format("Job {} does not exist.", id));
  }
}

namespace {
std::vector<std::string> PauseKeys(const QueueKeys& k) {
  return {k.Key("meta"),   k.Key("marker"),      k.Key("events"), k.Key("wait"),
          k.Key("paused"), k.Key("prioritized"), k.Key("delayed")};
}
}  // namespace

Status Producer::Pause() {
  std::lock_guard lock(mutex_);
  return connection_->Eval(Script("pause"), PauseKeys(keys_), {"paused"}).status();
}

Status Producer::Resume() {
  std::lock_guard lock(mutex_);
  return connection_->Eval(Script("pause"), PauseKeys(keys_), {"resumed"}).status();
}

Result<bool> Producer::IsPaused() {
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(Reply reply, connection_->Command({"HEXISTS", keys_.Key("meta"), "paused"}));
  return reply.AsInteger() == 1;
}

Result<CancelOutcome> Producer::Cancel(std::string_view id, const FollowUp* follow_up) {
  int64_t now = clock_->NowUnixMs();
  std::vector<std::string> keys = {
      keys_.Key("wait"),      keys_.Key("active"),  keys_.Key("prioritized"),
      keys_.Key("events"),    keys_.Key("delayed"), keys_.Key("failed"),
      keys_.Key("completed"), keys_.Key("meta"),    keys_.Key("paused")};
  std::vector<std::string> args = {keys_.Base(), std::string(id), std::to_string(now), "cancelled",
                                   std::string(ErrorCodeName(ErrorCode::kCancelled))};
  if (follow_up) VG_RETURN_IF_ERROR(AppendFollowUp(*follow_up, now, &keys, &args));
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(Reply reply, connection_->Eval(Script("cancel_job"), keys, args));
  switch (reply.AsInteger()) {
    case 1:
      return CancelOutcome::kCancelled;
    case 2:
      return CancelOutcome::kCancelRequested;
    case -1:
      return Error(ErrorCode::kNotFound, fmt::format("Job {} does not exist.", id));
    case -2:
      return Error(ErrorCode::kAlreadyFinished, fmt::format("Job {} has already finished.", id));
    default:
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("Job {} is in a state that cannot be cancelled.", id));
  }
}

Status Producer::Retry(std::string_view id) {
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(Reply reply, connection_->Eval(Script("reprocess_job"),
                                                     {keys_.Key("wait"), keys_.Key("active"),
                                                      keys_.Key("prioritized"), keys_.Key("events"),
                                                      keys_.Key("failed"), keys_.Key("meta"),
                                                      keys_.Key("marker"), keys_.Key("pc")},
                                                     {keys_.Base(), std::string(id)}));
  switch (reply.AsInteger()) {
    case 1:
      return Status::Ok();
    case -1:
      return Error(ErrorCode::kNotFound, fmt::format("Job {} does not exist.", id));
    default:
      return Error(ErrorCode::kNotRetryable,
                   fmt::format("Job {} is not failed, so it cannot be retried.", id));
  }
}

Status Producer::AddLog(std::string_view id, std::string_view line) {
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(Reply reply,
                      connection_->Eval(Script("add_log"), {keys_.Job(id), keys_.Logs(id)},
                                        {std::string(line), "0"}));
  if (reply.AsInteger() < 0) {
    return Error(ErrorCode::kNotFound, fmt::format("Job {} does not exist.", id));
  }
  return Status::Ok();
}

}  // namespace vg::queue

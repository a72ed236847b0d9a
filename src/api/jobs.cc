// JobsService: job endpoints as plain functions over the queue (see jobs.h).
#include "api/jobs.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "api/auth.h"
#include "notify/webhooks.h"
#include "obs/log.h"
#include "queue/owner_index.h"
#include "queue/producer.h"
#include "storage/blob_store.h"
#include "tmpl/load.h"

namespace vg::api {
namespace {

constexpr size_t kMaxIdempotencyKeyBytes = 200;
constexpr std::string_view kStatuses[] = {"queued",    "delayed", "active",
                                          "completed", "failed",  "cancelled"};

Status NotFound() { return Status(ErrorCode::kNotFound, "There is no such job."); }

// The top-level keys of a job's `data` that the read paths here and the WebSocket hub use
// (owner check, metadata, cancel webhook, idempotency hash). The stored template and input,
// by far the largest part, are skipped while parsing (Producer::GetJobSummary).
constexpr std::string_view kSummaryDataKeys[] = {"owner", "metadata", "webhookUrl", "requestHash"};

// A cursor is base64url("<timestamp_ms>:<job id>") of the last entry of the previous page.
std::string EncodeCursor(const queue::OwnerIndexEntry& e) {
  return Base64UrlEncode(fmt::format("{}:{}", e.timestamp_ms, e.job_id));
}

bool DecodeCursor(std::string_view cursor, queue::OwnerIndexEntry* e) {
  std::string text;
  if (cursor.size() > 512 || !Base64UrlDecode(cursor, &text)) return false;
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  try {
    size_t used = 0;
    e->timestamp_ms = std::stoll(text.substr(0, colon), &used);
    if (used != colon) return false;
  } catch (...) {
    return false;
  }
  e->job_id = text.substr(colon + 1);
  return true;
}

std::string ThumbnailKeyOf(const nlohmann::json& rv, const std::string& storage_key) {
  if (rv.contains("thumbnailKey") && rv["thumbnailKey"].is_string()) {
    return rv["thumbnailKey"].get<std::string>();
  }
  // Stored beside the video (API.md "Thumbnails"): same name, .jpg.
  size_t dot = storage_key.rfind('.');
  size_t slash = storage_key.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return storage_key + ".jpg";
  return storage_key.substr(0, dot) + ".jpg";
}

}  // namespace

std::string_view StatusOf(const queue::Job& job) {
  switch (job.state) {
    case queue::JobState::kDelayed:
      return "delayed";
    case queue::JobState::kActive:
      return "active";
    case queue::JobState::kCompleted:
      return "completed";
    case queue::JobState::kFailed:
      return job.cancelled() || job.failed_reason == "cancelled" ? "cancelled" : "failed";
    default:
      return "queued";
  }
}

std::string IdempotentJobId(std::string_view owner, std::string_view key) {
  return "idem-" + Sha256Hex(std::string(owner) + ":" + std::string(key)).substr(0, 32);
}

JobsService::JobsService(const config::Config& config, JobsDependencies deps, bool auth_enabled)
    : config_(config), deps_(std::move(deps)), auth_enabled_(auth_enabled) {
  if (!deps_.resolver) deps_.resolver = SystemHostResolver();
}

bool JobsService::Visible(const nlohmann::json& data, std::string_view owner) const {
  if (data.is_object() && data.contains("owner") && data["owner"].is_string()) {
    return data["owner"].get<std::string>() == owner;
  }
  // A job from a foreign producer carries no owner: visible only while auth is off.
  return !auth_enabled_;
}

Result<queue::Job> JobsService::VisibleJob(std::string_view owner, std::string_view job_id) {
  if (job_id.empty() || job_id.size() > 256) return NotFound();
  auto job = deps_.producers->Acquire()->GetJobSummary(job_id, kSummaryDataKeys);
  if (!job.ok()) return job.error();
  if (!Visible(job->data, owner)) return NotFound();
  return job;
}

Result<queue::Job> JobsService::RawJob(std::string_view job_id) {
  return deps_.producers->Acquire()->GetJobSummary(job_id, kSummaryDataKeys);
}

nlohmann::json JobsService::ResultJson(const nlohmann::json& returnvalue) const {
  if (!returnvalue.is_object()) return returnvalue;
  nlohmann::json result = returnvalue;
  if (deps_.blob_store && result.contains("storageKey") && result["storageKey"].is_string()) {
    std::string key = result["storageKey"].get<std::string>();
    auto signed_url = deps_.blob_store->Sign(key, config_.signed_url_ttl_s);
    if (signed_url.ok()) {
      result["url"] = signed_url->url;
      result["expiresAt"] = FormatIsoUtc(signed_url->expires_unix_s * 1000);
      auto thumb =
          deps_.blob_store->Sign(ThumbnailKeyOf(returnvalue, key), config_.signed_url_ttl_s);
      if (thumb.ok()) result["thumbnailUrl"] = thumb->url;
    } else {
      obs::Log(obs::Level::kWarn, "api.sign_failed", {{"error", signed_url.error().ToString()}});
    }
  }
  return result;
}

nlohmann::json JobsService::StatusJson(const queue::Job& job) const {
  std::string_view status = StatusOf(job);
  nlohmann::json doc = {{"jobId", job.id}, {"status", status}};
  double progress = 0;
  if (job.progress.is_number()) progress = job.progress.get<double>();
  if (status == "completed" && !job.progress.is_number()) progress = 100;
  doc["progress"] = progress;
  doc["attemptsMade"] = job.attempts_made;
  doc["createdAt"] = FormatIsoUtc(job.timestamp_ms);
  if (job.processed_on_ms > 0) doc["startedAt"] = FormatIsoUtc(job.processed_on_ms);
  if (job.finished_on_ms > 0) doc["finishedAt"] = FormatIsoUtc(job.finished_on_ms);
  if (status == "completed") doc["result"] = ResultJson(job.returnvalue);
  if (status == "failed" || status == "cancelled") {
    std::string code = job.error_code;
    if (code.empty()) code = status == "cancelled" ? "cancelled" : "render_failed";
    doc["error"] = {
        {"code", code},
        {"message", job.failed_reason.empty() ? std::string(status) : job.failed_reason}};
  }
  if (job.data.is_object() && job.data.contains("metadata")) doc["metadata"] = job.data["metadata"];
  return doc;
}

void JobsService::GenerateAsync(std::string owner, std::string_view body,
                                std::string_view idempotency_key,
                                std::function<void(Result<Accepted>)> done) {
  // `done` is called exactly once: a refusal (or a throw) before the queue took the call
  // answers from here.
  Status started = Status::Ok();
  try {
    started = StartGenerate(std::move(owner), body, idempotency_key, done);
  } catch (const std::exception& e) {
    started = Status(ErrorCode::kInternal, e.what());
  }
  if (!started.ok()) done(std::move(started));
}

Status JobsService::StartGenerate(std::string owner, std::string_view body,
                                  std::string_view idempotency_key,
                                  std::function<void(Result<Accepted>)>& done) {
  if (idempotency_key.size() > kMaxIdempotencyKeyBytes ||
      std::any_of(idempotency_key.begin(), idempotency_key.end(),
                  [](char c) { return c < 0x20 || c > 0x7e; })) {
    return Status(ErrorCode::kInvalidArgument,
                  "Idempotency-Key must be at most 200 printable ASCII characters.");
  }
  const int64_t now = deps_.clock->NowUnixMs();
  VG_ASSIGN_OR_RETURN(Submission submission, ParseSubmission(body, config_, now, deps_.resolver));
  nlohmann::json data = std::move(submission.job_data);
  data["owner"] = owner;
  // A replayed Idempotency-Key is told apart from a reuse with another body by this hash; a
  // job without a key can never be replayed, so it needs none.
  std::string request_hash;
  if (!idempotency_key.empty()) {
    request_hash = Sha256Hex(body);
    data["requestHash"] = request_hash;
  }

  queue::JobOptions options;
  options.attempts = config_.job_attempts;
  options.backoff.type = queue::Backoff::Type::kExponential;
  options.backoff.delay_ms = config_.job_backoff_ms;
  options.remove_on_complete =
      queue::KeepJobs{-1, int64_t{config_.completed_job_ttl_days} * 86400, 1000};
  options.remove_on_fail = queue::KeepJobs{-1, int64_t{config_.failed_job_ttl_days} * 86400, 1000};
  options.priority = submission.priority;
  options.delay_ms = submission.delay_ms;
  options.timestamp_ms = now;
  if (!idempotency_key.empty()) options.job_id = IdempotentJobId(owner, idempotency_key);

  auto accept = [](const std::string& id, int64_t created_ms) {
    Accepted accepted;
    accepted.location = "/api/video/status/" + id;
    accepted.body = {{"jobId", id},
                     {"status", "queued"},
                     {"statusUrl", accepted.location},
                     {"createdAt", FormatIsoUtc(created_ms)}};
    return accepted;
  };
  // The owner index entry goes in with the add (one script call), trimmed of entries older
  // than the longest history.
  const int64_t keep_ms =
      int64_t{std::max(config_.completed_job_ttl_days, config_.failed_job_ttl_days)} * 86400 * 1000;
  queue::AddIndexEntry index{queue::OwnerIndex::KeyFor(deps_.async_producer->keys(), owner),
                             keep_ms > 0 ? now - keep_ms : 0};
  deps_.async_producer->AddAsync(
      "render", data, options,
      [this, request_hash = std::move(request_hash), now, accept,
       done = std::move(done)](Result<queue::AddResult> added) mutable {
        if (!added.ok()) return done(added.error());
        if (!added->duplicated) return done(accept(added->id, now));
        // A replayed Idempotency-Key: the same body gets the first answer again.
        deps_.async_producer->GetJobSummaryAsync(
            added->id, kSummaryDataKeys,
            [request_hash = std::move(request_hash), accept,
             done = std::move(done)](Result<queue::Job> existing) {
              if (!existing.ok()) return done(existing.error());
              std::string stored_hash =
                  existing->data.is_object() ? existing->data.value("requestHash", "") : "";
              if (stored_hash != request_hash) {
                return done(Status(ErrorCode::kIdempotencyConflict,
                                   "This Idempotency-Key was used with a different request "
                                   "body."));
              }
              done(accept(existing->id, existing->timestamp_ms));
            });
      },
      &index);
  return Status::Ok();
}

Result<nlohmann::json> JobsService::Validate(std::string_view body) {
  VG_ASSIGN_OR_RETURN(Submission submission,
                      ParseSubmission(body, config_, deps_.clock->NowUnixMs(), deps_.resolver));
  const tmpl::Template& t = submission.tmpl;
  nlohmann::json out = {{"valid", true},
                        {"width", t.output.width},
                        {"height", t.output.height},
                        {"fps", t.output.fps.ToDouble()}};
  if (auto duration = tmpl::KnownDuration(t)) {
    out["durationSec"] = *duration;
    out["frames"] = RoundTimeToIndex(*duration, t.output.fps);
  } else {
    out["durationSec"] = nullptr;
    out["frames"] = nullptr;
  }
  return out;
}

void JobsService::GetStatusAsync(std::string owner, std::string job_id,
                                 std::function<void(Result<nlohmann::json>)> done) {
  if (job_id.empty() || job_id.size() > 256) return done(NotFound());
  deps_.async_producer->GetJobSummaryAsync(
      std::move(job_id), kSummaryDataKeys,
      [this, owner = std::move(owner), done = std::move(done)](Result<queue::Job> job) {
        if (!job.ok()) return done(job.error());
        if (!Visible(job->data, owner)) return done(NotFound());
        done(StatusJson(*job));
      });
}

Result<nlohmann::json> JobsService::Cancel(std::string_view owner, std::string_view job_id) {
  VG_ASSIGN_OR_RETURN(queue::Job job, VisibleJob(owner, job_id));
  // A queued job cancelled here gets its webhook delivery from the cancel's own script call
  // (API.md "cancel": this process finalised it), so the delivery exists if and only if the
  // cancel happened. An active job's worker ends it and adds the delivery itself.
  std::optional<queue::FollowUp> delivery;
  std::optional<notify::WebhookEvent> event =
      deps_.webhooks ? notify::WebhookEventFor(
                           job, queue::FinalState::kCancelled,
                           queue::JobOutcome::Failed(Status(ErrorCode::kCancelled, "cancelled")))
                     : std::nullopt;
  if (event) {
    Result<queue::FollowUp> built = deps_.webhooks->DeliveryFor(*event);
    if (built.ok()) {
      delivery = std::move(*built);
    } else {
      obs::Log(obs::Level::kWarn, "api.webhook_refused",
               {{"job", job.id}, {"error", built.error().ToString()}});
    }
  }
  VG_ASSIGN_OR_RETURN(queue::CancelOutcome outcome,
                      deps_.producers->Acquire()->Cancel(job_id, delivery ? &*delivery : nullptr));
  if (outcome == queue::CancelOutcome::kCancelRequested) {
    return nlohmann::json{{"jobId", job.id}, {"status", "cancelling"}};
  }
  if (delivery) {
    obs::Log(obs::Level::kInfo, "webhook.enqueued",
             {{"job_id", job.id},
              {"webhook_id", *delivery->job.options.job_id},
              {"type", "video.cancelled"}});
  }
  return nlohmann::json{{"jobId", job.id}, {"status", "cancelled"}};
}

Result<JobsService::Accepted> JobsService::Retry(std::string_view owner, std::string_view job_id) {
  VG_ASSIGN_OR_RETURN(queue::Job job, VisibleJob(owner, job_id));
  VG_RETURN_IF_ERROR(deps_.producers->Acquire()->Retry(job_id));
  Accepted accepted;
  accepted.location = "/api/video/status/" + job.id;
  accepted.body = {{"jobId", job.id},
                   {"status", "queued"},
                   {"statusUrl", accepted.location},
                   {"createdAt", FormatIsoUtc(job.timestamp_ms)}};
  return accepted;
}

Result<nlohmann::json> JobsService::List(std::string_view owner, std::string_view status,
                                         int64_t limit, std::string_view cursor) {
  if (!status.empty() &&
      std::find(std::begin(kStatuses), std::end(kStatuses), status) == std::end(kStatuses)) {
    return Status(ErrorCode::kInvalidArgument,
                  "status must be one of queued, delayed, active, completed, failed, cancelled.");
  }
  if (limit < 1 || limit > 100) {
    return Status(ErrorCode::kInvalidArgument, "limit must be from 1 to 100.");
  }
  std::optional<queue::OwnerIndexEntry> after;
  if (!cursor.empty()) {
    queue::OwnerIndexEntry e;
    if (!DecodeCursor(cursor, &e))
      return Status(ErrorCode::kInvalidArgument, "The cursor is not valid.");
    after = e;
  }
  nlohmann::json jobs = nlohmann::json::array();
  std::optional<queue::OwnerIndexEntry> last;
  bool more = false;
  const int64_t batch = std::max<int64_t>(limit, 50);
  // Scan the index newest first until the page is full or the index ends.
  for (int rounds = 0; rounds < 100 && !more; ++rounds) {
    VG_ASSIGN_OR_RETURN(std::vector<queue::OwnerIndexEntry> entries,
                        deps_.owner_indexes->Acquire()->List(owner, after, batch));
    if (entries.empty()) break;
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      after = e;
      auto job = deps_.producers->Acquire()->GetJobSummary(e.job_id, kSummaryDataKeys);
      if (!job.ok()) {
        if (job.error().code() != ErrorCode::kNotFound) return job.error();
        (void)deps_.owner_indexes->Acquire()->Remove(owner, e.job_id);  // expired with the history
        continue;
      }
      if (!Visible(job->data, owner)) continue;
      if (!status.empty() && StatusOf(*job) != status) continue;
      if (static_cast<int64_t>(jobs.size()) == limit) {
        more = true;
        break;
      }
      jobs.push_back(StatusJson(*job));
      last = e;
    }
    if (static_cast<int64_t>(entries.size()) < batch) break;
  }
  nlohmann::json out = {{"jobs", std::move(jobs)}, {"nextCursor", nullptr}};
  if (more && last) out["nextCursor"] = EncodeCursor(*last);
  return out;
}

}  // namespace vg::api

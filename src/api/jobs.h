// JobsService: the plain functions behind the job endpoints (API.md "Jobs"): generate (with
// Idempotency-Key and the owner index), validate, status, cancel, retry and the owner's job
// list, plus the status document the WebSocket hub sends. Handlers parse the request, call one
// method and map its Status to HTTP in one place (http_errors.h).
//
// Thread safety: every method is thread-safe (the borrowed pools, BlobStore and WebhookQueue
// are); each Redis call leases a Producer or OwnerIndex from its pool for that call only.
// Ownership: everything passed in is borrowed and must outlive the service.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/connection_pool.h"
#include "api/submission.h"
#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "queue/job.h"

namespace vg::queue {
class Producer;
class OwnerIndex;
}  // namespace vg::queue
namespace vg::storage {
class BlobStore;
}
namespace vg::notify {
class WebhookQueue;
}

namespace vg::api {

struct JobsDependencies {
  // Required: runs the hot routes' calls (GenerateAsync, GetStatusAsync) on its async
  // pipeline; the service's owner destroys it before the service.
  queue::Producer* async_producer = nullptr;
  ConnectionPool<queue::Producer>* producers = nullptr;        // required
  ConnectionPool<queue::OwnerIndex>* owner_indexes = nullptr;  // required
  storage::BlobStore* blob_store = nullptr;  // optional: result URLs are signed when set
  notify::WebhookQueue* webhooks = nullptr;  // optional: cancel webhooks are sent when set
  const Clock* clock = nullptr;              // required
  HostResolver resolver;                     // empty = SystemHostResolver()
};

// Our status of a BullMQ job: queued, delayed, active, completed, failed or cancelled.
std::string_view StatusOf(const queue::Job& job);

// The custom job id of an idempotent request: "idem-" + the first 32 hex of
// SHA-256(owner + ":" + key).
std::string IdempotentJobId(std::string_view owner, std::string_view key);

class JobsService {
 public:
  JobsService(const config::Config& config, JobsDependencies deps, bool auth_enabled);

  struct Accepted {
    nlohmann::json body;  // {jobId, status, statusUrl, createdAt}
    std::string location;
  };
  // `idempotency_key` "" = none. kInvalidArgument for a bad key; kIdempotencyConflict for a
  // replayed key with another body; the submission's errors; kQueueUnavailable.
  // The request is parsed and validated on the calling thread (a refusal calls `done` before
  // this returns); the queue's round trips never block it: `done` runs later on the async
  // producer's thread (keep it short).
  void GenerateAsync(std::string owner, std::string_view body, std::string_view idempotency_key,
                     std::function<void(Result<Accepted>)> done);
  Result<nlohmann::json> Validate(std::string_view body);
  // The status document, or not_found; `done` as for GenerateAsync.
  void GetStatusAsync(std::string owner, std::string job_id,
                      std::function<void(Result<nlohmann::json>)> done);
  Result<nlohmann::json> Cancel(std::string_view owner, std::string_view job_id);
  Result<Accepted> Retry(std::string_view owner, std::string_view job_id);
  // `status` "" = all; `limit` 1..100; `cursor` "" = newest first.
  Result<nlohmann::json> List(std::string_view owner, std::string_view status, int64_t limit,
                              std::string_view cursor);

  // The job, if `owner` may see it (not_found otherwise, exactly as for an unknown id). Its
  // `data` holds only owner, metadata, webhookUrl and requestHash (never the template/input).
  Result<queue::Job> VisibleJob(std::string_view owner, std::string_view job_id);
  // The job whatever its owner (the WebSocket hub checks visibility per session); `data` as
  // for VisibleJob.
  Result<queue::Job> RawJob(std::string_view job_id);
  // Whether `owner` may see a job whose data is `data`.
  bool Visible(const nlohmann::json& data, std::string_view owner) const;
  // The status document of API.md (result URLs signed afresh).
  nlohmann::json StatusJson(const queue::Job& job) const;
  // The `result` object of a completed job's return value, with url/thumbnailUrl/expiresAt.
  nlohmann::json ResultJson(const nlohmann::json& returnvalue) const;

 private:
  // GenerateAsync's work: a refusal is returned (and `done` left untouched); Ok means `done`
  // now belongs to the queue call.
  Status StartGenerate(std::string owner, std::string_view body, std::string_view idempotency_key,
                       std::function<void(Result<Accepted>)>& done);

  const config::Config& config_;
  JobsDependencies deps_;
  bool auth_enabled_;
};

}  // namespace vg::api

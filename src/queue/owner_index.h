// OwnerIndex: the per-owner job index of the API (API.md "GET /api/video/jobs"): one sorted set
// per owner, `<prefix>:<queue>:owner:<owner>`, member = job id, score = the job's timestamp
// (ms). The API adds a job when it accepts it and lists an owner's jobs newest first from it;
// entries whose job hash has expired with the history are trimmed as they are met, and
// entries older than the longest history are trimmed on every add.
//
// Thread safety: every method is thread-safe; calls share one connection and are serialised.
// Errors: queue_unavailable while Redis is down (reconnects on the next call).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "queue/queue_keys.h"
#include "queue/redis_options.h"

namespace vg::queue {

namespace internal {
class RedisConnection;
}

struct OwnerIndexEntry {
  std::string job_id;
  int64_t timestamp_ms = 0;
  bool operator==(const OwnerIndexEntry&) const = default;
};

class OwnerIndex {
 public:
  // Does not connect yet: the first call does.
  OwnerIndex(RedisOptions redis, QueueName queue);
  ~OwnerIndex();
  OwnerIndex(const OwnerIndex&) = delete;
  OwnerIndex& operator=(const OwnerIndex&) = delete;

  // "<prefix>:<queue>:owner:<owner>".
  std::string Key(std::string_view owner) const;
  static std::string KeyFor(const QueueKeys& keys, std::string_view owner);

  // Adds `job_id` with score `timestamp_ms`, and removes entries older than
  // `timestamp_ms - keep_ms` (keep_ms <= 0: keep all).
  Status Add(std::string_view owner, std::string_view job_id, int64_t timestamp_ms,
             int64_t keep_ms = 0);
  // The commands Add sends for the queue of `keys`, for callers that pipeline them themselves
  // (Producer::CommandsAsync with the producer's keys()).
  static std::vector<std::vector<std::string>> AddCommands(const QueueKeys& keys,
                                                           std::string_view owner,
                                                           std::string_view job_id,
                                                           int64_t timestamp_ms,
                                                           int64_t keep_ms = 0);
  // Removes one entry (a job found gone).
  Status Remove(std::string_view owner, std::string_view job_id);
  // Up to `count` entries newest first, strictly after `after` in that order (nullopt: from
  // the newest). Ties on the timestamp are ordered by id, descending.
  Result<std::vector<OwnerIndexEntry>> List(std::string_view owner,
                                            const std::optional<OwnerIndexEntry>& after,
                                            int64_t count);
  // One PING round trip (for /ready).
  Status Ping();

 private:
  QueueKeys keys_;
  std::mutex mutex_;  // serialises use of connection_
  std::unique_ptr<internal::RedisConnection> connection_;
};

}  // namespace vg::queue

// EventsReader: follows a queue's BullMQ events stream (`P:Q:events`) from "now" with
// XREAD BLOCK, for the API's WebSocket fan-out. Events are decoded into a name, the job id and
// the remaining fields, exactly as BullMQ wrote them (see reference/bullmq-layout.md §9).
//
// Thread safety: one thread reads; Interrupt() may be called from any other thread.
// Reconnects by itself after a Redis outage and resumes after the last event it returned.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "queue/queue_keys.h"
#include "queue/redis_options.h"

namespace vg::queue {

namespace internal {
class RedisConnection;
}

struct QueueEvent {
  std::string stream_id;  // "1732560011123-0"
  std::string name;       // "completed", "progress", "failed", "waiting", ...
  std::string job_id;     // "" for queue-wide events (drained, paused, resumed)
  // Every field after `event` and `jobId`, in stream order (e.g. returnvalue, prev).
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of `key`, or nullopt.
  std::optional<std::string> Field(std::string_view key) const;
};

class EventsReader {
 public:
  EventsReader(RedisOptions redis, QueueName queue);
  ~EventsReader();
  EventsReader(const EventsReader&) = delete;
  EventsReader& operator=(const EventsReader&) = delete;

  // Fixes the starting point at the stream's current end, so events added from now on are
  // read even if they arrive before the first Read. queue_unavailable if Redis is down.
  Status Open();
  // Waits up to `block_ms` for events after the last one returned (Open() is implied on the
  // first call) and returns up to `max_count` of them; empty on timeout or after Interrupt().
  Result<std::vector<QueueEvent>> Read(int64_t block_ms, int max_count = 500);
  // Breaks a Read in progress (shutdown); the next Read reconnects.
  void Interrupt();
  const std::string& last_id() const { return last_id_; }

 private:
  QueueKeys keys_;
  std::unique_ptr<internal::RedisConnection> connection_;
  std::string last_id_;  // "" until Open()
};

}  // namespace vg::queue

// EventsReader over XREVRANGE (start point) and XREAD BLOCK.
#include "queue/events.h"

#include <fmt/format.h>

#include "queue/redis_connection.h"

namespace vg::queue {

using internal::Reply;

std::optional<std::string> QueueEvent::Field(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return std::nullopt;
}

EventsReader::EventsReader(RedisOptions redis, QueueName queue)
    : keys_(queue),
      connection_(std::make_unique<internal::RedisConnection>(
          std::move(redis), WorkerConnectionName(queue, "") + ":qe")) {}

EventsReader::~EventsReader() = default;

Status EventsReader::Open() {
  VG_ASSIGN_OR_RETURN(
      Reply last, connection_->Command({"XREVRANGE", keys_.Key("events"), "+", "-", "COUNT", "1"}));
  last_id_ = last.elements.empty() ? "0-0" : last.elements[0].elements[0].text;
  return Status::Ok();
}

Result<std::vector<QueueEvent>> EventsReader::Read(int64_t block_ms, int max_count) {
  if (last_id_.empty()) VG_RETURN_IF_ERROR(Open());
  VG_ASSIGN_OR_RETURN(Reply reply, connection_->BlockingCommand(
                                       {"XREAD", "COUNT", std::to_string(max_count), "BLOCK",
                                        std::to_string(std::max<int64_t>(block_ms, 1)), "STREAMS",
                                        keys_.Key("events"), last_id_},
                                       block_ms));
  std::vector<QueueEvent> events;
  if (reply.IsNil() || reply.elements.empty()) return events;
  // [[stream, [[id, [k, v, ...]], ...]]]
  const Reply& entries = reply.elements[0].elements[1];
  events.reserve(entries.elements.size());
  for (const Reply& entry : entries.elements) {
    if (entry.elements.size() < 2) continue;
    QueueEvent event;
    event.stream_id = entry.elements[0].text;
    const auto& kv = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      const std::string& key = kv[i].text;
      if (key == "event") {
        event.name = kv[i + 1].text;
      } else if (key == "jobId") {
        event.job_id = kv[i + 1].text;
      } else {
        event.fields.emplace_back(key, kv[i + 1].text);
      }
    }
    last_id_ = event.stream_id;
    events.push_back(std::move(event));
  }
  return events;
}

void EventsReader::Interrupt() { connection_->Interrupt(); }

}  // namespace vg::queue

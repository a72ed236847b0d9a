// OwnerIndex: ZADD / ZREVRANGEBYSCORE over one sorted set per owner.
#include "queue/owner_index.h"

#include <fmt/format.h>

#include "queue/redis_connection.h"

namespace vg::queue {

using internal::Reply;

OwnerIndex::OwnerIndex(RedisOptions redis, QueueName queue)
    : keys_(queue),
      connection_(std::make_unique<internal::RedisConnection>(std::move(redis), "")) {}

OwnerIndex::~OwnerIndex() = default;

namespace {

std::string KeyOf(const QueueKeys& keys, std::string_view owner) {
  return keys.Key("owner:") + std::string(owner);
}

}  // namespace

std::string OwnerIndex::Key(std::string_view owner) const { return KeyOf(keys_, owner); }

std::string OwnerIndex::KeyFor(const QueueKeys& keys, std::string_view owner) {
  return KeyOf(keys, owner);
}

std::vector<std::vector<std::string>> OwnerIndex::AddCommands(const QueueKeys& keys,
                                                              std::string_view owner,
                                                              std::string_view job_id,
                                                              int64_t timestamp_ms,
                                                              int64_t keep_ms) {
  std::vector<std::vector<std::string>> commands;
  std::string key = KeyOf(keys, owner);
  commands.push_back({"ZADD", key, std::to_string(timestamp_ms), std::string(job_id)});
  if (keep_ms > 0) {
    commands.push_back(
        {"ZREMRANGEBYSCORE", key, "-inf", fmt::format("({}", timestamp_ms - keep_ms)});
  }
  return commands;
}

Status OwnerIndex::Add(std::string_view owner, std::string_view job_id, int64_t timestamp_ms,
                       int64_t keep_ms) {
  std::vector<std::vector<std::string>> commands =
      AddCommands(keys_, owner, job_id, timestamp_ms, keep_ms);
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(std::vector<Reply> replies, connection_->Pipeline(commands));
  for (const Reply& r : replies) {
    if (r.type == Reply::Type::kError) return Error(ErrorCode::kInternal, r.text);
  }
  return Status::Ok();
}

Status OwnerIndex::Remove(std::string_view owner, std::string_view job_id) {
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(Reply r, connection_->Command({"ZREM", Key(owner), std::string(job_id)}));
  if (r.type == Reply::Type::kError) return Error(ErrorCode::kInternal, r.text);
  return Status::Ok();
}

Result<std::vector<OwnerIndexEntry>> OwnerIndex::List(std::string_view owner,
                                                      const std::optional<OwnerIndexEntry>& after,
                                                      int64_t count) {
  std::vector<OwnerIndexEntry> out;
  if (count <= 0) return out;
  std::string key = Key(owner);
  std::string max = after ? std::to_string(after->timestamp_ms) : "+inf";
  // Entries with the cursor's own timestamp come first; skip those at or before the cursor.
  int64_t offset = 0;
  const int64_t batch = count + 16;
  std::lock_guard lock(mutex_);
  while (static_cast<int64_t>(out.size()) < count) {
    VG_ASSIGN_OR_RETURN(
        Reply r, connection_->Command({"ZREVRANGEBYSCORE", key, max, "-inf", "WITHSCORES", "LIMIT",
                                       std::to_string(offset), std::to_string(batch)}));
    if (r.type == Reply::Type::kError) return Error(ErrorCode::kInternal, r.text);
    if (r.elements.empty()) break;
    for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
      OwnerIndexEntry e{r.elements[i].text, r.elements[i + 1].AsInteger()};
      if (after && e.timestamp_ms == after->timestamp_ms && e.job_id >= after->job_id) continue;
      out.push_back(std::move(e));
      if (static_cast<int64_t>(out.size()) == count) break;
    }
    offset += static_cast<int64_t>(r.elements.size() / 2);
    if (static_cast<int64_t>(r.elements.size() / 2) < batch) break;
  }
  return out;
}

Status OwnerIndex::Ping() {
  std::lock_guard lock(mutex_);
  VG_ASSIGN_OR_RETURN(Reply r, connection_->Command({"PING"}));
  if (r.type == Reply::Type::kError) return Error(ErrorCode::kQueueUnavailable, r.text);
  return Status::Ok();
}

}  // namespace vg::queue

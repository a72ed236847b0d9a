// QueueKeys: every Redis key of a BullMQ queue and of its jobs, built in this one place
// ("<prefix>:<name>:<suffix>"), so a {hash-tag} prefix keeps them in one Cluster slot.
// Immutable after construction: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "queue/redis_options.h"

namespace vg::queue {

class QueueKeys {
 public:
  explicit QueueKeys(const QueueName& queue)
      : queue_name_(queue.name), base_(queue.prefix + ":" + queue.name + ":") {}

  // "P:Q:" — the prefix of every key; a job's key is Base() + id.
  const std::string& Base() const { return base_; }
  const std::string& QueueNameOnly() const { return queue_name_; }
  std::string Key(std::string_view suffix) const { return base_ + std::string(suffix); }
  std::string Job(std::string_view id) const { return base_ + std::string(id); }
  std::string Lock(std::string_view id) const { return Job(id) + ":lock"; }
  std::string Logs(std::string_view id) const { return Job(id) + ":logs"; }
  std::string Cancel(std::string_view id) const { return Job(id) + ":cancel"; }

  // The nine keys of add_jobs (and of lua/include/add.lua's addKeysAt), in that order.
  std::vector<std::string> AddKeys() const {
    return {Key("wait"),   Key("active"), Key("prioritized"), Key("events"), Key("delayed"),
            Key("marker"), Key("meta"),   Key("pc"),          Key("id")};
  }

  // The ten keys every worker-side script takes, in the order of lua/include/common.lua.
  std::vector<std::string> WorkerKeys() const {
    return {Key("wait"),    Key("active"),  Key("prioritized"), Key("events"), Key("stalled"),
            Key("limiter"), Key("delayed"), Key("marker"),      Key("meta"),   Key("pc")};
  }

 private:
  std::string queue_name_;
  std::string base_;
};

// BullMQ's worker connection name "P:<base64(Q)>" (suffix ":w:<worker>" when named), which
// Queue.getWorkers and Bull Board's "has workers" look for.
std::string WorkerConnectionName(const QueueName& queue, std::string_view worker_name);

}  // namespace vg::queue

// Where the queue's Redis is and how to talk to it: parsed from a redis:// URL or filled field
// by field (REDIS_URL or REDIS_HOST/PORT/PASSWORD/DB; the config module fills it later).
// Plain values: copy freely between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vg::queue {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // ACL user; empty = "default"
  std::string password;  // empty = no AUTH
  int db = 0;
  int64_t connect_timeout_ms = 2000;
  // A command that gets no answer in this time fails with queue_unavailable (blocking reads
  // add their block time to it).
  int64_t command_timeout_ms = 5000;
  // Reconnect backoff after a failure: doubles from min to max.
  int64_t reconnect_min_ms = 50;
  int64_t reconnect_max_ms = 2000;

  // "127.0.0.1:6379/0" (no password), for logs.
  std::string Describe() const;
};

// redis://[[user]:password@]host[:port][/db]. Other schemes (rediss://, sentinel) are
// invalid_argument for now.
Result<RedisOptions> ParseRedisUrl(std::string_view url);

// Which queue: BullMQ's prefix ("bull") and queue name; keys are "<prefix>:<name>:...". A
// prefix with a {hash tag} keeps all of a queue's keys in one Cluster slot.
struct QueueName {
  std::string prefix = "bull";
  std::string name;
};

}  // namespace vg::queue

// RedisSupervisor: the private `redis-server` that `vidgen serve` runs when no Redis is
// configured (API.md "Configuration", ARCHITECTURE.md "Processes"). It listens on a free
// loopback port, keeps its data in one folder with AOF on (`appendfsync always`, no RDB
// snapshots), so queued jobs survive a restart on the same folder; it runs in its own process
// group (a terminal's Ctrl-C reaches vidgen, which then stops it in order) and dies with
// vidgen (PR_SET_PDEATHSIG), so it is never left behind.
//
// Thread safety: one owning thread starts and stops it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace vg::app {

struct RedisSupervisorOptions {
  std::string program = "redis-server";  // found in PATH
  std::string data_dir;                  // created when missing (mode 0700)
  int port = 0;                          // 0 = a free loopback port
  int start_timeout_ms = 15000;          // until PING answers (AOF loading included)
  int stop_timeout_ms = 10000;           // after SIGTERM, before SIGKILL
};

class RedisSupervisor {
 public:
  // Starts the server and waits until it answers PING. kInternal with the server's last log
  // lines when it cannot start (program missing, folder not writable, timeout).
  static Result<std::unique_ptr<RedisSupervisor>> Start(RedisSupervisorOptions options);
  ~RedisSupervisor();  // Stop()
  RedisSupervisor(const RedisSupervisor&) = delete;
  RedisSupervisor& operator=(const RedisSupervisor&) = delete;

  // SIGTERM (Redis flushes the AOF and exits), SIGKILL after stop_timeout_ms. Idempotent.
  void Stop();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  RedisSupervisor(RedisSupervisorOptions options, int port, pid_t pid)
      : options_(std::move(options)), port_(port), pid_(pid) {}

  RedisSupervisorOptions options_;
  int port_;
  pid_t pid_;
};

}  // namespace vg::app

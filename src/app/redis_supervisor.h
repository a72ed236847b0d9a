// RedisSupervisor: the private `redis-server` that `vidgen serve` runs when no Redis is
// configured (API.md "Configuration", ARCHITECTURE.md "Processes"). It listens on a free
// loopback port, keeps its data in one folder with AOF on (`appendfsync always`, no RDB
// snapshots), so queued jobs survive a restart on the same folder; it runs in its own process
// group (a terminal's Ctrl-C reaches vidgen, which then stops it in order) and dies with
// vidgen (PR_SET_PDEATHSIG), so it is never left behind.
//
// A watcher thread ("vg-redis-watch") waits on the child. When it dies unexpectedly (a crash,
// the OOM killer, kill -9), the watcher starts it again on the same port and folder (the AOF
// replays everything acknowledged) after a backoff of 0.2 s, 0.5 s, 1 s, 2 s, then 5 s
// between attempts, and logs `service.redis_restarted`. The backoff starts over once a
// restarted server has stayed up for 30 s. Clients keep their host:port and reconnect.
//
// Thread safety: one owning thread starts and stops it; port(), pid() and restarts() may be
// called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"

namespace vg::app {

struct RedisSupervisorOptions {
  std::string program = "redis-server";  // found in PATH
  std::string data_dir;                  // created when missing (mode 0700)
  int port = 0;                          // 0 = a free loopback port
  int start_timeout_ms = 15000;          // until PING answers (AOF loading included)
  int stop_timeout_ms = 10000;           // after SIGTERM, before SIGKILL
  // Pauses before restart attempts 1, 2, …; the last one repeats.
  std::vector<std::chrono::milliseconds> restart_backoff = {
      std::chrono::milliseconds(200), std::chrono::milliseconds(500),
      std::chrono::milliseconds(1000), std::chrono::milliseconds(2000),
      std::chrono::milliseconds(5000)};
  // A restarted server that stays up this long resets the backoff to its first step.
  std::chrono::milliseconds backoff_reset_after{30000};
};

class RedisSupervisor {
 public:
  // Starts the server, waits until it answers PING and starts the watcher. kInternal with the
  // server's last log lines when it cannot start (program missing, folder not writable,
  // timeout).
  static Result<std::unique_ptr<RedisSupervisor>> Start(RedisSupervisorOptions options);
  ~RedisSupervisor();  // Stop()
  RedisSupervisor(const RedisSupervisor&) = delete;
  RedisSupervisor& operator=(const RedisSupervisor&) = delete;

  // Stops restarting, then SIGTERM (Redis flushes the AOF and exits), SIGKILL after
  // stop_timeout_ms; joins the watcher. Idempotent.
  void Stop();

  int port() const { return port_; }
  // The running server's pid; -1 while it is down (between a death and its restart).
  pid_t pid() const;
  // How many times the server was started again after dying.
  int restarts() const;

 private:
  RedisSupervisor(RedisSupervisorOptions options, std::string dir, int port);

  // fork/exec of the server (no waiting). The caller publishes the pid.
  Result<pid_t> Spawn() const;
  // Polls PING until it answers (ok), the child exits (reaped here: kInternal with its exit
  // code and log tail), stop is requested or the start timeout passes (kInternal; the child
  // is still running and not reaped).
  Status WaitReady(pid_t pid);
  // The watcher thread's loop: waits on the child, restarts it after an unexpected exit.
  void Watch();
  // Blocks until `pid` has exited, reaps it under the lock and clears pid_. Returns the wait
  // status.
  int ReapWhenExited(pid_t pid);

  const RedisSupervisorOptions options_;
  const std::string dir_;  // absolute data folder
  const int port_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  pid_t pid_ = -1;             // guarded; signals are sent only while it is unreaped
  bool stopping_ = false;      // guarded
  bool stopped_ = false;       // guarded: Stop() ran
  bool watcher_done_ = false;  // guarded
  int restarts_ = 0;           // guarded
  std::thread watcher_;
};

}  // namespace vg::app

// Test fixture: a private redis-server (from PATH) on a free loopback port with its own temp
// directory, AOF on with `appendfsync always` by default. Tests can stop it gracefully, kill -9
// it, and start it again on the same port and data. The process is always killed by pid and
// the directory removed in the destructor. Also a minimal hiredis client for assertions.
//
// Thread safety: a RedisServer is driven by one test thread. RedisClient likewise.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

struct redisContext;

namespace vg::testing {

struct RedisServerOptions {
  bool append_only = true;
  std::string appendfsync = "always";
};

class RedisServer {
 public:
  // Starts a server and waits until it answers PING. Aborts the test binary (VG_CHECK-like
  // message on stderr) if redis-server cannot be started: tests need it.
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  std::string url() const;
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

  // SHUTDOWN (Redis flushes the AOF) and waits for the process to exit.
  void Shutdown();
  // SIGKILL and wait.
  void Kill();
  // Starts the server again on the same port and directory; waits until it has loaded its
  // data and answers PING.
  void Restart();

 private:
  void Launch();
  bool WaitReady(int timeout_ms);

  RedisServerOptions options_;
  int port_ = 0;
  std::string dir_;
  pid_t pid_ = -1;
};

// A loopback port that was free a moment ago (bind to port 0 and ask).
int FreeLoopbackPort();

// A plain hiredis client for test assertions. Replies are flattened to strings: integers as
// decimal text, nil as "(nil)", arrays joined into `elements`.
class RedisClient {
 public:
  struct Reply {
    std::string text;  // string, status, error or integer reply
    long long integer = 0;
    bool is_nil = false;
    bool is_error = false;
    std::vector<Reply> elements;
  };
  RedisClient(const std::string& host, int port);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs a command; reconnects once if the connection was lost. A failure to connect gives an
  // error reply.
  Reply Command(const std::vector<std::string>& args);
  // Shorthands.
  std::string Get(const std::vector<std::string>& args) { return Command(args).text; }
  long long Int(const std::vector<std::string>& args) { return Command(args).integer; }

 private:
  bool Connect();
  std::string host_;
  int port_;
  redisContext* context_ = nullptr;
};

}  // namespace vg::testing

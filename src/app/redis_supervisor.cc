// RedisSupervisor: fork/exec of redis-server, readiness by PING over hiredis, a watcher thread
// that restarts it after an unexpected death, ordered stop. Signals are sent only while the
// child is known unreaped (under mutex_), so a recycled pid is never signalled.
#include "app/redis_supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include "obs/log.h"

namespace vg::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Result<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Error(ErrorCode::kInternal, "socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  if (port <= 0) return Error(ErrorCode::kInternal, "no free loopback port");
  return port;
}

bool Pings(int port) {
  timeval timeout{0, 300'000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (c == nullptr) return false;
  bool ok = false;
  if (c->err == 0) {
    redisSetTimeout(c, timeout);
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS && std::string(reply->str) == "PONG";
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(c);
  return ok;
}

std::string LogTail(const fs::path& log) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string tail;
  for (size_t i = lines.size() > 5 ? lines.size() - 5 : 0; i < lines.size(); ++i) {
    tail += "\n  " + lines[i];
  }
  return tail;
}

// "exit 0", "signal 9": how a child ended, for logs.
std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return fmt::format("status {}", status);
}

fs::path LogPath(const std::string& dir) { return fs::path(dir) / "redis.log"; }

}  // namespace

RedisSupervisor::RedisSupervisor(RedisSupervisorOptions options, std::string dir, int port)
    : options_(std::move(options)), dir_(std::move(dir)), port_(port) {}

Result<std::unique_ptr<RedisSupervisor>> RedisSupervisor::Start(RedisSupervisorOptions options) {
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) {
    return Error(ErrorCode::kInternal,
                 fmt::format("Cannot create {}: {}", options.data_dir, ec.message()));
  }
  chmod(options.data_dir.c_str(), 0700);
  std::string dir = fs::absolute(options.data_dir).string();
  int port = options.port;
  if (port == 0) {
    VG_ASSIGN_OR_RETURN(port, FreeLoopbackPort());
  }
  if (options.restart_backoff.empty()) options.restart_backoff = {std::chrono::milliseconds(1000)};
  auto supervisor =
      std::unique_ptr<RedisSupervisor>(new RedisSupervisor(std::move(options), dir, port));
  // The first child is forked by the calling (main) thread: PR_SET_PDEATHSIG follows the
  // thread that forked, and the main thread lives as long as vidgen.
  VG_ASSIGN_OR_RETURN(pid_t pid, supervisor->Spawn());
  {
    std::lock_guard lock(supervisor->mutex_);
    supervisor->pid_ = pid;
  }
  Status ready = supervisor->WaitReady(pid);
  if (!ready.ok()) {
    supervisor->Stop();  // a child still running after the timeout is stopped and reaped
    return ready;
  }
  obs::Log(obs::Level::kInfo, "redis.started",
           {{"pid", static_cast<long long>(pid)}, {"port", port}, {"dir", dir}});
  supervisor->watcher_ = std::thread([s = supervisor.get()] {
    pthread_setname_np(pthread_self(), "vg-redis-watch");
    s->Watch();
  });
  return supervisor;
}

Result<pid_t> RedisSupervisor::Spawn() const {
  std::vector<std::string> args = {options_.program,
                                   "--bind",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(port_),
                                   "--protected-mode",
                                   "yes",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--appendonly",
                                   "yes",
                                   "--appendfsync",
                                   "always",
                                   "--save",
                                   "",
                                   "--logfile",
                                   LogPath(dir_).string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Error(ErrorCode::kInternal, "fork() failed");
  if (pid == 0) {
    // Child (only async-signal-safe calls until exec): its own process group (Ctrl-C goes to
    // vidgen only), killed when the forking thread dies, signals unblocked (vidgen blocks
    // SIGINT/SIGTERM for sigwait; exec keeps the mask).
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

Status RedisSupervisor::WaitReady(pid_t pid) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  while (!Pings(port_)) {
    {
      std::lock_guard lock(mutex_);
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid_ = -1;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return Error(
            ErrorCode::kInternal,
            fmt::format("{} exited ({}){}{}", options_.program, code,
                        code == 127 ? ": not found (install the redis-server package)" : "",
                        LogTail(LogPath(dir_))));
      }
      if (stopping_) return Error(ErrorCode::kCancelled, "stopping");
    }
    if (Clock::now() >= deadline) {
      return Error(ErrorCode::kInternal,
                   fmt::format("{} did not answer PING within {} ms{}", options_.program,
                               options_.start_timeout_ms, LogTail(LogPath(dir_))));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return Status::Ok();
}

int RedisSupervisor::ReapWhenExited(pid_t pid) {
  // Wait without reaping, then reap under the lock: Stop() never signals a reaped pid.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  std::lock_guard lock(mutex_);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (pid_ == pid) pid_ = -1;
  return status;
}

void RedisSupervisor::Watch() {
  pid_t pid;
  {
    std::lock_guard lock(mutex_);
    pid = pid_;
  }
  size_t failures = 0;
  auto up_since = Clock::now();
  auto finish = [this] {
    std::lock_guard lock(mutex_);
    watcher_done_ = true;
    changed_.notify_all();
  };
  while (true) {
    if (pid > 0) {
      const int status = ReapWhenExited(pid);
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
      }
      if (Clock::now() - up_since >= options_.backoff_reset_after) failures = 0;
      obs::Log(obs::Level::kError, "service.redis_exited",
               {{"pid", static_cast<long long>(pid)},
                {"how", DescribeExit(status)},
                {"port", port_},
                {"log_tail", LogTail(LogPath(dir_))}});
      pid = -1;
    }
    // Restart after the backoff (interrupted by Stop).
    const auto pause =
        options_.restart_backoff[std::min(failures, options_.restart_backoff.size() - 1)];
    ++failures;
    {
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, pause, [this] { return stopping_; })) break;
    }
    auto spawned = Spawn();
    if (!spawned.ok()) {
      obs::Log(
          obs::Level::kError, "service.redis_restart_failed",
          {{"error", spawned.error().message()}, {"attempt", static_cast<long long>(failures)}});
      continue;
    }
    pid = *spawned;
    {
      std::lock_guard lock(mutex_);
      pid_ = pid;
      if (stopping_) kill(pid, SIGTERM);  // Stop() came while forking: the loop reaps it
    }
    Status ready = WaitReady(pid);
    if (ready.ok()) {
      int restarts;
      {
        std::lock_guard lock(mutex_);
        restarts = ++restarts_;
      }
      up_since = Clock::now();
      obs::Log(obs::Level::kWarn, "service.redis_restarted",
               {{"pid", static_cast<long long>(pid)},
                {"port", port_},
                {"attempt", static_cast<long long>(failures)},
                {"restarts", restarts}});
      continue;  // back to waiting on it
    }
    if (ready.code() == ErrorCode::kCancelled) continue;  // stopping: reap it, then leave
    obs::Log(obs::Level::kError, "service.redis_restart_failed",
             {{"error", ready.message()}, {"attempt", static_cast<long long>(failures)}});
    std::lock_guard lock(mutex_);
    if (pid_ == pid) {
      kill(pid, SIGKILL);  // alive but not answering: kill it; the loop reaps it and retries
    } else {
      pid = -1;  // exited and reaped by WaitReady
    }
  }
  finish();
}

pid_t RedisSupervisor::pid() const {
  std::lock_guard lock(mutex_);
  return pid_;
}

int RedisSupervisor::restarts() const {
  std::lock_guard lock(mutex_);
  return restarts_;
}

RedisSupervisor::~RedisSupervisor() { Stop(); }

void RedisSupervisor::Stop() {
  pid_t stopped_pid;
  {
    std::unique_lock lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    stopped_pid = pid_;
    if (pid_ > 0) kill(pid_, SIGTERM);
    changed_.notify_all();
    if (watcher_.joinable()) {
      if (!changed_.wait_for(lock, std::chrono::milliseconds(options_.stop_timeout_ms),
                             [this] { return watcher_done_; }) &&
          pid_ > 0) {
        obs::Log(obs::Level::kWarn, "redis.kill", {{"pid", static_cast<long long>(pid_)}});
        kill(pid_, SIGKILL);
      }
    }
  }
  if (watcher_.joinable()) {
    watcher_.join();
  } else if (stopped_pid > 0) {
    // No watcher (a failed start): reap here, SIGKILL after the timeout.
    const auto deadline = Clock::now() + std::chrono::milliseconds(options_.stop_timeout_ms);
    int status = 0;
    while (waitpid(stopped_pid, &status, WNOHANG) == 0) {
      if (Clock::now() >= deadline) {
        obs::Log(obs::Level::kWarn, "redis.kill", {{"pid", static_cast<long long>(stopped_pid)}});
        kill(stopped_pid, SIGKILL);
        waitpid(stopped_pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::lock_guard lock(mutex_);
    pid_ = -1;
  }
  obs::Log(obs::Level::kInfo, "redis.stopped", {{"pid", static_cast<long long>(stopped_pid)}});
}

}  // namespace vg::app

// RedisSupervisor: fork/exec of redis-server, readiness by PING over hiredis, ordered stop.
#include "app/redis_supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "obs/log.h"

namespace vg::app {
namespace {

namespace fs = std::filesystem;

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

// Waits up to timeout_ms for `pid` to exit; true when it did (and was reaped).
bool WaitExit(pid_t pid, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

Result<std::unique_ptr<RedisSupervisor>> RedisSupervisor::Start(RedisSupervisorOptions options) {
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) {
    return Error(ErrorCode::kInternal,
                 fmt::format("Cannot create {}: {}", options.data_dir, ec.message()));
  }
  chmod(options.data_dir.c_str(), 0700);
  const std::string dir = fs::absolute(options.data_dir).string();
  int port = options.port;
  if (port == 0) {
    VG_ASSIGN_OR_RETURN(port, FreeLoopbackPort());
  }
  const fs::path log = fs::path(dir) / "redis.log";
  std::vector<std::string> args = {options.program,
                                   "--bind",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(port),
                                   "--protected-mode",
                                   "yes",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir,
                                   "--appendonly",
                                   "yes",
                                   "--appendfsync",
                                   "always",
                                   "--save",
                                   "",
                                   "--logfile",
                                   log.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Error(ErrorCode::kInternal, "fork() failed");
  if (pid == 0) {
    // Child: its own process group (Ctrl-C goes to vidgen only), killed when vidgen dies,
    // signals unblocked (the parent blocks SIGINT/SIGTERM for sigwait; exec keeps the mask).
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
  auto supervisor = std::unique_ptr<RedisSupervisor>(new RedisSupervisor(options, port, pid));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.start_timeout_ms);
  while (!Pings(port)) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      supervisor->pid_ = -1;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return Error(ErrorCode::kInternal,
                   fmt::format("{} exited ({}){}{}", options.program, code,
                               code == 127 ? ": not found (install the redis-server package)" : "",
                               LogTail(log)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      supervisor->Stop();
      return Error(ErrorCode::kInternal,
                   fmt::format("{} did not answer PING within {} ms{}", options.program,
                               options.start_timeout_ms, LogTail(log)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  obs::Log(obs::Level::kInfo, "redis.started",
           {{"pid", static_cast<long long>(pid)}, {"port", port}, {"dir", dir}});
  return supervisor;
}

RedisSupervisor::~RedisSupervisor() { Stop(); }

void RedisSupervisor::Stop() {
  if (pid_ <= 0) return;
  const pid_t pid = pid_;
  pid_ = -1;
  kill(pid, SIGTERM);
  if (!WaitExit(pid, options_.stop_timeout_ms)) {
    obs::Log(obs::Level::kWarn, "redis.kill", {{"pid", static_cast<long long>(pid)}});
    kill(pid, SIGKILL);
    WaitExit(pid, 5000);
  }
  obs::Log(obs::Level::kInfo, "redis.stopped", {{"pid", static_cast<long long>(pid)}});
}

}  // namespace vg::app

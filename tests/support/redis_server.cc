// RedisServer: fork/exec of redis-server with a temp dir; RedisClient over hiredis.
#include "support/redis_server.h"

#include <hiredis/hiredis.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace vg::testing {
namespace {

[[noreturn]] void Fatal(const std::string& message) {
  std::fprintf(stderr, "redis test fixture: %s\n", message.c_str());
  std::abort();
}

RedisClient::Reply ConvertReply(const redisReply* r) {
  RedisClient::Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.text.assign(r->str, r->len);
      out.is_error = true;
      break;
    case REDIS_REPLY_INTEGER:
      out.integer = r->integer;
      out.text = std::to_string(r->integer);
      break;
    case REDIS_REPLY_NIL:
      out.is_nil = true;
      out.text = "(nil)";
      break;
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(ConvertReply(r->element[i]));
      out.integer = static_cast<long long>(r->elements);
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Fatal("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Fatal("bind() failed");
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "vg-redis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) Fatal("mkdtemp failed");
  dir_ = pattern;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreeLoopbackPort();
    Launch();
    if (WaitReady(10000)) return;
    Kill();
  }
  Fatal("redis-server did not start (is it installed and on PATH?)");
}

RedisServer::~RedisServer() {
  Kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

void RedisServer::Launch() {
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   options_.append_only ? "yes" : "no",
                                   "--appendfsync",
                                   options_.appendfsync,
                                   "--logfile",
                                   dir_ + "/redis.log",
                                   "--daemonize",
                                   "no"};
  pid_t pid = ::fork();
  if (pid < 0) Fatal("fork failed");
  if (pid == 0) {
    // The server logs to its file; it must not hold the test's stdout/stderr (ctest waits for
    // those pipes to close), and it must not outlive a test binary that crashed.
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      ::dup2(null_fd, 0);
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
      if (null_fd > 2) ::close(null_fd);
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    std::_Exit(127);
  }
  pid_ = pid;
}

bool RedisServer::WaitReady(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    timeval tv{0, 200000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (c && !c->err) {
      auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
      bool ok = reply && reply->type == REDIS_REPLY_STATUS && std::string(reply->str) == "PONG";
      if (reply) freeReplyObject(reply);
      redisFree(c);
      if (ok) return true;
    } else if (c) {
      redisFree(c);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void RedisServer::Shutdown() {
  if (pid_ <= 0) return;
  {
    RedisClient client(host(), port_);
    client.Command({"SHUTDOWN"});
  }
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::Restart() {
  if (pid_ > 0) Fatal("Restart() while the server is running");
  for (int attempt = 0; attempt < 50; ++attempt) {
    Launch();
    if (WaitReady(10000)) return;
    // The port may linger briefly after a kill; try again.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Fatal("redis-server did not restart");
}

RedisClient::RedisClient(const std::string& host, int port) : host_(host), port_(port) {
  Connect();
}

RedisClient::~RedisClient() {
  if (context_) redisFree(context_);
}

bool RedisClient::Connect() {
  if (context_) redisFree(context_);
  timeval tv{2, 0};
  context_ = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!context_ || context_->err) {
    if (context_) redisFree(context_);
    context_ = nullptr;
    return false;
  }
  redisSetTimeout(context_, timeval{10, 0});
  return true;
}

RedisClient::Reply RedisClient::Command(const std::vector<std::string>& args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!context_ && !Connect()) break;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lens.data()));
    if (reply) {
      Reply out = ConvertReply(reply);
      freeReplyObject(reply);
      return out;
    }
    redisFree(context_);
    context_ = nullptr;
  }
  Reply error;
  error.is_error = true;
  error.text = "connection failed";
  return error;
}

}  // namespace vg::testing

// Subprocess: fork/exec with output to a temp file.
#include "support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace vg::testing {

Subprocess::Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env) {
  std::string pattern = (std::filesystem::temp_directory_path() / "vg-proc-XXXXXX").string();
  int fd = ::mkstemp(pattern.data());
  output_path_ = pattern;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::_Exit(127);
  }
  ::close(fd);
  pid_ = pid;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && running()) {
    ::kill(pid_, SIGKILL);
    Wait(5000);
  }
  std::error_code ignored;
  std::filesystem::remove(output_path_, ignored);
}

bool Subprocess::running() {
  if (pid_ <= 0 || exit_code_ >= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int Subprocess::Wait(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

void Subprocess::Kill(int signal_number) {
  if (running()) ::kill(pid_, signal_number);
}

std::string Subprocess::output() const {
  std::ifstream in(output_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::pair<int, std::string> RunProcess(const std::vector<std::string>& argv,
                                       const std::map<std::string, std::string>& env,
                                       int timeout_ms) {
  Subprocess p(argv, env);
  int code = p.Wait(timeout_ms);
  if (code < 0) {
    p.Kill(SIGKILL);
    p.Wait(5000);
  }
  return {code, p.output()};
}

}  // namespace vg::testing

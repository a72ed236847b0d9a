// The process runner of process.h: fork + execvp, poll() on the two output pipes, wait4() for
// the exit status and peak memory.
#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace vg::cli_test {
namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// Reads what is available on fd into out; returns false at end of file (or a hard error).
bool Drain(int fd, std::string* out) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

[[noreturn]] void ChildExec(const std::vector<std::string>& argv, const ProcessOptions& options,
                            int out_fd, int err_fd, int status_fd) {
  auto fail = [&](const char* what) {
    std::string message = std::string(what) + ": " + std::strerror(errno);
    ssize_t ignored = write(status_fd, message.data(), message.size());
    (void)ignored;
    _exit(127);
  };
  // The test binary may block or ignore signals; the child starts with the defaults.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  const std::string in_path = options.stdin_path.empty() ? "/dev/null" : options.stdin_path;
  int in_fd = open(in_path.c_str(), O_RDONLY);
  if (in_fd < 0) fail("open stdin");
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) fail("dup2");
  if (!options.working_dir.empty() && chdir(options.working_dir.c_str()) != 0) fail("chdir");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  fail("exec");
  _exit(127);
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (!started) return "not started (" + start_error + ")";
  if (timed_out) return "timed out";
  if (signaled) return "killed by signal " + std::to_string(term_signal);
  return "exit " + std::to_string(exit_code);
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult result;
  if (argv.empty()) {
    result.start_error = "empty argv";
    return result;
  }
  int out_pipe[2], err_pipe[2], status_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(status_pipe, O_CLOEXEC) != 0) return result;
  const auto start = SteadyClock::now();
  pid_t pid = fork();
  if (pid < 0) {
    result.start_error = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    // dup2 clears O_CLOEXEC on the copies 1 and 2 only.
    ChildExec(argv, options, out_pipe[1], err_pipe[1], status_pipe[1]);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(status_pipe[1]);

  // The status pipe closes on a successful exec, or carries the reason it failed.
  std::string exec_error;
  while (Drain(status_pipe[0], &exec_error)) {
  }
  close(status_pipe[0]);
  result.started = exec_error.empty();
  result.start_error = exec_error;

  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  bool out_open = true, err_open = true;
  bool reaped = false;
  int status = 0;
  struct rusage usage {};
  for (;;) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_pipe[0], POLLIN, 0});
    if (err_open) fds.push_back({err_pipe[0], POLLIN, 0});
    if (!fds.empty()) {
      poll(fds.data(), fds.size(), 10);
    } else if (!reaped) {
      usleep(5000);
    }
    if (out_open) out_open = Drain(out_pipe[0], &result.out);
    if (err_open) err_open = Drain(err_pipe[0], &result.err);
    if (!reaped) {
      pid_t done = wait4(pid, &status, WNOHANG, &usage);
      if (done == pid) {
        reaped = true;
        result.elapsed_s = SecondsSince(start);
      }
    }
    if (reaped && !out_open && !err_open) break;
    const double now_s = SecondsSince(start);
    if (!reaped && options.signal != 0 && result.signal_sent_s < 0 &&
        now_s * 1000 >= options.signal_after_ms &&
        (options.signal_after_stderr.empty() ||
         result.err.find(options.signal_after_stderr) != std::string::npos)) {
      kill(pid, options.signal);
      result.signal_sent_s = now_s;
    }
    if (now_s * 1000 >= options.timeout_ms) {
      if (!reaped) {
        kill(pid, SIGKILL);
        result.timed_out = true;
        wait4(pid, &status, 0, &usage);
        reaped = true;
        result.elapsed_s = SecondsSince(start);
      }
      break;  // a grandchild may hold the pipes open; stop reading
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (!result.started) return result;
  result.max_rss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace vg::cli_test

// Test helper: child processes (node peers, worker processes) started with an argv and extra
// environment variables, their output captured to a file, waited for or killed by pid.
// Thread safety: one test thread drives a Subprocess.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace vg::testing {

class Subprocess {
 public:
  // Starts argv[0] (searched in PATH) with the environment plus `env`; stdout and stderr go to
  // a temp file readable with output().
  Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Subprocess();  // SIGKILL if still running; removes the output file
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits up to timeout_ms; returns the exit code, 128+signal, or -1 on timeout.
  int Wait(int timeout_ms);
  void Kill(int signal_number);
  bool running();
  // Everything the process printed so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string output_path_;
};

// Runs a process to completion (timeout → killed); returns {exit code, output}.
std::pair<int, std::string> RunProcess(const std::vector<std::string>& argv,
                                       const std::map<std::string, std::string>& env,
                                       int timeout_ms);

}  // namespace vg::testing

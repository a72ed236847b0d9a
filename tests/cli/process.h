// A small process runner for the end-to-end tests: fork/exec an argv (no shell), stdin from a
// file or /dev/null, stdout and stderr captured, a timeout that kills the child, an optional
// signal sent mid-run, and the exit status and peak memory of the child.
// Not thread-safe with respect to other fork()s of the same process; the tests run it from
// one thread.
#pragma once

#include <string>
#include <vector>

namespace vg::cli_test {

struct ProcessOptions {
  std::string stdin_path;   // empty: /dev/null
  std::string working_dir;  // empty: the current directory
  int timeout_ms = 60000;   // the child is killed (SIGKILL) after this long
  // When signal != 0 it is sent once, signal_after_ms after the start, and (when
  // signal_after_stderr is not empty) not before stderr has contained that text, unless the
  // child is still silent at timeout_ms.
  int signal = 0;
  int signal_after_ms = 0;
  std::string signal_after_stderr;
};

struct ProcessResult {
  bool started = false;
  std::string start_error;  // why exec failed, when !started
  bool exited = false;      // ended by exit(): exit_code is valid
  int exit_code = -1;
  bool signaled = false;  // ended by a signal: term_signal is valid
  int term_signal = 0;
  bool timed_out = false;  // killed by the runner after timeout_ms
  std::string out, err;
  double elapsed_s = 0;
  double signal_sent_s = -1;  // when the requested signal was sent; -1: never
  long max_rss_kb = 0;        // the child's peak resident set
  // "exit 2" / "signal 11" / "timed out", for failure messages.
  std::string Describe() const;
};

// Runs argv[0] (a path, or a name looked up in PATH) with argv and waits for it.
ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace vg::cli_test

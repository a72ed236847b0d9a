// A consumer in its own process, for the tests that kill a worker with SIGKILL or run several
// worker processes at once. It prints "start <jobId> <epoch ms>" when a job starts and
// "done <jobId>" when its handler returns, sleeps --sleep-ms per job, and exits on SIGTERM.
//   vg_queue_test_worker --port N --queue NAME [--sleep-ms 0] [--lock-ms 2000]
//     [--stalled-ms 1000] [--concurrency 1] [--rate-max 0 --rate-ms 0] [--name worker]
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "queue/consumer.h"

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  auto get = [&](const std::string& key, const std::string& fallback) {
    auto it = args.find(key);
    return it == args.end() ? fallback : it->second;
  };
  vg::queue::RedisOptions redis;
  redis.port = std::stoi(get("--port", "6379"));
  vg::queue::ConsumerOptions options;
  options.lock_ms = std::stoll(get("--lock-ms", "2000"));
  options.stalled_interval_ms = std::stoll(get("--stalled-ms", "1000"));
  options.concurrency = std::stoi(get("--concurrency", "1"));
  options.rate_limit = {std::stoll(get("--rate-max", "0")), std::stoll(get("--rate-ms", "0"))};
  options.worker_name = get("--name", "worker");
  options.drain_delay_ms = 500;
  const int64_t sleep_ms = std::stoll(get("--sleep-ms", "0"));

  // Block the stop signals before any thread starts, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  vg::queue::Consumer consumer(
      redis, {"bull", get("--queue", "q")}, options,
      [&](const vg::queue::Job& job, vg::queue::JobContext&) {
        std::printf("start %s %lld\n", job.id.c_str(),
                    static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count()));
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
        std::printf("done %s\n", job.id.c_str());
        std::fflush(stdout);
        return vg::queue::JobOutcome::Completed(nlohmann::json{{"pid", getpid()}});
      });
  if (!consumer.Start().ok()) return 2;
  std::printf("ready\n");
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  consumer.Close();
  return 0;
}

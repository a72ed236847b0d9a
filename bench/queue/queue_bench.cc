// bench/queue: N no-op jobs added and processed by our producer/consumer and, in the same run
// against the same private redis-server, by bullmq 6.7.0 (bench_bullmq.js). Prints jobs/s for
// both, the ratio, and Redis CPU µs per job (INFO cpu deltas) for each phase.
//   vg_queue_bench [--jobs 20000] [--concurrency 1,8] [--runs 1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "obs/log.h"
#include "queue/consumer.h"
#include "queue/producer.h"
#include "support/redis_server.h"
#include "support/subprocess.h"

namespace {

using vg::queue::Consumer;
using vg::queue::ConsumerOptions;
using vg::queue::Job;
using vg::queue::JobContext;
using vg::queue::JobOutcome;
using vg::queue::NewJob;
using vg::queue::Producer;

struct Phase {
  double ms = 0;
  double redis_cpu_us = 0;
};

struct Figures {
  Phase add;
  Phase drain;
};

double RedisCpuUs(vg::testing::RedisClient& client) {
  std::string info = client.Get({"INFO", "cpu"});
  std::smatch m;
  double total = 0;
  for (const char* key : {"used_cpu_user:([0-9.]+)", "used_cpu_sys:([0-9.]+)"}) {
    if (std::regex_search(info, m, std::regex(key))) total += std::stod(m[1]);
  }
  return total * 1e6;
}

double Ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

Figures RunOurs(vg::testing::RedisServer& server, const std::string& queue_name, int jobs,
                int concurrency) {
  vg::queue::RedisOptions redis;
  redis.port = server.port();
  vg::testing::RedisClient client(server.host(), server.port());
  Figures f;
  Producer producer(redis, {"bull", queue_name});
  std::vector<NewJob> batch;
  batch.reserve(jobs);
  for (int i = 0; i < jobs; ++i) batch.push_back({"noop", nlohmann::json{{"i", i}}, {}});
  double cpu0 = RedisCpuUs(client);
  auto t0 = std::chrono::steady_clock::now();
  auto added = producer.AddBulk(batch);
  f.add.ms = Ms(t0);
  f.add.redis_cpu_us = RedisCpuUs(client) - cpu0;
  if (!added.ok() || static_cast<int>(added->size()) != jobs) {
    std::fprintf(stderr, "add failed: %s\n",
                 added.ok() ? "short" : added.error().ToString().c_str());
    return f;  // no exit: the server's destructor must stop redis-server
  }
  ConsumerOptions options;
  options.concurrency = concurrency;
  options.drain_delay_ms = 1000;
  Consumer consumer(redis, {"bull", queue_name}, options,
                    [](const Job&, JobContext&) { return JobOutcome::Completed(); });
  cpu0 = RedisCpuUs(client);
  t0 = std::chrono::steady_clock::now();
  if (!consumer.Start().ok()) return f;
  while (consumer.stats().completed < jobs)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  f.drain.ms = Ms(t0);
  f.drain.redis_cpu_us = RedisCpuUs(client) - cpu0;
  consumer.Close();
  return f;
}

bool RunBullmq(vg::testing::RedisServer& server, const std::string& queue_name, int jobs,
               int concurrency, Figures* f) {
  auto [code, output] =
      vg::testing::RunProcess({"node", VG_BULLMQ_BENCH_SCRIPT, std::to_string(server.port()),
                               queue_name, std::to_string(jobs), std::to_string(concurrency)},
                              {{"NODE_PATH", VG_NODE_MODULES}}, 300000);
  if (code != 0) {
    std::fprintf(stderr, "bullmq bench failed (%d):\n%s\n", code, output.c_str());
    return false;
  }
  auto line = output.substr(output.rfind('{'));
  auto j = nlohmann::json::parse(line);
  f->add = {j["addMs"], j["addCpuUs"]};
  f->drain = {j["drainMs"], j["drainCpuUs"]};
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int jobs = 20000;
  std::vector<int> concurrencies = {1, 8};
  int runs = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--jobs") jobs = std::atoi(argv[i + 1]);
    if (key == "--runs") runs = std::atoi(argv[i + 1]);
    if (key == "--concurrency") {
      concurrencies.clear();
      std::stringstream s(argv[i + 1]);
      std::string item;
      while (std::getline(s, item, ',')) concurrencies.push_back(std::stoi(item));
    }
  }
  vg::obs::SetLogLevel(vg::obs::Level::kWarn);
  bool have_node = std::filesystem::exists(std::string(VG_NODE_MODULES) + "/bullmq/package.json");
  if (!have_node) std::printf("bullmq not installed (npm ci in tests/node): ours only\n");
  vg::testing::RedisServer server({.append_only = false, .appendfsync = "everysec"});
  std::printf("queue bench: %d no-op jobs per run, redis-server on 127.0.0.1:%d (no AOF)\n", jobs,
              server.port());
  std::printf("%-6s %-4s %-8s %10s %12s %14s %10s\n", "phase", "conc", "client", "ms", "jobs/s",
              "redis µs/job", "ratio");
  int n = 0;
  for (int run = 0; run < runs; ++run) {
    for (int concurrency : concurrencies) {
      Figures ours = RunOurs(server, "bench-ours-" + std::to_string(n++), jobs, concurrency);
      Figures theirs;
      bool have_theirs = have_node && RunBullmq(server, "bench-bullmq-" + std::to_string(n++), jobs,
                                                concurrency, &theirs);
      auto row = [&](const char* phase, const char* who, const Phase& p, const Phase* other) {
        double rate = jobs / (p.ms / 1000);
        std::printf("%-6s %-4d %-8s %10.0f %12.0f %14.1f", phase, concurrency, who, p.ms, rate,
                    p.redis_cpu_us / jobs);
        if (other) std::printf(" %9.2fx", other->ms / p.ms);
        std::printf("\n");
      };
      row("add", "vidgen", ours.add, have_theirs ? &theirs.add : nullptr);
      if (have_theirs) row("add", "bullmq", theirs.add, nullptr);
      row("drain", "vidgen", ours.drain, have_theirs ? &theirs.drain : nullptr);
      if (have_theirs) row("drain", "bullmq", theirs.drain, nullptr);
      std::fflush(stdout);
    }
  }
  return 0;
}

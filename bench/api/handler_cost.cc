#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "api/auth.h"
#include "api/submission.h"
#include "base/clock.h"
#include "config/config.h"
#include "queue/job.h"
#include "tmpl/load.h"
namespace {
double Now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
}  // namespace
int main(int argc, char** argv) {
  std::ifstream in(argv[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string body = ss.str();
  vg::config::Config config;
  auto resolver = vg::api::SystemHostResolver();
  const int n = 20000;
  auto time = [&](const char* what, auto&& fn) {
    double best = 1e18;
    for (int r = 0; r < 5; ++r) {
      double t0 = Now();
      for (int i = 0; i < n; ++i) fn();
      best = std::min(best, (Now() - t0) / n);
    }
    std::printf("%-28s %7.2f us\n", what, best);
  };
  auto sub = vg::api::ParseSubmission(body, config, 0, resolver);
  if (!sub.ok()) {
    std::printf("%s\n", sub.error().ToString().c_str());
    return 1;
  }
  time("ParseSubmission", [&] { auto s = vg::api::ParseSubmission(body, config, 0, resolver); });
  vg::tmpl::Limits limits;
  time("ParseJson(body)", [&] { auto j = vg::tmpl::ParseJson(body, "request body", limits); });
  time("nlohmann::parse(body)", [&] { auto j = nlohmann::json::parse(body); });
  auto whole = nlohmann::json::parse(body);
  time("json copy (allocations)", [&] { auto c = whole; });
  time("json destroy+copy", [&] {
    nlohmann::json c = whole;
    c = nullptr;
  });
  auto tj = nlohmann::json::parse(body)["template"];
  auto input = nlohmann::json::parse(body)["input"];
  time("tmpl::Load", [&] { auto t = vg::tmpl::Load(tj, input, limits); });
  nlohmann::json data = sub->job_data;
  data["owner"] = "anonymous";
  data["requestHash"] = "x";
  time("data.dump", [&] { auto s = data.dump(); });
  time("Sha256Hex(body)", [&] { auto s = vg::api::Sha256Hex(body); });
  vg::queue::JobOptions o;
  o.attempts = 3;
  o.backoff.type = vg::queue::Backoff::Type::kExponential;
  o.backoff.delay_ms = 5000;
  o.remove_on_complete = vg::queue::KeepJobs{-1, 7 * 86400, 1000};
  o.remove_on_fail = o.remove_on_complete;
  time("JobOptionsJsonText", [&] { auto s = vg::queue::JobOptionsJsonText(o); });
  time("accepted body dump", [&] {
    nlohmann::json b = {{"jobId", "123"},
                        {"status", "queued"},
                        {"statusUrl", "/api/video/status/123"},
                        {"createdAt", vg::FormatIsoUtc(1764130000000)}};
    auto s = b.dump();
  });
}

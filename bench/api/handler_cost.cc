// bench/api/handler_cost: what the server's own steps of one POST /api/video/generate cost, in
// one process on one thread (no HTTP, no Redis): the whole submission check, then its parts and
// the job's serialisation, each the best of 5 runs of 20,000 calls, in µs of this thread's CPU
// (so other processes disturb it less than wall time). For work on those steps without the
// noise of a whole bench/api run; nlohmann's own parse is printed beside ours for comparison.
//   handler_cost BODY.json      (a generate request body, e.g. the one bench/api/run.sh writes)
#include <time.h>

#include <algorithm>
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

// This thread's CPU time, µs.
double ThreadMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Prints the best per-call time of `fn` over 5 runs of 20,000 calls.
template <typename Fn>
void Time(const char* what, Fn&& fn) {
  constexpr int kCalls = 20000;
  double best = 1e18;
  for (int run = 0; run < 5; ++run) {
    const double start = ThreadMicros();
    for (int i = 0; i < kCalls; ++i) fn();
    best = std::min(best, (ThreadMicros() - start) / kCalls);
  }
  std::printf("%-24s %7.2f us\n", what, best);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: handler_cost BODY.json\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string body = text.str();
  const vg::config::Config config;
  const vg::api::HostResolver resolver = vg::api::SystemHostResolver();
  auto submission = vg::api::ParseSubmission(body, config, 0, resolver);
  if (!submission.ok()) {
    std::fprintf(stderr, "%s\n", submission.error().ToString().c_str());
    return 1;
  }
  const vg::tmpl::Limits limits;
  const nlohmann::json request = nlohmann::json::parse(body);
  const nlohmann::json& template_json = request["template"];
  const nlohmann::json input = request.value("input", nlohmann::json::object());
  nlohmann::json data = submission->job_data;
  data["owner"] = "anonymous";
  vg::queue::JobOptions options;  // what the API enqueues with
  options.attempts = 3;
  options.backoff = {vg::queue::Backoff::Type::kExponential, 5000, 0};
  options.remove_on_complete = vg::queue::KeepJobs{-1, 7 * 86400, 1000};
  options.remove_on_fail = options.remove_on_complete;
  options.timestamp_ms = 1764130000000;

  Time("ParseSubmission", [&] { auto s = vg::api::ParseSubmission(body, config, 0, resolver); });
  Time("  tmpl::ParseJson", [&] { auto j = vg::tmpl::ParseJson(body, "request body", limits); });
  Time("  (nlohmann::parse)", [&] { auto j = nlohmann::json::parse(body); });
  Time("  tmpl::Load", [&] { auto t = vg::tmpl::Load(template_json, input, limits); });
  Time("job data JSON", [&] { auto s = data.dump(); });
  Time("job options JSON", [&] { auto s = vg::queue::JobOptionsJsonText(options); });
  Time("Sha256Hex(body)", [&] { auto s = vg::api::Sha256Hex(body); });
  Time("answer body", [&] {
    nlohmann::json answer = {{"jobId", "123"},
                             {"status", "queued"},
                             {"statusUrl", "/api/video/status/123"},
                             {"createdAt", vg::FormatIsoUtc(1764130000000)}};
    auto s = answer.dump();
  });
  return 0;
}

// Tests of the metrics registry: the Prometheus text output is parsed line by line.
#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <thread>

namespace vg::obs {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// "name{labels} value" → {"name{labels}", value} for every sample line.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> samples;
  for (const auto& line : Lines(text)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return samples;
}

TEST(MetricsTest, CounterHasHelpTypeAndValue) {
  Metrics metrics;
  Counter& c = metrics.counter("vidgen_http_requests_total", "HTTP requests.",
                               {{"method", "GET"}, {"code", "200"}});
  c.Increment();
  c.Increment(2);
  const auto lines = Lines(metrics.RenderPrometheus());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "# HELP vidgen_http_requests_total HTTP requests.");
  EXPECT_EQ(lines[1], "# TYPE vidgen_http_requests_total counter");
  // Labels are sorted by name, so order of registration does not matter.
  EXPECT_EQ(lines[2], "vidgen_http_requests_total{code=\"200\",method=\"GET\"} 3");
}

TEST(MetricsTest, SameNameAndLabelsReturnSameSeries) {
  Metrics metrics;
  Counter& a = metrics.counter("x_total", "x", {{"a", "1"}, {"b", "2"}});
  Counter& b = metrics.counter("x_total", "x", {{"b", "2"}, {"a", "1"}});
  Counter& other = metrics.counter("x_total", "x", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  a.Increment();
  b.Increment();
  other.Increment(5);
  other.Increment(-3);  // ignored: counters only go up
  const auto samples = Samples(metrics.RenderPrometheus());
  EXPECT_EQ(samples.at("x_total{a=\"1\",b=\"2\"}"), "2");
  EXPECT_EQ(samples.at("x_total{a=\"1\",b=\"3\"}"), "5");
}

TEST(MetricsTest, GaugeGoesUpAndDownAndFormatsFractions) {
  Metrics metrics;
  Gauge& g = metrics.gauge("vidgen_ws_clients", "Open WebSocket connections.");
  g.Increment();
  g.Increment();
  g.Decrement();
  Gauge& fps = metrics.gauge("vidgen_render_fps", "Frames per second of the last render.");
  fps.Set(96.5);
  const auto samples = Samples(metrics.RenderPrometheus());
  EXPECT_EQ(samples.at("vidgen_ws_clients"), "1");
  EXPECT_EQ(samples.at("vidgen_render_fps"), "96.5");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics metrics;
  metrics.counter("odd_total", "Odd labels.", {{"path", "a\"b\\c\nd"}}).Increment();
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("odd_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  // The newline inside the value must not split the sample line.
  EXPECT_EQ(Lines(text).size(), 3u);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Metrics metrics;
  Histogram& h = metrics.histogram("vidgen_job_duration_seconds", "Job durations.", {1, 5, 10},
                                   {{"outcome", "completed"}});
  for (double v : {0.5, 1.0, 3.0, 7.0, 20.0}) h.Observe(v);
  const auto lines = Lines(metrics.RenderPrometheus());
  ASSERT_EQ(lines.size(), 2u + 4u + 2u);
  EXPECT_EQ(lines[1], "# TYPE vidgen_job_duration_seconds histogram");
  EXPECT_EQ(lines[2], "vidgen_job_duration_seconds_bucket{outcome=\"completed\",le=\"1\"} 2");
  EXPECT_EQ(lines[3], "vidgen_job_duration_seconds_bucket{outcome=\"completed\",le=\"5\"} 3");
  EXPECT_EQ(lines[4], "vidgen_job_duration_seconds_bucket{outcome=\"completed\",le=\"10\"} 4");
  EXPECT_EQ(lines[5], "vidgen_job_duration_seconds_bucket{outcome=\"completed\",le=\"+Inf\"} 5");
  EXPECT_EQ(lines[6], "vidgen_job_duration_seconds_sum{outcome=\"completed\"} 31.5");
  EXPECT_EQ(lines[7], "vidgen_job_duration_seconds_count{outcome=\"completed\"} 5");
}

TEST(MetricsTest, FamiliesAreSortedAndEachHasOneHelpAndType) {
  Metrics metrics;
  metrics.gauge("b_gauge", "B.").Set(1);
  metrics.counter("a_total", "A.", {{"k", "1"}}).Increment();
  metrics.counter("a_total", "A second help is ignored.", {{"k", "2"}}).Increment();
  const auto lines = Lines(metrics.RenderPrometheus());
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], "# HELP a_total A.");
  EXPECT_EQ(lines[1], "# TYPE a_total counter");
  EXPECT_EQ(lines[2], "a_total{k=\"1\"} 1");
  EXPECT_EQ(lines[3], "a_total{k=\"2\"} 1");
  EXPECT_EQ(lines[4], "# HELP b_gauge B.");
  EXPECT_EQ(lines[5], "# TYPE b_gauge gauge");
  EXPECT_EQ(lines[6], "b_gauge 1");
}

TEST(MetricsTest, ScrapeHooksRefreshGaugesBeforeRendering) {
  Metrics metrics;
  Gauge& queued = metrics.gauge("vidgen_jobs", "Jobs by state.", {{"state", "queued"}});
  int calls = 0;
  metrics.AddScrapeHook([&] { queued.Set(++calls * 10); });
  EXPECT_EQ(Samples(metrics.RenderPrometheus()).at("vidgen_jobs{state=\"queued\"}"), "10");
  EXPECT_EQ(Samples(metrics.RenderPrometheus()).at("vidgen_jobs{state=\"queued\"}"), "20");
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Metrics metrics;
  Counter& c = metrics.counter("hits_total", "Hits.");
  Histogram& h = metrics.histogram("lat_seconds", "Latency.", Metrics::LatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25000; ++i) {
        c.Increment();
        h.Observe(0.001);
        // Registration from many threads returns the same series.
        metrics.counter("hits_total", "Hits.").Increment(0);
      }
    });
  }
  std::string during = metrics.RenderPrometheus();  // scraping while writers run is safe
  for (auto& t : threads) t.join();
  const auto samples = Samples(metrics.RenderPrometheus());
  EXPECT_EQ(samples.at("hits_total"), "100000");
  EXPECT_EQ(samples.at("lat_seconds_count"), "100000");
  EXPECT_EQ(samples.at("lat_seconds_bucket{le=\"0.0005\"}"), "0");
  EXPECT_EQ(samples.at("lat_seconds_bucket{le=\"0.001\"}"), "100000");
  EXPECT_FALSE(during.empty());
}

TEST(MetricsDeathTest, TypeClashIsABrokenInvariant) {
  Metrics metrics;
  metrics.counter("clash", "c");
  EXPECT_DEATH(metrics.gauge("clash", "g"), "");
  EXPECT_DEATH(metrics.counter("bad name", "b"), "");
}

}  // namespace
}  // namespace vg::obs

// Metrics: the process's one metrics registry, rendered in Prometheus' text exposition format
// 0.0.4 for GET /metrics. Counters, gauges and histograms, each a family (name, help, type)
// with one series per label set. Registration takes a lock and returns a reference that stays
// valid for the registry's lifetime; updates through it are lock-free atomics (the hot path).
// Scrape hooks let owners refresh gauges (queue counts, storage bytes) just before a render.
//
// Thread safety: every method of Metrics, Counter, Gauge and Histogram is thread-safe.
// Ownership: app/ builds one Metrics and passes pointers down; it must outlive its users.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vg::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing value.
class Counter {
 public:
  void Increment(double amount = 1);  // amount >= 0 (negative amounts are ignored)
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Cumulative count of observations <= upper_bounds()[i]; i == size() is +Inf.
  uint64_t CumulativeCount(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;  // per bucket, +Inf last
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The series of family `name` with `labels` (created on first use; later calls with the
  // same name and labels return the same object, whatever the order of `labels`). A name must
  // match [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*; a name registered
  // with another type, or bad names, are broken invariants (VG_CHECK). The first `help` given
  // for a family is kept.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // `buckets`: ascending finite upper bounds; the first registration of a family fixes them.
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> buckets,
                       const Labels& labels = {});

  // Runs `hook` at the start of every RenderPrometheus (e.g. to Set gauges from Redis counts).
  // Hooks run on the scraping thread, must be thread-safe and must not register hooks.
  void AddScrapeHook(std::function<void()> hook);

  // Every family, sorted by name, as "# HELP", "# TYPE" and one line per series (histograms:
  // _bucket{le=...} cumulative with le="+Inf", _sum, _count). Label values are escaped
  // (backslash, double quote, newline).
  std::string RenderPrometheus() const;

  // Default buckets (seconds) for request latencies and for job durations.
  static std::vector<double> LatencyBuckets();      // 0.0005 .. 10 s
  static std::vector<double> JobDurationBuckets();  // 1 .. 3600 s

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family;
  Family& FamilyFor(std::string_view name, std::string_view help, Type type);

  mutable std::mutex mutex_;  // guards families_ and hooks_ (not the values)
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
  std::vector<std::function<void()>> hooks_;
};

// Escapes a label value for the text format: \\ → \\\\, " → \\", newline → \\n.
std::string EscapeLabelValue(std::string_view value);

}  // namespace vg::obs

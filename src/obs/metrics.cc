// The metrics registry and its Prometheus text rendering (see metrics.h).
#include "obs/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <variant>

#include "base/check.h"

namespace vg::obs {
namespace {

void AtomicAdd(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) {
  if (name.empty() || name.find(':') != std::string_view::npos) return false;
  return IsMetricName(name);
}

// Prometheus' float formatting: +Inf, -Inf, NaN, integers without a fraction.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Labels SortedLabels(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [name, value] : sorted) {
    VG_CHECK(IsLabelName(name) && name != "le");
  }
  return sorted;
}

std::string LabelText(const Labels& labels, std::string_view extra_name = {},
                      std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += EscapeLabelValue(value);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Counter::Increment(double amount) {
  if (!(amount >= 0)) return;
  AtomicAdd(value_, amount);
}

void Gauge::Add(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      bucket_counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i + 1 < upper_bounds_.size(); ++i) {
    VG_CHECK(upper_bounds_[i] < upper_bounds_[i + 1]);
  }
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i].store(0);
}

void Histogram::Observe(double value) {
  // Each observation lands in its own (non-cumulative) bucket; rendering accumulates.
  const auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  const size_t index = static_cast<size_t>(it - upper_bounds_.begin());
  bucket_counts_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Histogram::CumulativeCount(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b <= upper_bounds_.size(); ++b) {
    total += bucket_counts_[b].load(std::memory_order_relaxed);
  }
  return total;
}

struct Metrics::Family {
  Type type;
  std::string help;
  std::vector<double> buckets;  // histograms only
  // Series by sorted label set. Values are heap objects so references stay valid.
  std::map<Labels, std::unique_ptr<Counter>> counters;
  std::map<Labels, std::unique_ptr<Gauge>> gauges;
  std::map<Labels, std::unique_ptr<Histogram>> histograms;
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Family& Metrics::FamilyFor(std::string_view name, std::string_view help, Type type) {
  VG_CHECK(IsMetricName(name));
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->type = type;
    family->help = std::string(help);
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  VG_CHECK(it->second->type == type);
  return *it->second;
}

Counter& Metrics::counter(std::string_view name, std::string_view help, const Labels& labels) {
  Labels key = SortedLabels(labels);
  std::lock_guard lock(mutex_);
  Family& family = FamilyFor(name, help, Type::kCounter);
  auto& slot = family.counters[std::move(key)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  Labels key = SortedLabels(labels);
  std::lock_guard lock(mutex_);
  Family& family = FamilyFor(name, help, Type::kGauge);
  auto& slot = family.gauges[std::move(key)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(std::string_view name, std::string_view help,
                              std::vector<double> buckets, const Labels& labels) {
  Labels key = SortedLabels(labels);
  std::lock_guard lock(mutex_);
  Family& family = FamilyFor(name, help, Type::kHistogram);
  if (family.histograms.empty() && family.buckets.empty()) {
    for (double bound : buckets) VG_CHECK(std::isfinite(bound));
    family.buckets = std::move(buckets);
  }
  auto& slot = family.histograms[std::move(key)];
  if (!slot) slot = std::make_unique<Histogram>(family.buckets);
  return *slot;
}

void Metrics::AddScrapeHook(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  hooks_.push_back(std::move(hook));
}

std::string Metrics::RenderPrometheus() const {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(mutex_);
    hooks = hooks_;
  }
  for (const auto& hook : hooks) hook();

  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    const char* type_name = family->type == Type::kCounter ? "counter"
                            : family->type == Type::kGauge ? "gauge"
                                                           : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(family->help), name,
                       type_name);
    for (const auto& [labels, counter] : family->counters) {
      out += fmt::format("{}{} {}\n", name, LabelText(labels), FormatValue(counter->value()));
    }
    for (const auto& [labels, gauge] : family->gauges) {
      out += fmt::format("{}{} {}\n", name, LabelText(labels), FormatValue(gauge->value()));
    }
    for (const auto& [labels, histogram] : family->histograms) {
      const auto& bounds = histogram->upper_bounds();
      // Read the buckets first and the count last, so count >= the +Inf bucket is never
      // violated by a concurrent Observe; the +Inf bucket is the cumulative total read here.
      uint64_t cumulative = 0;
      for (size_t i = 0; i < bounds.size(); ++i) {
        cumulative = histogram->CumulativeCount(i);
        out += fmt::format("{}_bucket{} {}\n", name,
                           LabelText(labels, "le", FormatValue(bounds[i])), cumulative);
      }
      const uint64_t total = histogram->CumulativeCount(bounds.size());
      out += fmt::format("{}_bucket{} {}\n", name, LabelText(labels, "le", "+Inf"), total);
      out += fmt::format("{}_sum{} {}\n", name, LabelText(labels), FormatValue(histogram->sum()));
      out += fmt::format("{}_count{} {}\n", name, LabelText(labels), total);
    }
  }
  return out;
}

std::vector<double> Metrics::LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> Metrics::JobDurationBuckets() {
  return {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600};
}

}  // namespace vg::obs

// key=value log lines through spdlog, written to stderr by a buffering sink of our own.
#include "obs/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace vg::obs {
namespace {

std::atomic<Level> g_level{Level::kInfo};

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

void AppendValue(std::string& out, std::string_view value) {
  bool needs_quotes = value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Lines go to a buffer; a flush writes the buffer to stderr in one write(). Log() flushes at
// once, LogDeferred() leaves the line for the flusher (below) or the next flush.
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool pending() const { return pending_.load(std::memory_order_relaxed); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    buffer_.append(formatted.data(), formatted.size());
    pending_.store(true, std::memory_order_relaxed);
    if (buffer_.size() >= kMaxBufferedBytes) flush_();
  }
  void flush_() override {
    size_t written = 0;
    while (written < buffer_.size()) {
      const ssize_t n = ::write(STDERR_FILENO, buffer_.data() + written, buffer_.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr is gone: the lines cannot go anywhere
      written += static_cast<size_t>(n);
    }
    buffer_.clear();
    pending_.store(false, std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kMaxBufferedBytes = 64 * 1024;
  std::string buffer_;  // guarded by the base's mutex
  std::atomic<bool> pending_{false};
};

struct Output {
  std::shared_ptr<BufferedStderrSink> sink = std::make_shared<BufferedStderrSink>();
  std::shared_ptr<spdlog::logger> logger = [this] {
    auto l = std::make_shared<spdlog::logger>("vidgen", sink);
    l->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::off);  // Log() flushes itself
    return l;
  }();
};

// One output for the process; the pattern adds only the timestamp.
Output& TheOutput() {
  static Output output;
  return output;
}

// Writes deferred lines at most kFlushInterval after they were logged. Started by the first
// deferred line; stopped (with a last flush) when the process exits normally.
class Flusher {
 public:
  static constexpr std::chrono::milliseconds kFlushInterval{100};

  explicit Flusher(Output& output) : output_(output) {
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        wake_.wait_for(lock, kFlushInterval);
        if (output_.sink->pending()) output_.logger->flush();
      }
    });
  }
  ~Flusher() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    output_.logger->flush();
  }

 private:
  Output& output_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

void Write(Level level, std::string_view event, std::initializer_list<Field> fields,
           bool deferred) {
  if (level < g_level.load(std::memory_order_relaxed) || level == Level::kOff) return;
  Output& output = TheOutput();
  if (deferred) {
    static Flusher flusher(output);  // after TheOutput(), so destroyed before it
  }
  output.logger->info(FormatLine(level, event, fields));
  if (!deferred) output.logger->flush();
}

}  // namespace

Field::Field(std::string_view k, double v) : key(k), value(fmt::format("{:.6g}", v)) {}

std::string FormatLine(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = "level=";
  line += LevelName(level);
  line += " event=";
  AppendValue(line, event);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    AppendValue(line, f.value);
  }
  return line;
}

void Log(Level level, std::string_view event, std::initializer_list<Field> fields) {
  Write(level, event, fields, /*deferred=*/false);
}

void LogDeferred(Level level, std::string_view event, std::initializer_list<Field> fields) {
  Write(level, event, fields, /*deferred=*/level < Level::kWarn);
}

void SetLogLevel(Level level) { g_level.store(level); }

bool ParseLevel(std::string_view text, Level* level) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError, Level::kOff}) {
    if (text == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

}  // namespace vg::obs

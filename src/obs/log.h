// Structured logs: one line per event, `key=value` pairs after a timestamp and level, written
// to stderr through spdlog. Values with spaces, quotes or '=' are quoted. Never pass secrets
// or signed URLs as values. Thread-safe.
//   obs::Log(obs::Level::kInfo, "render.done", {{"frames", 300}, {"fps", 96.5}});
//   → ts=2026-11-25T18:40:11.123Z level=info event=render.done frames=300 fps=96.5
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vg::obs {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string_view key;
  std::string value;
};

// Writes the line (and any deferred lines before it) to stderr before returning.
void Log(Level level, std::string_view event, std::initializer_list<Field> fields = {});
// For lines logged at a high rate (one per HTTP request): the line is buffered and written,
// in order, with the next Log() line, when 64 KiB are pending, or within 100 ms, so a busy
// server makes one write() per batch instead of per line. Warnings and errors are not
// deferred. Lines still buffered when the process is killed (SIGKILL) are lost; a normal
// exit writes them.
void LogDeferred(Level level, std::string_view event, std::initializer_list<Field> fields = {});

// Lines below `level` are dropped. Default: kInfo.
void SetLogLevel(Level level);
// Parses "debug", "info", "warn", "error", "off"; returns false for anything else.
bool ParseLevel(std::string_view text, Level* level);

// Formats one line without the timestamp (for tests): "level=info event=x a=1".
std::string FormatLine(Level level, std::string_view event, std::initializer_list<Field> fields);

}  // namespace vg::obs

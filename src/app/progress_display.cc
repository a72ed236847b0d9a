// The progress bar and JSON progress lines.
#include "app/progress_display.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace vg::app {

bool ParseProgressMode(std::string_view text, ProgressMode* mode) {
  if (text == "auto") {
    *mode = isatty(STDERR_FILENO) ? ProgressMode::kBar : ProgressMode::kNone;
  } else if (text == "bar") {
    *mode = ProgressMode::kBar;
  } else if (text == "json") {
    *mode = ProgressMode::kJson;
  } else if (text == "none") {
    *mode = ProgressMode::kNone;
  } else {
    return false;
  }
  return true;
}

void ProgressDisplay::Update(const render::Progress& p) {
  if (mode_ == ProgressMode::kNone) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = p.frames_done >= p.frames_total;
  if (!last && drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  if (mode_ == ProgressMode::kJson) {
    std::fputs(fmt::format("{{\"frame\":{},\"total\":{},\"fps\":{:.1f},\"etaSec\":{:.1f}}}\n",
                           p.frames_done, p.frames_total, p.fps, p.eta_seconds).c_str(), stderr);
    std::fflush(stderr);
    return;
  }
  constexpr int kWidth = 30;
  const double fraction = p.frames_total > 0 ? static_cast<double>(p.frames_done) / p.frames_total : 1;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  std::fputs(fmt::format("\r[{}] {:3.0f}%  frame {}/{}  {:.1f} fps  {:.1f} s left ", bar,
                         fraction * 100, p.frames_done, p.frames_total, p.fps, p.eta_seconds).c_str(),
             stderr);
  std::fflush(stderr);
}

void ProgressDisplay::Finish() {
  if (mode_ == ProgressMode::kBar && drawn_) std::fputs("\n", stderr);
}

}  // namespace vg::app

// Progress on stderr for long commands: a redrawn bar on a terminal, one JSON object a line
// for machines (`{"frame":120,"total":300,"fps":96.5,"etaSec":1.9}`), or nothing. Updates are
// throttled to 10 per second; the last one always prints. Used from one thread.
#pragma once

#include <chrono>
#include <string_view>

#include "render/render.h"

namespace vg::app {

enum class ProgressMode { kNone, kBar, kJson };

// "auto" → bar on a terminal, none otherwise. Returns false for an unknown name.
bool ParseProgressMode(std::string_view text, ProgressMode* mode);

class ProgressDisplay {
 public:
  explicit ProgressDisplay(ProgressMode mode) : mode_(mode) {}
  void Update(const render::Progress& progress);
  // Ends the bar's line.
  void Finish();

 private:
  ProgressMode mode_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace vg::app

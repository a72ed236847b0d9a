// bench/render/frame_cost: what a frame costs before the encoder — drawing (RenderFrame) and
// the BT.709 conversion — on one thread, per frame, for a template (default: the shared promo).
//   frame_cost TEMPLATE [frames] [repeats]
// Prints CPU ms per frame (this thread's CPU time, so a busy machine disturbs it less than wall
// time) for each stage, and the draw cost of the costliest frames. With repeats > 1 the frames
// are drawn that many times and each frame's cheapest run counts: other processes only ever
// add time (cache and core sharing), so the minimum is the figure that compares across runs.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "render/color_convert.h"
#include "render/compositor.h"
#include "render/timeline.h"
#include "tmpl/load.h"

namespace {

// This thread's CPU time.
struct ThreadClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<ThreadClock, duration>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(ts.tv_sec * 1'000'000'000LL + ts.tv_nsec));
  }
};

}  // namespace

int main(int argc, char** argv) {
  using Clock = ThreadClock;
  if (argc < 2) {
    std::fprintf(stderr, "usage: frame_cost TEMPLATE [frames]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  vg::tmpl::Limits limits;
  auto json = vg::tmpl::ParseJson(text.str(), "template", limits);
  if (!json.ok()) return std::fprintf(stderr, "%s\n", json.error().ToString().c_str()), 1;
  auto t = vg::tmpl::Load(*json, nlohmann::json::object(), limits);
  if (!t.ok()) return std::fprintf(stderr, "%s\n", t.error().ToString().c_str()), 1;
  vg::assets::AssetOptions options;
  options.base_dir = std::filesystem::absolute(argv[1]).parent_path().string();
  vg::assets::AssetCache assets(options);
  auto build_start = Clock::now();
  auto timeline = vg::render::Timeline::Build(*t, assets, limits);
  if (!timeline.ok()) return std::fprintf(stderr, "%s\n", timeline.error().ToString().c_str()), 1;
  double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - build_start).count();
  const auto& tl = **timeline;
  vg::FrameIndex frames = argc > 2 ? std::min<vg::FrameIndex>(std::atoll(argv[2]), tl.frame_count()) : tl.frame_count();
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
  vg::render::Canvas canvas(tl.width(), tl.height());
  std::vector<uint8_t> y(tl.width() * tl.height()), u(y.size() / 4), v(y.size() / 4);
  std::vector<double> draw_ms(static_cast<size_t>(frames), 1e300), convert_ms(draw_ms);
  for (int r = 0; r < repeats; ++r) {
    for (vg::FrameIndex f = 0; f < frames; ++f) {
      auto a = Clock::now();
      vg::render::RenderFrame(tl, f, canvas);
      auto b = Clock::now();
      vg::render::ConvertBgraToYuv420Bt709(canvas.bitmap().pixels.data(), canvas.bitmap().stride, tl.width(),
                                           tl.height(), {y.data(), tl.width(), u.data(), tl.width() / 2, v.data(), tl.width() / 2});
      auto c = Clock::now();
      const auto i = static_cast<size_t>(f);
      draw_ms[i] = std::min(draw_ms[i], std::chrono::duration<double, std::milli>(b - a).count());
      convert_ms[i] = std::min(convert_ms[i], std::chrono::duration<double, std::milli>(c - b).count());
    }
  }
  double convert_total = 0;
  for (double d : convert_ms) convert_total += d;
  double draw_total = 0;
  for (double d : draw_ms) draw_total += d;
  std::printf("%dx%d, %lld frames, best of %d: build %.1f ms; per frame: draw %.2f ms, convert %.2f ms\n",
              tl.width(), tl.height(), static_cast<long long>(frames), repeats, build_ms, draw_total / frames,
              convert_total / frames);
  std::vector<size_t> order(draw_ms.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return draw_ms[a] > draw_ms[b]; });
  std::printf("costliest frames:");
  for (size_t i = 0; i < std::min<size_t>(5, order.size()); ++i) std::printf(" %zu (%.2f ms)", order[i], draw_ms[order[i]]);
  std::printf("\n");
  return 0;
}

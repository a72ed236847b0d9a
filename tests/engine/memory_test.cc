// Memory stays flat however long the video is: the peak RSS of `vidgen render` for a 24 s
// video is within a few MB of a 3 s one (frames in flight are bounded; audio is decoded and
// mixed in blocks; nothing accumulates per frame).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace {

namespace fs = std::filesystem;

// Runs vidgen with `args` and returns the child's peak RSS in KiB (-1 on failure).
long PeakRssKib(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(VG_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(VG_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return usage.ru_maxrss;
}

std::string WriteTemplate(const fs::path& dir, double seconds) {
  // Every kind of work a long video does per frame: a moving photo, text, a shape, looping audio.
  const fs::path path = dir / fmt::format("long-{}.json", seconds);
  std::ofstream(path) << fmt::format(R"({{
    "version": 1, "output": {{ "width": 320, "height": 180, "fps": 30, "quality": "draft" }},
    "duration": {},
    "tracks": [
      {{ "type": "image", "clips": [ {{ "src": "{}", "width": 320, "height": 180,
         "animations": [ {{ "property": "scale", "keyframes": [ {{ "time": 0, "value": 1 }}, {{ "time": {}, "value": 1.3 }} ] }} ] }} ] }},
      {{ "type": "text", "clips": [ {{ "text": "Memory stays flat", "style": {{ "fontSize": 20 }},
         "animations": [ {{ "property": "rotation", "keyframes": [ {{ "time": 0, "value": 0 }}, {{ "time": {}, "value": 720 }} ] }} ] }} ] }},
      {{ "type": "audio", "clips": [ {{ "src": "{}", "loop": true, "fadeOut": 1 }} ] }} ] }})",
                                     seconds, VG_ASSETS "/photo.jpg", seconds, seconds, VG_ASSETS "/music.ogg");
  return path.string();
}

TEST(MemoryTest, PeakRssDoesNotGrowWithTheVideosLength) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("vg-memory-{}", getpid());
  fs::create_directories(dir);
  const std::string out = (dir / "out.mp4").string();
  const long short_kib = PeakRssKib({"render", WriteTemplate(dir, 3), "-o", out, "--threads", "2", "--progress", "none"});
  const long long_kib = PeakRssKib({"render", WriteTemplate(dir, 24), "-o", out, "--threads", "2", "--progress", "none"});
  fs::remove_all(dir);
  ASSERT_GT(short_kib, 0);
  ASSERT_GT(long_kib, 0);
  std::printf("peak RSS: 3 s video %ld KiB, 24 s video %ld KiB\n", short_kib, long_kib);
  // 8× the frames and samples; allow allocator noise but not growth with length.
  EXPECT_LT(long_kib - short_kib, 8 * 1024);
}

}  // namespace

// The encoder's promise that the same frames and --threads give the same file, whatever the
// timing: render threads hand frames over in bursts and pauses that differ from run to run,
// and x264 must not let that show in the bytes. Each encode runs in a child process forked
// from the same state, so every run starts from the same memory: the timing of the frames is
// the only difference between them.
#include "render/encoder.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace vg::render {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Encodes 60 frames of a moving pattern (detailed enough for x264 to weigh B against P frames)
// at 2 threads, sleeping `pause_ms` before each frame whose index modulo `every` is 0.
std::string Encode(const std::filesystem::path& path, int every, int pause_ms) {
  EncoderSettings settings;
  settings.path = path.string();
  settings.width = 320;
  settings.height = 180;
  settings.fps = Rational(30, 1);
  settings.quality = tmpl::Quality::kStandard;
  settings.threads = 2;
  auto encoder = Encoder::Open(settings);
  EXPECT_TRUE(encoder.ok()) << encoder.error().ToString();
  if (!encoder.ok()) return "";
  for (int f = 0; f < 60; ++f) {
    VideoFrame* frame = (*encoder)->AcquireFrame();
    const YuvPlanes planes = Encoder::Planes(frame);
    uint32_t seed = 7;
    for (int y = 0; y < 180; ++y) {
      for (int x = 0; x < 320; ++x) {
        seed = seed * 1103515245u + 12345u;
        // A gradient that slides and speeds up, plus fixed noise.
        const int moving = (x + y / 2 + f * (2 + f / 20)) & 0xff;
        planes.y[y * planes.y_stride + x] = static_cast<uint8_t>((moving + (seed >> 28)) & 0xff);
      }
    }
    for (int y = 0; y < 90; ++y) {
      for (int x = 0; x < 160; ++x) {
        planes.u[y * planes.u_stride + x] = static_cast<uint8_t>(128 + ((x + f) % 32) - 16);
        planes.v[y * planes.v_stride + x] = static_cast<uint8_t>(128 + ((y * 3 + f) % 32) - 16);
      }
    }
    if (every > 0 && f % every == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }
    EXPECT_TRUE((*encoder)->EncodeVideo(frame).ok());
  }
  EXPECT_TRUE((*encoder)->Finish().ok());
  encoder->reset();
  std::string bytes = ReadFile(path);
  std::filesystem::remove(path);
  return bytes;
}

// Encode() in a child process; the file's bytes, or "" when the child failed.
std::string EncodeInChild(const std::filesystem::path& path, int every, int pause_ms) {
  const pid_t child = fork();
  if (child == 0) {
    const std::string bytes = Encode(path, every, pause_ms);
    std::ofstream(path.string() + ".out", std::ios::binary) << bytes;
    _exit(bytes.empty() ? 1 : 0);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return "";
  }
  std::string bytes = ReadFile(path.string() + ".out");
  std::filesystem::remove(path.string() + ".out");
  return bytes;
}

TEST(EncoderTest, TheSameFramesGiveTheSameBytesWhateverTheirTiming) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto path = dir / ("vg-encoder-test-" + std::to_string(getpid()) + ".mp4");
  const std::string steady = EncodeInChild(path, 0, 0);
  ASSERT_GT(steady.size(), 1000u);
  // Pauses that leave x264's threads waiting for input at different points of the stream.
  const std::pair<int, int> timings[] = {{1, 3}, {4, 25}, {7, 60}, {13, 40}};
  for (const auto& [every, pause_ms] : timings) {
    EXPECT_TRUE(EncodeInChild(path, every, pause_ms) == steady)
        << "a pause of " << pause_ms << " ms before every " << every << "th frame changed the file";
  }
}

}  // namespace
}  // namespace vg::render

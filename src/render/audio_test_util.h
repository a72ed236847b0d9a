// Test helpers for the audio tests (header-only): a temporary folder, test audio generated at
// run time with the `ffmpeg` command line (lavfi sources encoded to any format), and small
// signal measurements (peak, RMS, onset, fit to a sine).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace vg::render::testing {

// A fresh folder under the system temp folder, removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("vg_audio_test_{}_{:08x}", ::getpid(), random());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path File(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::shared_ptr<const std::string> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::make_shared<const std::string>(std::istreambuf_iterator<char>(in),
                                             std::istreambuf_iterator<char>());
}

// Runs `ffmpeg -f lavfi -i <source> <output_args> <file>` and returns the file's bytes (empty
// when ffmpeg failed: the test then fails on its first assertion about the bytes).
inline std::shared_ptr<const std::string> MakeAudio(const TempDir& dir, std::string_view name,
                                                    std::string_view lavfi_source,
                                                    std::string_view output_args = "") {
  const auto path = dir.File(name);
  const std::string command =
      fmt::format("ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i \"{}\" {} \"{}\"",
                  lavfi_source, output_args, path.string());
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return ReadBytes(path);
}

// Decodes `file` with the ffmpeg command line to interleaved float at its own rate and with
// `channels` channels: an independent reference for our decoder.
inline std::vector<float> DecodeWithFfmpeg(const TempDir& dir, std::string_view file,
                                           int channels) {
  const auto raw = dir.File(std::string(file) + ".f32");
  const std::string command = fmt::format(
      "ffmpeg -nostdin -hide_banner -loglevel error -y -i \"{}\" -ac {} -f f32le \"{}\"",
      dir.File(file).string(), channels, raw.string());
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  auto bytes = ReadBytes(raw);
  std::vector<float> samples(bytes->size() / sizeof(float));
  std::memcpy(samples.data(), bytes->data(), samples.size() * sizeof(float));
  return samples;
}

// Interleaved stereo helpers: frame i is (v[2i], v[2i+1]).
inline float Left(const std::vector<float>& v, int64_t i) { return v[2 * static_cast<size_t>(i)]; }

inline double Peak(const std::vector<float>& v, int64_t first_frame, int64_t end_frame) {
  double peak = 0;
  for (int64_t i = 2 * first_frame; i < 2 * end_frame; ++i) {
    peak = std::max(peak, std::abs(static_cast<double>(v[static_cast<size_t>(i)])));
  }
  return peak;
}

inline double Rms(const std::vector<float>& v, int64_t first_frame, int64_t end_frame) {
  double sum = 0;
  for (int64_t i = 2 * first_frame; i < 2 * end_frame; ++i) {
    sum += static_cast<double>(v[static_cast<size_t>(i)]) * v[static_cast<size_t>(i)];
  }
  return std::sqrt(sum / static_cast<double>(2 * (end_frame - first_frame)));
}

// The first frame whose left or right sample exceeds `threshold` in magnitude; -1 if none.
inline int64_t FirstAbove(const std::vector<float>& v, double threshold, int64_t from = 0) {
  for (size_t i = 2 * static_cast<size_t>(from); i < v.size(); ++i) {
    if (std::abs(v[i]) > threshold) return static_cast<int64_t>(i / 2);
  }
  return -1;
}

// RMS difference between the left channel over [first, end) and
// amplitude × sin(2π × hz × (i − origin) / rate), relative to the amplitude.
inline double SineError(const std::vector<float>& v, int64_t first, int64_t end, double hz,
                        double rate, double amplitude, int64_t origin) {
  double sum = 0;
  for (int64_t i = first; i < end; ++i) {
    const double want =
        amplitude * std::sin(2 * M_PI * hz * static_cast<double>(i - origin) / rate);
    const double d = Left(v, i) - want;
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(end - first)) / amplitude;
}

}  // namespace vg::render::testing

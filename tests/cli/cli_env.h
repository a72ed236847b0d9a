// Shared helpers of the `vidgen` end-to-end tests: where the binary, ffmpeg and the test data
// are (compiled in by tests/cli/CMakeLists.txt), a fresh temporary folder per test, running
// vidgen, probing and decoding its output with ffprobe/ffmpeg, and reading MP4 boxes.
// Everything here is used from the test's own thread only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.h"

namespace vg::cli_test {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// Paths passed in by CMake.
std::string VidgenPath();
std::string FfmpegPath();
std::string FfprobePath();
fs::path DataDir();  // tests/cli/data in the source tree

std::string ReadFile(const fs::path& path);
void WriteFile(const fs::path& path, const std::string& bytes);
// Names of the entries of a folder, sorted.
std::vector<std::string> ListDir(const fs::path& dir);

// A folder made with mkdtemp, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `vidgen args...`.
ProcessResult RunVidgen(const std::vector<std::string>& args, const ProcessOptions& options = {});

// Runs ffmpeg with "-v error -y" and the given args; fails the test (ADD_FAILURE) on error.
// Returns its stdout (raw decoded data when the output is "-").
std::string Ffmpeg(const std::vector<std::string>& args);

// ffprobe -show_format -show_streams -count_frames as JSON; an empty object on failure.
Json Probe(const fs::path& file);
// The first stream of the given codec_type ("video", "audio") in a probe; null if none.
const Json* StreamOfType(const Json& probe, const std::string& type);
// How many streams of that type.
int CountStreams(const Json& probe, const std::string& type);
// A probe field that ffprobe prints as a string or a number, as a double; NaN when absent.
double ProbeNumber(const Json& object, const std::string& key);

// Decodes the audio as interleaved float stereo at 48 kHz.
std::vector<float> DecodeAudioStereo(const fs::path& file);
// Decodes every video frame (or the one image) to 8-bit grey and returns each frame's mean.
std::vector<double> FrameMeans(const fs::path& file, int width, int height);

// Decodes the first frame (or the image) to RGB and returns the mean of each channel.
std::vector<double> RgbMeans(const fs::path& file, int width, int height);

// The top-level boxes of an MP4 file, in file order: (type, size in bytes).
struct Mp4Box {
  std::string type;
  uint64_t size = 0;
};
std::vector<Mp4Box> TopLevelBoxes(const fs::path& file);

// RMS of channel 0 of interleaved stereo over [first, first + count) samples.
double RmsLeft(const std::vector<float>& stereo, size_t first, size_t count);

// A test with its own temporary folder and helpers to write templates into it.
class CliTest : public ::testing::Test {
 protected:
  fs::path Dir() const { return dir_.path(); }
  fs::path Path(const std::string& name) const { return dir_.path() / name; }
  // Writes the template as name and returns its path.
  std::string WriteTemplate(const Json& document, const std::string& name = "template.json");
  // A sine stereo WAV of `seconds` at 48 kHz with peak `amplitude` (ffmpeg's aevalsrc).
  std::string MakeTone(const std::string& name, double frequency, double amplitude, double seconds);

  TempDir dir_;
};

// A minimal valid template: black background, the given size/fps/duration, no tracks.
Json BaseTemplate(int width, int height, double fps, double duration);
// A full-frame (or width × height) shape clip JSON.
Json RectClip(int width, int height, const std::string& fill);

}  // namespace vg::cli_test

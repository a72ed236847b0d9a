// Helpers of cli_env.h.
#include "cli_env.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#ifndef VG_VIDGEN_PATH
#error "VG_VIDGEN_PATH must be defined by tests/cli/CMakeLists.txt"
#endif
#ifndef VG_CLI_DATA_DIR
#error "VG_CLI_DATA_DIR must be defined by tests/cli/CMakeLists.txt"
#endif
#ifndef VG_FFMPEG
#define VG_FFMPEG "ffmpeg"
#endif
#ifndef VG_FFPROBE
#define VG_FFPROBE "ffprobe"
#endif

namespace vg::cli_test {

std::string VidgenPath() { return VG_VIDGEN_PATH; }
std::string FfmpegPath() { return VG_FFMPEG; }
std::string FfprobePath() { return VG_FFPROBE; }
fs::path DataDir() { return fs::path(VG_CLI_DATA_DIR); }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::vector<std::string> ListDir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "vidgen-cli-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
    return;
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code error;
  // Undo a chmod a test may have made, then remove everything.
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, error);
  fs::remove_all(path_, error);
}

ProcessResult RunVidgen(const std::vector<std::string>& args, const ProcessOptions& options) {
  std::vector<std::string> argv = {VidgenPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, options);
}

std::string Ffmpeg(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {FfmpegPath(), "-nostdin", "-hide_banner", "-v", "error", "-y"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.timeout_ms = 60000;
  ProcessResult result = RunProcess(argv, options);
  if (!result.exited || result.exit_code != 0) {
    std::string joined;
    for (const auto& a : argv) joined += a + " ";
    ADD_FAILURE() << "ffmpeg failed (" << result.Describe() << "): " << joined << "\n"
                  << result.err;
  }
  return std::move(result.out);
}

Json Probe(const fs::path& file) {
  ProcessResult result =
      RunProcess({FfprobePath(), "-v", "error", "-print_format", "json", "-show_format",
                  "-show_streams", "-count_frames", file.string()});
  if (!result.exited || result.exit_code != 0) {
    ADD_FAILURE() << "ffprobe " << file << " failed (" << result.Describe() << "): " << result.err;
    return Json::object();
  }
  Json probe = Json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  if (probe.is_discarded()) {
    ADD_FAILURE() << "ffprobe printed no JSON: " << result.out;
    return Json::object();
  }
  return probe;
}

const Json* StreamOfType(const Json& probe, const std::string& type) {
  if (!probe.contains("streams")) return nullptr;
  for (const auto& stream : probe["streams"]) {
    if (stream.value("codec_type", "") == type) return &stream;
  }
  return nullptr;
}

int CountStreams(const Json& probe, const std::string& type) {
  int count = 0;
  if (!probe.contains("streams")) return 0;
  for (const auto& stream : probe["streams"]) {
    if (stream.value("codec_type", "") == type) ++count;
  }
  return count;
}

double ProbeNumber(const Json& object, const std::string& key) {
  if (!object.contains(key)) return std::numeric_limits<double>::quiet_NaN();
  const Json& value = object[key];
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    try {
      return std::stod(value.get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::vector<float> DecodeAudioStereo(const fs::path& file) {
  std::string raw =
      Ffmpeg({"-i", file.string(), "-vn", "-f", "f32le", "-ac", "2", "-ar", "48000", "-"});
  std::vector<float> samples(raw.size() / sizeof(float));
  std::memcpy(samples.data(), raw.data(), samples.size() * sizeof(float));
  return samples;
}

std::vector<double> FrameMeans(const fs::path& file, int width, int height) {
  std::string raw = Ffmpeg({"-i", file.string(), "-an", "-f", "rawvideo", "-pix_fmt", "gray", "-"});
  const size_t frame_bytes = static_cast<size_t>(width) * static_cast<size_t>(height);
  std::vector<double> means;
  if (frame_bytes == 0) return means;
  EXPECT_EQ(raw.size() % frame_bytes, 0u) << "decoded size is not a whole number of frames";
  for (size_t offset = 0; offset + frame_bytes <= raw.size(); offset += frame_bytes) {
    uint64_t sum = 0;
    for (size_t i = 0; i < frame_bytes; ++i) sum += static_cast<unsigned char>(raw[offset + i]);
    means.push_back(static_cast<double>(sum) / static_cast<double>(frame_bytes));
  }
  return means;
}

std::vector<double> RgbMeans(const fs::path& file, int width, int height) {
  std::string raw = Ffmpeg(
      {"-i", file.string(), "-an", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"});
  const size_t pixels = static_cast<size_t>(width) * static_cast<size_t>(height);
  std::vector<double> means(3, 0.0);
  if (raw.size() != 3 * pixels) {
    ADD_FAILURE() << "decoded " << raw.size() << " bytes, expected " << 3 * pixels;
    return means;
  }
  for (size_t i = 0; i < pixels; ++i) {
    for (size_t c = 0; c < 3; ++c) means[c] += static_cast<unsigned char>(raw[3 * i + c]);
  }
  for (auto& m : means) m /= static_cast<double>(pixels);
  return means;
}

std::vector<Mp4Box> TopLevelBoxes(const fs::path& file) {
  std::vector<Mp4Box> boxes;
  std::ifstream in(file, std::ios::binary);
  if (!in) return boxes;
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  uint64_t offset = 0;
  while (offset + 8 <= file_size) {
    unsigned char header[16];
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(header), 8);
    if (!in) break;
    uint64_t size = (uint64_t{header[0]} << 24) | (uint64_t{header[1]} << 16) |
                    (uint64_t{header[2]} << 8) | uint64_t{header[3]};
    std::string type(reinterpret_cast<char*>(header + 4), 4);
    if (size == 1) {  // 64-bit largesize follows the type
      in.read(reinterpret_cast<char*>(header + 8), 8);
      if (!in) break;
      size = 0;
      for (int i = 8; i < 16; ++i) size = (size << 8) | header[i];
    } else if (size == 0) {  // runs to the end of the file
      size = file_size - offset;
    }
    if (size < 8 || offset + size > file_size) {
      boxes.push_back({type + "(bad size)", size});
      break;
    }
    boxes.push_back({type, size});
    offset += size;
  }
  return boxes;
}

double RmsLeft(const std::vector<float>& stereo, size_t first, size_t count) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = first; i < first + count && 2 * i < stereo.size(); ++i, ++n) {
    sum += static_cast<double>(stereo[2 * i]) * stereo[2 * i];
  }
  return n == 0 ? 0 : std::sqrt(sum / static_cast<double>(n));
}

std::string CliTest::WriteTemplate(const Json& document, const std::string& name) {
  fs::path path = Path(name);
  WriteFile(path, document.dump(2));
  return path.string();
}

std::string CliTest::MakeTone(const std::string& name, double frequency, double amplitude,
                              double seconds) {
  const std::string expression =
      std::to_string(amplitude) + "*sin(2*PI*" + std::to_string(frequency) + "*t)";
  Ffmpeg({"-f", "lavfi", "-i",
          "aevalsrc=" + expression + "|" + expression + ":s=48000:d=" + std::to_string(seconds),
          "-c:a", "pcm_s16le", Path(name).string()});
  return Path(name).string();
}

Json BaseTemplate(int width, int height, double fps, double duration) {
  return Json{{"version", 1},
              {"output", {{"width", width}, {"height", height}, {"fps", fps}}},
              {"duration", duration},
              {"background", "#000000"},
              {"tracks", Json::array()}};
}

Json RectClip(int width, int height, const std::string& fill) {
  return Json{{"shape", "rect"}, {"width", width}, {"height", height}, {"fill", fill}};
}

}  // namespace vg::cli_test

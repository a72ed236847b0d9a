// SIGINT/SIGTERM during a render: vidgen stops between frames, exits 130 within 2 s, leaves no
// output and no temporary file, and an existing file at OUT keeps its bytes.
#include <signal.h>

#include <string>
#include <vector>

#include "cli_env.h"

namespace vg::cli_test {
namespace {

class SignalTest : public CliTest {
 protected:
  // A 20 s 640x360 render with detail on every frame: far longer than the test waits.
  std::string LongTemplate() {
    Ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=1", "-frames:v", "1",
            Path("pattern.png").string()});
    Json t = BaseTemplate(640, 360, 30, 20);
    t["output"]["quality"] = "high";
    t["tracks"].push_back(
        {{"type", "image"},
         {"clips",
          {{{"src", "pattern.png"},
            {"width", 640},
            {"height", 360},
            {"animations",
             {{{"property", "rotation"},
               {"keyframes", {{{"time", 0}, {"value", 0}}, {{"time", 20}, {"value", 360}}}}}}}}}}});
    t["tracks"].push_back(
        {{"type", "text"}, {"clips", {{{"text", "Interrupted"}, {"style", {{"fontSize", 40}}}}}}});
    fs::create_directory(Path("out"));
    return WriteTemplate(t);
  }

  // Starts the render, sends `signal` once it has reported progress and at least 0.5 s have
  // passed, and checks how it ended.
  void InterruptRender(int signal, const fs::path& out) {
    ProcessOptions options;
    options.signal = signal;
    options.signal_after_ms = 500;
    options.signal_after_stderr = "\"frame\"";  // the first --progress json line
    options.timeout_ms = 30000;
    ProcessResult run = RunVidgen({"render", Path("template.json").string(), "-o", out.string(),
                                   "--threads", "2", "--progress", "json"},
                                  options);
    ASSERT_GE(run.signal_sent_s, 0)
        << "the render ended before the signal: " << run.Describe() << "\n"
        << run.err;
    EXPECT_TRUE(run.exited) << run.Describe();
    EXPECT_EQ(run.exit_code, 130) << run.Describe() << "\n" << run.err;
    EXPECT_LT(run.elapsed_s - run.signal_sent_s, 2.0) << "took too long to stop";
    RecordProperty("stop_seconds", std::to_string(run.elapsed_s - run.signal_sent_s));
  }
};

TEST_F(SignalTest, SigintStopsWith130AndLeavesNoFile) {
  LongTemplate();
  fs::path out = Path("out") / "video.mp4";
  InterruptRender(SIGINT, out);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(ListDir(Path("out")), std::vector<std::string>{}) << "leftover files";
}

TEST_F(SignalTest, SigtermLeavesAnExistingOutputUntouched) {
  LongTemplate();
  fs::path out = Path("out") / "video.mp4";
  const std::string previous = "an earlier video, not to be touched\n";
  WriteFile(out, previous);
  InterruptRender(SIGTERM, out);
  ASSERT_TRUE(fs::exists(out)) << "the existing file was removed";
  EXPECT_EQ(ReadFile(out), previous) << "the existing file was changed";
  EXPECT_EQ(ListDir(Path("out")), std::vector<std::string>{"video.mp4"}) << "leftover files";
}

}  // namespace
}  // namespace vg::cli_test

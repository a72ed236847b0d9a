#include "obs/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace vg::obs {
namespace {

TEST(LogTest, KeyValueLineQuotesWhatNeedsIt) {
  EXPECT_EQ(FormatLine(Level::kInfo, "render.done", {{"frames", 300}, {"fps", 96.5}}),
            "level=info event=render.done frames=300 fps=96.5");
  EXPECT_EQ(FormatLine(Level::kWarn, "x", {{"msg", "a b"}, {"q", "say \"hi\"\n"}}),
            "level=warn event=x msg=\"a b\" q=\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(FormatLine(Level::kError, "x", {{"empty", ""}}), "level=error event=x empty=\"\"");
}

// Points stderr at a temporary file for the test's lifetime.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    char path[] = "/tmp/vg_log_test_XXXXXX";
    file_ = mkstemp(path);
    unlink(path);
    dup2(file_, STDERR_FILENO);
  }
  ~StderrCapture() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(file_);
  }
  std::string Text() const {
    std::string text;
    char buffer[4096];
    for (off_t at = 0;;) {
      const ssize_t n = pread(file_, buffer, sizeof buffer, at);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
      at += n;
    }
    return text;
  }

 private:
  int saved_ = -1;
  int file_ = -1;
};

TEST(LogTest, DeferredLinesAreWrittenInOrderWithTheNextLineOrWithinTheFlushInterval) {
  StderrCapture capture;
  LogDeferred(Level::kInfo, "test.deferred", {{"n", 1}});
  LogDeferred(Level::kInfo, "test.deferred", {{"n", 2}});
  // Not written yet, unless the flusher's 100 ms tick fell in between (then what it wrote
  // starts with the first line).
  const std::string early = capture.Text();
  EXPECT_TRUE(early.empty() || early.find("event=test.deferred n=1") != std::string::npos)
      << early;
  Log(Level::kInfo, "test.immediate");
  std::string text = capture.Text();
  const size_t first = text.find("event=test.deferred n=1");
  const size_t second = text.find("event=test.deferred n=2");
  const size_t third = text.find("event=test.immediate");
  ASSERT_NE(first, std::string::npos) << text;
  ASSERT_NE(second, std::string::npos) << text;
  ASSERT_NE(third, std::string::npos) << text;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(text.find("ts="), 0u) << text;

  // Alone, a deferred line is written by the flusher within its interval (100 ms).
  LogDeferred(Level::kInfo, "test.later");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (capture.Text().find("event=test.later") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(capture.Text().find("event=test.later"), std::string::npos);

  // Warnings are never deferred.
  LogDeferred(Level::kWarn, "test.warning");
  EXPECT_NE(capture.Text().find("event=test.warning"), std::string::npos);
}

}  // namespace
}  // namespace vg::obs

#include "obs/log.h"

#include <gtest/gtest.h>

namespace vg::obs {
namespace {

TEST(LogTest, KeyValueLineQuotesWhatNeedsIt) {
  EXPECT_EQ(FormatLine(Level::kInfo, "render.done", {{"frames", 300}, {"fps", 96.5}}),
            "level=info event=render.done frames=300 fps=96.5");
  EXPECT_EQ(FormatLine(Level::kWarn, "x", {{"msg", "a b"}, {"q", "say \"hi\"\n"}}),
            "level=warn event=x msg=\"a b\" q=\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(FormatLine(Level::kError, "x", {{"empty", ""}}), "level=error event=x empty=\"\"");
}

}  // namespace
}  // namespace vg::obs

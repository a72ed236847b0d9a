// The embedded scripts: all present, includes expanded, SHA-1 shaped for EVALSHA.
#include "queue/lua_scripts.h"

#include <gtest/gtest.h>

namespace vg::queue::internal {
namespace {

TEST(LuaScriptsTest, EveryScriptIsEmbeddedWithItsIncludes) {
  for (const char* name :
       {"add_jobs", "add_log", "cancel_job", "extend_locks", "get_job", "move_stalled_jobs",
        "move_to_active", "move_to_finished", "move_to_wait", "pause", "remove_job",
        "reprocess_job", "retry_job", "update_progress"}) {
    const LuaScript* script = FindLuaScript(name);
    ASSERT_NE(script, nullptr) << name;
    EXPECT_EQ(script->sha1.size(), 40u) << name;
    EXPECT_EQ(script->body.find("--@include"), std::string_view::npos) << name;
  }
  EXPECT_NE(FindLuaScript("move_to_finished")->body.find("local function fetchNextJob"),
            std::string_view::npos);
  EXPECT_EQ(FindLuaScript("no_such_script"), nullptr);
}

}  // namespace
}  // namespace vg::queue::internal

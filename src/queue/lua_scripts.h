// The queue's Lua scripts, embedded at build time from src/queue/lua (embed_lua.cmake), with
// their SHA-1 for EVALSHA. Internal to the queue module. Immutable data: thread-safe.
#pragma once

#include <string_view>

namespace vg::queue::internal {

struct LuaScript {
  std::string_view name;  // file name without .lua, e.g. "add_jobs"
  std::string_view sha1;  // hex SHA-1 of body, as Redis computes it
  std::string_view body;  // the script with its includes expanded
};

// The script named `name`, or nullptr if there is none. The pointer is valid forever.
const LuaScript* FindLuaScript(std::string_view name);

}  // namespace vg::queue::internal

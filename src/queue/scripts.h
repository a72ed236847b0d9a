// Helpers shared by the producer, consumer and events reader: looking up embedded scripts,
// decoding hash replies and mapping the scripts' negative result codes. Internal.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "queue/lua_scripts.h"
#include "queue/redis_connection.h"

namespace vg::queue::internal {

// The embedded script `name`; a missing one is a build defect (VG_CHECK).
const LuaScript& Script(std::string_view name);

// A flat [field, value, ...] array reply as pairs.
std::vector<std::pair<std::string, std::string>> HashPairs(const Reply& reply);

// Status for a script code: -1 missing job, -2 missing lock, -3 not in the expected state,
// -6 lock held by another worker.
Status ScriptCodeStatus(int64_t code, std::string_view job_id);

}  // namespace vg::queue::internal

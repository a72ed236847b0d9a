// Script lookup and reply helpers for the queue module.
#include "queue/scripts.h"

#include <fmt/format.h>

#include "base/check.h"

namespace vg::queue::internal {

const LuaScript& Script(std::string_view name) {
  const LuaScript* script = FindLuaScript(name);
  VG_CHECK(script != nullptr);
  return *script;
}

std::vector<std::pair<std::string, std::string>> HashPairs(const Reply& reply) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(reply.elements.size() / 2);
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    pairs.emplace_back(reply.elements[i].text, reply.elements[i + 1].text);
  }
  return pairs;
}

Status ScriptCodeStatus(int64_t code, std::string_view job_id) {
  switch (code) {
    case -1:
      return Error(ErrorCode::kNotFound, fmt::format("Job {} does not exist.", job_id));
    case -2:
      return Error(ErrorCode::kInternal, fmt::format("Missing lock for job {}.", job_id));
    case -3:
      return Error(ErrorCode::kInternal,
                   fmt::format("Job {} is not in the expected state.", job_id));
    case -6:
      return Error(ErrorCode::kInternal,
                   fmt::format("Lock mismatch for job {}: another worker holds it.", job_id));
    default:
      return Error(ErrorCode::kInternal, fmt::format("Script error {} for job {}.", code, job_id));
  }
}

}  // namespace vg::queue::internal

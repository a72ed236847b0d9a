// The one place where a vg::Status becomes an HTTP answer (API.md): the status code for each
// error code and the `{error, message, details?}` body. Internal errors never leak their
// message to the client (it goes to the log). Pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace vg::api {

// 400 invalid_json / invalid_argument, 401, 403, 404, 405, 409, 413, 422 (invalid_template,
// limit_exceeded, idempotency_conflict), 429, 503 (queue/storage unavailable), 500 otherwise.
int HttpStatusFor(ErrorCode code);

// The error document. kInternal gets a generic message; details are kept for the others.
nlohmann::json ErrorBody(const Status& status);

}  // namespace vg::api

// Status → HTTP mapping (see http_errors.h).
#include "api/http_errors.h"

#include <string>

namespace vg::api {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kInvalidJson:
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kAlreadyFinished:
    case ErrorCode::kNotRetryable:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kInvalidTemplate:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kIdempotencyConflict:
    case ErrorCode::kAssetUnavailable:
      return 422;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kQueueUnavailable:
    case ErrorCode::kStorageUnavailable:
      return 503;
    case ErrorCode::kTimeout:
      return 504;
    case ErrorCode::kRenderFailed:
    case ErrorCode::kCancelled:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

nlohmann::json ErrorBody(const Status& status) {
  ErrorCode code = status.ok() ? ErrorCode::kInternal : status.code();
  if (code == ErrorCode::kInternal || HttpStatusFor(code) == 500) {
    return {{"error", "internal"}, {"message", "The server failed to handle the request."}};
  }
  nlohmann::json doc = {{"error", std::string(ErrorCodeName(code))}, {"message", status.message()}};
  if (!status.details().empty()) {
    nlohmann::json details = nlohmann::json::array();
    for (const auto& d : status.details())
      details.push_back({{"path", d.path}, {"message", d.message}});
    doc["details"] = std::move(details);
  }
  return doc;
}

}  // namespace vg::api

// ErrorCode names: the one table that ties our codes to the API's error strings.
#include "base/status.h"

namespace vg {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kInvalidTemplate: return "invalid_template";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kLimitExceeded: return "limit_exceeded";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kAlreadyFinished: return "already_finished";
    case ErrorCode::kNotRetryable: return "not_retryable";
    case ErrorCode::kIdempotencyConflict: return "idempotency_conflict";
    case ErrorCode::kQueueUnavailable: return "queue_unavailable";
    case ErrorCode::kStorageUnavailable: return "storage_unavailable";
    case ErrorCode::kAssetUnavailable: return "asset_unavailable";
    case ErrorCode::kRenderFailed: return "render_failed";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(ErrorCodeName(code_));
  out += ": ";
  out += message_;
  for (const auto& d : details_) {
    out += "\n  ";
    out += d.path;
    out += ": ";
    out += d.message;
  }
  return out;
}

}  // namespace vg

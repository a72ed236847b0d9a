// Errors as values: vg::Status is an error code plus a plain message. Every code maps
// one-to-one to an error string of the API (ErrorCodeName); HTTP statuses and CLI exit codes
// are derived from the code in one place each (api/, app/). Status is a cheap value type,
// safe to copy between threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vg {

enum class ErrorCode {
  kOk = 0,
  kInvalidJson,          // invalid_json: the body or file is not JSON
  kInvalidTemplate,      // invalid_template: the template or input breaks the format
  kInvalidArgument,      // invalid_argument: bad usage or a bad request field
  kPayloadTooLarge,      // payload_too_large
  kLimitExceeded,        // limit_exceeded: an operator limit (pixels, download size, ...)
  kUnauthorized,         // unauthorized
  kForbidden,            // forbidden
  kNotFound,             // not_found
  kMethodNotAllowed,     // method_not_allowed
  kRateLimited,          // rate_limited
  kAlreadyFinished,      // already_finished
  kNotRetryable,         // not_retryable
  kIdempotencyConflict,  // idempotency_conflict
  kQueueUnavailable,     // queue_unavailable: Redis down or unreachable
  kStorageUnavailable,   // storage_unavailable
  kAssetUnavailable,     // asset_unavailable: an asset could not be fetched or decoded
  kRenderFailed,         // render_failed: drawing, encoding or writing failed
  kTimeout,              // timeout
  kCancelled,            // cancelled: stopped on request (signal, API cancel)
  kInternal,             // internal: a bug; details go to the log only
};

// The API's error string for a code ("invalid_template", ...).
std::string_view ErrorCodeName(ErrorCode code);

// One problem found while validating, at a JSON path ("tracks[1].clips[0].start").
struct ErrorDetail {
  std::string path;
  std::string message;
  bool operator==(const ErrorDetail&) const = default;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message, std::vector<ErrorDetail> details = {})
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<ErrorDetail>& details() const { return details_; }

  // "invalid_template: The template has 2 problems." (for logs and tests).
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::vector<ErrorDetail> details_;
};

// Shorthands for the common constructors.
inline Status Error(ErrorCode code, std::string message) { return Status(code, std::move(message)); }

}  // namespace vg

// Small helpers shared by every HttpClient implementation.
#include "net/http_client.h"

#include <cctype>

namespace vg::net {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

const std::string* HttpResponse::FindHeader(std::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return &header.value;
  }
  return nullptr;
}

HttpError ErrorForStatus(int status) {
  HttpError error;
  error.kind = HttpErrorKind::kHttpStatus;
  error.message = "HTTP " + std::to_string(status);
  error.http_status = status;
  error.retryable = status >= 500;
  return error;
}

}  // namespace vg::net

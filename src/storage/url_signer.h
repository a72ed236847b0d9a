// UrlSigner: the HMAC-SHA256 signature of local storage's download URLs
// (`/files/<key>?exp=<unix>&sig=<hex>`, API.md "Storage and signed URLs"). The signed text is
// "<key>\n<exp>", keyed with URL_SIGNING_SECRET, so a URL cannot be re-pointed at another key
// or given a later expiry. Immutable after construction: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vg::storage {

class UrlSigner {
 public:
  // `secret` is the raw signing key (URL_SIGNING_SECRET); it must not be empty.
  explicit UrlSigner(std::string secret);

  // Lower-case hex HMAC-SHA256 of "<key>\n<expires_unix_s>" (64 characters).
  std::string Signature(std::string_view key, int64_t expires_unix_s) const;

  // True when `signature_hex` (either case) is Signature(key, expires_unix_s) and the URL has
  // not expired (now_unix_s <= expires_unix_s). The comparison is constant-time.
  bool Verify(std::string_view key, int64_t expires_unix_s, std::string_view signature_hex,
              int64_t now_unix_s) const;

 private:
  std::string secret_;
};

}  // namespace vg::storage

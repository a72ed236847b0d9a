// UrlSigner (see url_signer.h): HMAC-SHA256 over "<key>\n<exp>" with OpenSSL.
#include "storage/url_signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/check.h"

namespace vg::storage {

UrlSigner::UrlSigner(std::string secret) : secret_(std::move(secret)) {
  VG_CHECK(!secret_.empty());
}

std::string UrlSigner::Signature(std::string_view key, int64_t expires_unix_s) const {
  std::string message(key);
  message += '\n';
  message += std::to_string(expires_unix_s);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
       &digest_size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest_size * 2);
  for (unsigned int i = 0; i < digest_size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

bool UrlSigner::Verify(std::string_view key, int64_t expires_unix_s, std::string_view signature_hex,
                       int64_t now_unix_s) const {
  const std::string expected = Signature(key, expires_unix_s);
  if (signature_hex.size() != expected.size()) return false;
  std::string given(signature_hex);
  for (char& c : given) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  const bool match = CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
  return match && now_unix_s <= expires_unix_s;
}

}  // namespace vg::storage

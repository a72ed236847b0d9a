// Authenticator: who is calling (API.md "Owners", issue 5 item 8). API keys (API_KEYS) arrive
// as `Authorization: Bearer <key>` or `X-API-Key`; JWT bearer tokens are HS256 with JWT_SECRET
// or RS256/ES256 with keys from a JWKS file (JWT_JWKS). The owner of a request is the first 16
// hex characters of SHA-256 of its API key, "jwt:<sub>" for a token, or "public" with auth off.
// `exp` and `nbf` are checked with a 30 s leeway.
//
// Thread safety: immutable after Create; Authenticate may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"

namespace vg::api {

inline constexpr std::string_view kPublicOwner = "public";
inline constexpr int64_t kJwtLeewaySeconds = 30;

// The first 16 hex characters of SHA-256(key).
std::string OwnerOfApiKey(std::string_view key);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Base64url without padding (RFC 7515), and its inverse (false on bad input).
std::string Base64UrlEncode(std::string_view data);
bool Base64UrlDecode(std::string_view text, std::string* out);

class Authenticator {
 public:
  // Reads the JWKS file when JWT_JWKS names one. kInvalidArgument when it cannot be read or
  // holds no usable key (RSA, or EC P-256). `clock` is borrowed and must outlive this.
  static Result<std::unique_ptr<Authenticator>> Create(const config::Config& config,
                                                       const Clock& clock);
  ~Authenticator();

  // False when no API key, JWT secret or JWKS is configured: every caller is "public".
  bool enabled() const { return enabled_; }

  // The owner for a request's credentials: `authorization` is the Authorization header value,
  // `api_key` the X-API-Key value, `access_token` the WebSocket query parameter (each "" when
  // absent). kUnauthorized (plain message, no detail of which check failed beyond a sentence)
  // when auth is on and the credentials are missing or wrong.
  Result<std::string> Authenticate(std::string_view authorization, std::string_view api_key,
                                   std::string_view access_token) const;

 private:
  struct Jwk;
  explicit Authenticator(const Clock& clock);
  Result<std::string> VerifyJwt(std::string_view token) const;
  Result<std::string> OwnerOfKey(std::string_view key) const;

  const Clock& clock_;
  bool enabled_ = false;
  std::vector<std::string> key_hashes_;  // SHA-256 hex of each API key
  std::string jwt_secret_;
  std::vector<std::unique_ptr<Jwk>> jwks_;
};

}  // namespace vg::api

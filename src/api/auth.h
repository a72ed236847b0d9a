// Authenticator: who is calling (API.md "Owners", issue 5 item 8). API keys (API_KEYS) arrive
// as `Authorization: Bearer <key>` or `X-API-Key`; JWT bearer tokens are HS256 with JWT_SECRET
// or RS256/ES256 with keys from a JWKS (JWT_JWKS: a file, or an https:// URL). The owner of a
// request is the first 16 hex characters of SHA-256 of its API key, "jwt:<sub>" for a token,
// or "public" with auth off. `exp` and `nbf` are checked with a 30 s leeway.
//
// A JWKS URL is fetched at start (the start fails when it cannot be), again every
// jwks_refresh_interval (10 minutes) on a background thread ("vg-jwks-refresh"), and when a
// token names a `kid` the keys do not hold, at most once per jwks_refetch_min_interval (a
// minute): that request waits for the fetch, so a freshly rotated key works on first use. A
// failed refresh (network, non-2xx, not a JWKS, no usable key) keeps the keys in use and is
// logged (api.jwks_refresh_failed). http:// is accepted only with ALLOW_PRIVATE_URLS (local
// development); the SSRF guard of the HttpClient applies.
//
// Thread safety: Authenticate may be called from any thread; the key set is swapped under a
// mutex and read as an immutable snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"

namespace vg::net {
class HttpClient;
}

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

struct AuthOptions {
  // Fetches JWT_JWKS when it is a URL (then required). Borrowed; must outlive the
  // Authenticator.
  net::HttpClient* http = nullptr;
  std::chrono::milliseconds jwks_refresh_interval{600000};     // periodic refetch
  std::chrono::milliseconds jwks_refetch_min_interval{60000};  // refetches for unknown kids
  int jwks_fetch_timeout_ms = 10000;  // at start and periodic; on-demand uses at most 5000
};

class Authenticator {
 public:
  // Reads the JWKS file, or fetches the JWKS URL, when JWT_JWKS is set. kInvalidArgument when
  // it cannot be read or fetched, is not a JWKS, or holds no usable key (RSA, or EC P-256).
  // `clock` is borrowed and must outlive this.
  static Result<std::unique_ptr<Authenticator>> Create(const config::Config& config,
                                                       const Clock& clock,
                                                       AuthOptions options = {});
  ~Authenticator();  // stops the refresh thread
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

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
  struct JwksParser;
  using KeySet = std::vector<std::unique_ptr<Jwk>>;

  Authenticator(const Clock& clock, AuthOptions options);
  Result<std::string> VerifyJwt(std::string_view token) const;
  Result<std::string> OwnerOfKey(std::string_view key) const;
  std::shared_ptr<const KeySet> Keys() const;
  // GET of the JWKS URL, parsed. kInvalidArgument with a plain reason.
  Result<std::shared_ptr<const KeySet>> FetchJwks(int timeout_ms) const;
  // Fetches and swaps the keys in, or keeps them and logs why not. fetch_mutex_ must be held.
  bool RefreshLocked(const char* reason, int timeout_ms) const;
  // A token named `kid`, which the keys lack: refetch unless one happened too recently.
  void RefetchForUnknownKid(const std::string& kid) const;
  void RefreshLoop();

  const Clock& clock_;
  const AuthOptions options_;
  bool enabled_ = false;
  std::vector<std::string> key_hashes_;  // SHA-256 hex of each API key
  std::string jwt_secret_;
  bool has_jwks_ = false;
  std::string jwks_url_;  // "" = from a file (or none)

  mutable std::mutex keys_mutex_;
  mutable std::shared_ptr<const KeySet> keys_;  // guarded by keys_mutex_; never null

  mutable std::mutex fetch_mutex_;  // one fetch at a time
  mutable std::optional<std::chrono::steady_clock::time_point> last_kid_refetch_;  // guarded

  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread refresher_;
};

}  // namespace vg::api

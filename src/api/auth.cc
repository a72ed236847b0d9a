// Authenticator: API keys and JWT verification with OpenSSL, the JWKS from a file or a URL
// (see auth.h).
#include "api/auth.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/c_handle.h"
#include "net/http_client.h"
#include "obs/log.h"

namespace vg::api {
namespace {

using PkeyHandle = CHandle<EVP_PKEY, EVP_PKEY_free>;
using BignumHandle = CHandle<BIGNUM, BN_free>;

constexpr char kHex[] = "0123456789abcdef";

std::string ToHex(const unsigned char* data, size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
  return out;
}

Status Unauthorized(std::string message) {
  return Status(ErrorCode::kUnauthorized, std::move(message));
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return ToHex(digest, sizeof digest);
}

std::string OwnerOfApiKey(std::string_view key) { return Sha256Hex(key).substr(0, 16); }

std::string Base64UrlEncode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (data.size() - i == 1) {
    uint32_t v = byte(i) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
  } else if (data.size() - i == 2) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

struct Authenticator::Jwk {
  std::string kid;
  std::string alg;  // "RS256" or "ES256"
  PkeyHandle key;
};

namespace {

BignumHandle BignumFromB64(const nlohmann::json& jwk, const char* field) {
  std::string raw;
  if (!jwk.contains(field) || !jwk[field].is_string() ||
      !Base64UrlDecode(jwk[field].get<std::string>(), &raw) || raw.empty()) {
    return nullptr;
  }
  return BignumHandle(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()), nullptr));
}

PkeyHandle KeyFromParams(const char* type, OSSL_PARAM_BLD* builder) {
  CHandle<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(builder));
  CHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return PkeyHandle(key);
}

PkeyHandle RsaKey(const nlohmann::json& jwk) {
  BignumHandle n = BignumFromB64(jwk, "n"), e = BignumFromB64(jwk, "e");
  if (!n || !e) return nullptr;
  CHandle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return nullptr;
  }
  return KeyFromParams("RSA", builder.get());
}

PkeyHandle EcKey(const nlohmann::json& jwk) {
  if (jwk.value("crv", "") != "P-256") return nullptr;
  std::string x, y;
  if (!jwk.contains("x") || !jwk.contains("y") || !jwk["x"].is_string() || !jwk["y"].is_string() ||
      !Base64UrlDecode(jwk["x"].get<std::string>(), &x) ||
      !Base64UrlDecode(jwk["y"].get<std::string>(), &y) || x.size() != 32 || y.size() != 32) {
    return nullptr;
  }
  std::string point = "\x04" + x + y;
  char group[] = "prime256v1";
  CHandle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return nullptr;
  }
  return KeyFromParams("EC", builder.get());
}

// ES256 signatures are r||s (32 bytes each); OpenSSL verifies DER.
bool EcdsaRawToDer(std::string_view raw, std::string* der) {
  if (raw.size() != 64) return false;
  CHandle<ECDSA_SIG, ECDSA_SIG_free> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return false;
  der->resize(static_cast<size_t>(size));
  unsigned char* p = reinterpret_cast<unsigned char*>(der->data());
  return i2d_ECDSA_SIG(sig.get(), &p) == size;
}

bool VerifyWithKey(EVP_PKEY* key, std::string_view signed_text, std::string_view signature) {
  CHandle<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1)
    return false;
  return EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
             reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size()) == 1;
}

}  // namespace

namespace {

// A URL without its query, for logs.
std::string UrlForLog(std::string_view url) { return std::string(url.substr(0, url.find('?'))); }

}  // namespace

struct Authenticator::JwksParser {
  static Result<std::shared_ptr<const KeySet>> Parse(std::string_view text, std::string_view what) {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") ||
        !doc["keys"].is_array()) {
      return Status(ErrorCode::kInvalidArgument,
                    fmt::format("JWT_JWKS: {} is not a JWKS document.", what));
    }
    auto keys = std::make_shared<KeySet>();
    for (const auto& jwk : doc["keys"]) {
      if (!jwk.is_object()) continue;
      auto entry = std::make_unique<Jwk>();
      entry->kid = jwk.value("kid", "");
      std::string kty = jwk.value("kty", "");
      if (kty == "RSA") {
        entry->alg = "RS256";
        entry->key = RsaKey(jwk);
      } else if (kty == "EC") {
        entry->alg = "ES256";
        entry->key = EcKey(jwk);
      }
      if (entry->key) keys->push_back(std::move(entry));
    }
    if (keys->empty()) {
      return Status(ErrorCode::kInvalidArgument,
                    fmt::format("JWT_JWKS: {} holds no usable key (RSA or EC P-256).", what));
    }
    return std::shared_ptr<const KeySet>(std::move(keys));
  }
};

Result<std::unique_ptr<Authenticator>> Authenticator::Create(const config::Config& config,
                                                             const Clock& clock,
                                                             AuthOptions options) {
  std::unique_ptr<Authenticator> auth(new Authenticator(clock, options));
  for (const auto& key : config.api_keys) {
    if (!key.empty()) auth->key_hashes_.push_back(Sha256Hex(key));
  }
  auth->jwt_secret_ = config.jwt_secret;
  const std::string& jwks = config.jwt_jwks;
  if (jwks.starts_with("http://") || jwks.starts_with("https://")) {
    if (jwks.starts_with("http://") && !config.allow_private_urls) {
      return Status(ErrorCode::kInvalidArgument,
                    "JWT_JWKS: use an https:// URL (http:// is accepted only with "
                    "ALLOW_PRIVATE_URLS=true, for local development).");
    }
    if (options.http == nullptr) {
      return Status(ErrorCode::kInvalidArgument, "JWT_JWKS: no HTTP client to fetch the URL.");
    }
    auth->jwks_url_ = jwks;
    std::lock_guard fetch(auth->fetch_mutex_);
    VG_ASSIGN_OR_RETURN(auth->keys_, auth->FetchJwks(options.jwks_fetch_timeout_ms));
    obs::Log(obs::Level::kInfo, "api.jwks_loaded",
             {{"url", UrlForLog(jwks)}, {"keys", static_cast<long long>(auth->keys_->size())}});
  } else if (!jwks.empty()) {
    std::ifstream in(jwks);
    if (!in) return Status(ErrorCode::kInvalidArgument, "JWT_JWKS: the file cannot be read.");
    std::stringstream text;
    text << in.rdbuf();
    VG_ASSIGN_OR_RETURN(auth->keys_, JwksParser::Parse(text.str(), "the file"));
  }
  auth->has_jwks_ = !auth->keys_->empty();
  auth->enabled_ = !auth->key_hashes_.empty() || !auth->jwt_secret_.empty() || auth->has_jwks_;
  if (!auth->jwks_url_.empty()) {
    auth->refresher_ = std::thread([a = auth.get()] {
      pthread_setname_np(pthread_self(), "vg-jwks-refresh");
      a->RefreshLoop();
    });
  }
  return auth;
}

Authenticator::Authenticator(const Clock& clock, AuthOptions options)
    : clock_(clock), options_(options), keys_(std::make_shared<const KeySet>()) {}

Authenticator::~Authenticator() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

std::shared_ptr<const Authenticator::KeySet> Authenticator::Keys() const {
  std::lock_guard lock(keys_mutex_);
  return keys_;
}

Result<std::shared_ptr<const Authenticator::KeySet>> Authenticator::FetchJwks(
    int timeout_ms) const {
  net::HttpRequest request;
  request.url = jwks_url_;
  request.headers = {{"Accept", "application/json"}};
  request.timeout_ms = timeout_ms;
  request.connect_timeout_ms = std::min(timeout_ms, 5000);
  request.max_response_bytes = 1 << 20;
  request.max_redirects = 3;
  net::HttpResult fetched = options_.http->Get(request);
  if (!fetched.ok()) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("JWT_JWKS: cannot fetch {}: {}.", UrlForLog(jwks_url_),
                              fetched.error().message));
  }
  return JwksParser::Parse(fetched.value().body, "the document at the URL");
}

bool Authenticator::RefreshLocked(const char* reason, int timeout_ms) const {
  auto fetched = FetchJwks(timeout_ms);
  if (!fetched.ok()) {
    obs::Log(obs::Level::kWarn, "api.jwks_refresh_failed",
             {{"reason", reason},
              {"error", fetched.error().message()},
              {"keeping", static_cast<long long>(Keys()->size())}});
    return false;
  }
  const auto count = static_cast<long long>((*fetched)->size());
  {
    std::lock_guard lock(keys_mutex_);
    keys_ = std::move(*fetched);
  }
  obs::Log(obs::Level::kInfo, "api.jwks_refreshed", {{"reason", reason}, {"keys", count}});
  return true;
}

void Authenticator::RefetchForUnknownKid(const std::string& kid) const {
  std::lock_guard fetch(fetch_mutex_);
  // Another request may have fetched the key while this one waited.
  for (const auto& jwk : *Keys()) {
    if (jwk->kid == kid) return;
  }
  const auto now = clock_.Now();
  if (last_kid_refetch_ && now - *last_kid_refetch_ < options_.jwks_refetch_min_interval) return;
  last_kid_refetch_ = now;
  RefreshLocked("unknown_kid", std::min(options_.jwks_fetch_timeout_ms, 5000));
}

void Authenticator::RefreshLoop() {
  while (true) {
    {
      std::unique_lock lock(stop_mutex_);
      if (stop_.wait_for(lock, options_.jwks_refresh_interval, [this] { return stopping_; })) {
        return;
      }
    }
    std::lock_guard fetch(fetch_mutex_);
    RefreshLocked("periodic", options_.jwks_fetch_timeout_ms);
  }
}

Result<std::string> Authenticator::Authenticate(std::string_view authorization,
                                                std::string_view api_key,
                                                std::string_view access_token) const {
  if (!enabled_) return std::string(kPublicOwner);
  std::string_view credential;
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() <= kBearer.size() ||
        strncasecmp(authorization.data(), kBearer.data(), kBearer.size()) != 0) {
      return Unauthorized("The Authorization header must be \"Bearer <key or token>\".");
    }
    credential = authorization.substr(kBearer.size());
    while (!credential.empty() && credential.front() == ' ') credential.remove_prefix(1);
  } else if (!api_key.empty()) {
    return OwnerOfKey(api_key);
  } else if (!access_token.empty()) {
    credential = access_token;
  } else {
    return Unauthorized("An API key or a bearer token is required.");
  }
  // A JWT is three base64url parts; an API key is anything else.
  if (std::count(credential.begin(), credential.end(), '.') == 2 &&
      (!jwt_secret_.empty() || has_jwks_)) {
    return VerifyJwt(credential);
  }
  return OwnerOfKey(credential);
}

Result<std::string> Authenticator::OwnerOfKey(std::string_view key) const {
  std::string hash = Sha256Hex(key);
  bool match = false;
  for (const auto& known : key_hashes_) {
    // Comparing hashes in constant time leaks nothing about the keys.
    match |= CRYPTO_memcmp(known.data(), hash.data(), hash.size()) == 0;
  }
  if (!match) return Unauthorized("The API key is not valid.");
  return hash.substr(0, 16);
}

Result<std::string> Authenticator::VerifyJwt(std::string_view token) const {
  size_t first = token.find('.'), second = token.find('.', first + 1);
  std::string_view header_b64 = token.substr(0, first);
  std::string_view payload_b64 = token.substr(first + 1, second - first - 1);
  std::string_view signature_b64 = token.substr(second + 1);
  std::string header_text, payload_text, signature;
  if (!Base64UrlDecode(header_b64, &header_text) || !Base64UrlDecode(payload_b64, &payload_text) ||
      !Base64UrlDecode(signature_b64, &signature)) {
    return Unauthorized("The bearer token is malformed.");
  }
  nlohmann::json header = nlohmann::json::parse(header_text, nullptr, false);
  nlohmann::json payload = nlohmann::json::parse(payload_text, nullptr, false);
  if (!header.is_object() || !payload.is_object() || !header.contains("alg") ||
      !header["alg"].is_string()) {
    return Unauthorized("The bearer token is malformed.");
  }
  std::string alg = header["alg"].get<std::string>();
  std::string kid = header.value("kid", "");
  std::string_view signed_text = token.substr(0, second);
  bool verified = false;
  if (alg == "HS256" && !jwt_secret_.empty()) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha256(), jwt_secret_.data(), static_cast<int>(jwt_secret_.size()),
         reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
         &mac_size);
    verified = signature.size() == mac_size && CRYPTO_memcmp(mac, signature.data(), mac_size) == 0;
  } else if (alg == "RS256" || alg == "ES256") {
    std::string der;
    if (alg == "ES256" && !EcdsaRawToDer(signature, &der)) {
      return Unauthorized("The bearer token's signature is not valid.");
    }
    std::shared_ptr<const KeySet> keys = Keys();
    if (!kid.empty() && !jwks_url_.empty() &&
        std::none_of(keys->begin(), keys->end(), [&](const auto& k) { return k->kid == kid; })) {
      RefetchForUnknownKid(kid);  // a rotated key: fetch the JWKS again (rate limited)
      keys = Keys();
    }
    for (const auto& jwk : *keys) {
      if (jwk->alg != alg || (!kid.empty() && !jwk->kid.empty() && jwk->kid != kid)) continue;
      if (VerifyWithKey(jwk->key.get(), signed_text, alg == "ES256" ? der : signature)) {
        verified = true;
        break;
      }
    }
  } else {
    return Unauthorized("The bearer token's algorithm is not accepted.");
  }
  if (!verified) return Unauthorized("The bearer token's signature is not valid.");

  double now_s = static_cast<double>(clock_.NowUnixMs()) / 1000.0;
  if (payload.contains("exp")) {
    if (!payload["exp"].is_number() || now_s > payload["exp"].get<double>() + kJwtLeewaySeconds) {
      return Unauthorized("The bearer token has expired.");
    }
  }
  if (payload.contains("nbf")) {
    if (!payload["nbf"].is_number() || now_s + kJwtLeewaySeconds < payload["nbf"].get<double>()) {
      return Unauthorized("The bearer token is not valid yet.");
    }
  }
  if (!payload.contains("sub") || !payload["sub"].is_string() ||
      payload["sub"].get<std::string>().empty()) {
    return Unauthorized("The bearer token has no subject.");
  }
  return "jwt:" + payload["sub"].get<std::string>();
}

}  // namespace vg::api

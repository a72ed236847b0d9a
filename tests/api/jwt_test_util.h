// RS256 test keys for the API's JWT tests: a fresh 2048-bit RSA key with a `kid`, its public
// JWK (for a JWKS file or a JWKS served over HTTP) and tokens signed with it.
// Thread safety: a key is used by one test thread.
#pragma once

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api/auth.h"

namespace vg::api::testing {

class RsaTestKey {
 public:
  explicit RsaTestKey(std::string kid) : kid_(std::move(kid)), key_(EVP_RSA_gen(2048)) {}
  ~RsaTestKey() { EVP_PKEY_free(key_); }
  RsaTestKey(const RsaTestKey&) = delete;
  RsaTestKey& operator=(const RsaTestKey&) = delete;

  bool ok() const { return key_ != nullptr; }
  const std::string& kid() const { return kid_; }

  // {"kty":"RSA","kid":…,"alg":"RS256","n":…,"e":…}
  nlohmann::json Jwk() const {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(key_, "n", &n);
    EVP_PKEY_get_bn_param(key_, "e", &e);
    nlohmann::json jwk = {
        {"kty", "RSA"}, {"kid", kid_}, {"alg", "RS256"}, {"n", Bignum(n)}, {"e", Bignum(e)}};
    BN_free(n);
    BN_free(e);
    return jwk;
  }

  // An RS256 token with `claims`, its header naming this key's kid.
  std::string Sign(const nlohmann::json& claims) const {
    std::string text = Base64UrlEncode(nlohmann::json{{"alg", "RS256"}, {"kid", kid_}}.dump()) +
                       "." + Base64UrlEncode(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t size = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(text.data()),
                   text.size());
    std::string sig(size, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &size,
                   reinterpret_cast<const unsigned char*>(text.data()), text.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(size);
    return text + "." + Base64UrlEncode(sig);
  }

 private:
  static std::string Bignum(const BIGNUM* n) {
    if (n == nullptr) return "";
    std::string raw(static_cast<size_t>(BN_num_bytes(n)), '\0');
    BN_bn2bin(n, reinterpret_cast<unsigned char*>(raw.data()));
    return Base64UrlEncode(raw);
  }

  std::string kid_;
  EVP_PKEY* key_;
};

// {"keys":[jwk, …]}
inline nlohmann::json Jwks(std::initializer_list<const RsaTestKey*> keys) {
  nlohmann::json doc = {{"keys", nlohmann::json::array()}};
  for (const RsaTestKey* key : keys) doc["keys"].push_back(key->Jwk());
  return doc;
}

}  // namespace vg::api::testing

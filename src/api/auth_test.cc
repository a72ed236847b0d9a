// Authenticator unit tests: API key owners, bearer parsing, JWT HS256 leeway, ES256 keys from a
// JWKS file (raw r||s signatures), and JWKS problems reported at start.
#include "api/auth.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

namespace vg::api {
namespace {

class FixedClock final : public Clock {
 public:
  int64_t NowUnixMs() const override { return now_ms; }
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms));
  }
  int64_t now_ms = 1'800'000'000'000;
};

TEST(AuthTest, AuthOffMeansPublic) {
  FixedClock clock;
  auto auth = Authenticator::Create(config::Config{}, clock);
  ASSERT_TRUE(auth.ok());
  EXPECT_FALSE((*auth)->enabled());
  EXPECT_EQ(*(*auth)->Authenticate("", "", ""), "public");
}

TEST(AuthTest, ApiKeysGiveHashedOwners) {
  FixedClock clock;
  config::Config config;
  config.api_keys = {"alpha", "beta"};
  auto auth = Authenticator::Create(config, clock);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(OwnerOfApiKey("alpha"), Sha256Hex("alpha").substr(0, 16));
  EXPECT_EQ(*(*auth)->Authenticate("Bearer alpha", "", ""), OwnerOfApiKey("alpha"));
  EXPECT_EQ(*(*auth)->Authenticate("bearer beta", "", ""), OwnerOfApiKey("beta"));
  EXPECT_EQ(*(*auth)->Authenticate("", "beta", ""), OwnerOfApiKey("beta"));
  EXPECT_EQ(*(*auth)->Authenticate("", "", "alpha"), OwnerOfApiKey("alpha"));
  EXPECT_EQ((*auth)->Authenticate("", "", "").error().code(), ErrorCode::kUnauthorized);
  EXPECT_EQ((*auth)->Authenticate("Bearer gamma", "", "").error().code(), ErrorCode::kUnauthorized);
  EXPECT_EQ((*auth)->Authenticate("Basic YWxwaGE=", "", "").error().code(),
            ErrorCode::kUnauthorized);
}

TEST(AuthTest, Base64UrlRoundTrips) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\xff\x00\x10", 3)}) {
    std::string back;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(s), &back));
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("a b", &out));
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

std::string SignEs256(EVP_PKEY* key, const std::string& text) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t size = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(text.data()),
                 text.size());
  std::string der(size, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &size,
                 reinterpret_cast<const unsigned char*>(text.data()), text.size());
  EVP_MD_CTX_free(ctx);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(size));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

TEST(AuthTest, Es256FromJwksAndTimeChecks) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
  ASSERT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
  std::string xs(32, '\0'), ys(32, '\0');
  BN_bn2binpad(x, reinterpret_cast<unsigned char*>(xs.data()), 32);
  BN_bn2binpad(y, reinterpret_cast<unsigned char*>(ys.data()), 32);
  BN_free(x);
  BN_free(y);
  std::string path = ::testing::TempDir() + "/vg_auth_test_jwks.json";
  nlohmann::json jwks = {{"keys",
                          {{{"kty", "EC"},
                            {"crv", "P-256"},
                            {"x", Base64UrlEncode(xs)},
                            {"y", Base64UrlEncode(ys)}}}}};
  { std::ofstream(path) << jwks.dump(); }
  FixedClock clock;
  config::Config config;
  config.jwt_jwks = path;
  auto auth = Authenticator::Create(config, clock);
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  ASSERT_TRUE((*auth)->enabled());

  auto token = [&](const nlohmann::json& claims) {
    std::string text = Base64UrlEncode(R"({"alg":"ES256"})") + "." + Base64UrlEncode(claims.dump());
    return text + "." + Base64UrlEncode(SignEs256(key, text));
  };
  int64_t now_s = clock.now_ms / 1000;
  EXPECT_EQ(*(*auth)->Authenticate("Bearer " + token({{"sub", "u1"}, {"exp", now_s + 5}}), "", ""),
            "jwt:u1");
  // Within the 30 s leeway, then beyond it.
  EXPECT_TRUE(
      (*auth)->Authenticate("Bearer " + token({{"sub", "u1"}, {"exp", now_s - 20}}), "", "").ok());
  EXPECT_FALSE(
      (*auth)->Authenticate("Bearer " + token({{"sub", "u1"}, {"exp", now_s - 40}}), "", "").ok());
  EXPECT_TRUE(
      (*auth)->Authenticate("Bearer " + token({{"sub", "u1"}, {"nbf", now_s + 20}}), "", "").ok());
  EXPECT_FALSE(
      (*auth)->Authenticate("Bearer " + token({{"sub", "u1"}, {"nbf", now_s + 40}}), "", "").ok());
  // An HS256 token is refused when no JWT_SECRET is configured (no algorithm confusion).
  std::string hs = Base64UrlEncode(R"({"alg":"HS256"})") + "." +
                   Base64UrlEncode(R"({"sub":"u1"})") + "." + Base64UrlEncode("x");
  EXPECT_FALSE((*auth)->Authenticate("Bearer " + hs, "", "").ok());
  EVP_PKEY_free(key);
  std::remove(path.c_str());
}

TEST(AuthTest, BadJwksIsReportedAtStart) {
  FixedClock clock;
  config::Config config;
  config.jwt_jwks = ::testing::TempDir() + "/vg_no_such_jwks.json";
  EXPECT_EQ(Authenticator::Create(config, clock).error().code(), ErrorCode::kInvalidArgument);
  std::string path = ::testing::TempDir() + "/vg_empty_jwks.json";
  { std::ofstream(path) << R"({"keys":[{"kty":"oct","k":"abc"}]})"; }
  config.jwt_jwks = path;
  EXPECT_EQ(Authenticator::Create(config, clock).error().code(), ErrorCode::kInvalidArgument);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace vg::api

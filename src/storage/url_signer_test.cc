// Tests of UrlSigner: a known HMAC vector, tampering with any part, expiry.
#include "storage/url_signer.h"

#include <gtest/gtest.h>

namespace vg::storage {
namespace {

constexpr int64_t kExp = 1764000000;

TEST(UrlSignerTest, MatchesAnIndependentHmacSha256) {
  // python3: hmac.new(b"test-secret-0123456789", b"videos/abc.mp4\n1764000000", sha256)
  UrlSigner signer("test-secret-0123456789");
  EXPECT_EQ(signer.Signature("videos/abc.mp4", kExp),
            "2392fd7932f25fa352156d05e88762cd7326dc07234025edb3139472a7b195fd");
}

TEST(UrlSignerTest, VerifiesItsOwnSignatureUntilExpiry) {
  UrlSigner signer("test-secret-0123456789");
  const std::string sig = signer.Signature("videos/abc.mp4", kExp);
  EXPECT_TRUE(signer.Verify("videos/abc.mp4", kExp, sig, kExp - 100));
  EXPECT_TRUE(signer.Verify("videos/abc.mp4", kExp, sig, kExp));  // the last valid second
  EXPECT_FALSE(signer.Verify("videos/abc.mp4", kExp, sig, kExp + 1));
  // Hex in upper case is the same signature.
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(signer.Verify("videos/abc.mp4", kExp, upper, kExp - 1));
}

TEST(UrlSignerTest, RejectsTamperedKeyExpirySignatureOrSecret) {
  UrlSigner signer("test-secret-0123456789");
  const std::string sig = signer.Signature("videos/abc.mp4", kExp);
  EXPECT_FALSE(signer.Verify("videos/abd.mp4", kExp, sig, 0));       // other key
  EXPECT_FALSE(signer.Verify("videos/abc.mp4", kExp + 60, sig, 0));  // later expiry
  std::string flipped = sig;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  EXPECT_FALSE(signer.Verify("videos/abc.mp4", kExp, flipped, 0));
  EXPECT_FALSE(signer.Verify("videos/abc.mp4", kExp, sig.substr(0, 63), 0));
  EXPECT_FALSE(signer.Verify("videos/abc.mp4", kExp, "", 0));
  EXPECT_FALSE(UrlSigner("another-secret-0000").Verify("videos/abc.mp4", kExp, sig, 0));
  // The newline separator keeps "a" + "1\n2" and "a\n1" + "2" apart.
  EXPECT_NE(signer.Signature("a", 12), signer.Signature("a\n1", 2));
}

}  // namespace
}  // namespace vg::storage

// data: URI decoding: base64 and percent forms, media types, bad input, the size limit, and
// how a URI is named in messages.
#include "assets/data_uri.h"

#include <gtest/gtest.h>

namespace vg::assets {
namespace {

constexpr int64_t kNoLimit = 1 << 20;

TEST(DataUriTest, Base64WithMediaType) {
  Result<DataUri> uri = DecodeDataUri("data:image/png;base64,aGVsbG8=", kNoLimit);
  ASSERT_TRUE(uri.ok()) << uri.error().ToString();
  EXPECT_EQ(uri->media_type, "image/png");
  EXPECT_EQ(uri->bytes, "hello");
}

TEST(DataUriTest, Base64IsForgivingAboutPaddingAndWhitespaceAndCase) {
  Result<DataUri> uri = DecodeDataUri("DATA:Text/Plain;BASE64,aGVs\n bG8", kNoLimit);
  ASSERT_TRUE(uri.ok()) << uri.error().ToString();
  EXPECT_EQ(uri->media_type, "text/plain");
  EXPECT_EQ(uri->bytes, "hello");
}

TEST(DataUriTest, Base64MayItselfBePercentEncoded) {
  Result<DataUri> uri = DecodeDataUri("data:;base64,%2B%2F8%3D", kNoLimit);
  ASSERT_TRUE(uri.ok()) << uri.error().ToString();
  EXPECT_EQ(uri->bytes, std::string("\xfb\xff", 2));
}

TEST(DataUriTest, PercentEncodedWithoutMediaType) {
  Result<DataUri> uri = DecodeDataUri("data:,hello%20world%00%FF%zz", kNoLimit);
  ASSERT_TRUE(uri.ok()) << uri.error().ToString();
  EXPECT_EQ(uri->media_type, "");
  EXPECT_EQ(uri->bytes, std::string("hello world\0\xff%zz", 16));
}

TEST(DataUriTest, ParametersAreNotPartOfTheMediaType) {
  Result<DataUri> uri = DecodeDataUri("data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E", kNoLimit);
  ASSERT_TRUE(uri.ok()) << uri.error().ToString();
  EXPECT_EQ(uri->media_type, "image/svg+xml");
  EXPECT_EQ(uri->bytes, "<svg/>");
}

TEST(DataUriTest, BadBase64IsRefused) {
  for (const char* text : {"data:;base64,@@@@", "data:;base64,abcde", "data:;base64,ab=c",
                           "data:image/png;base64,a"}) {
    Result<DataUri> uri = DecodeDataUri(text, kNoLimit);
    ASSERT_FALSE(uri.ok()) << text;
    EXPECT_EQ(uri.error().code(), ErrorCode::kAssetUnavailable);
    EXPECT_EQ(uri.error().message(), "invalid base64 in data: URI");
  }
}

TEST(DataUriTest, MissingCommaIsRefused) {
  Result<DataUri> uri = DecodeDataUri("data:image/png;base64", kNoLimit);
  ASSERT_FALSE(uri.ok());
  EXPECT_EQ(uri.error().message(), "malformed data: URI (no comma)");
}

TEST(DataUriTest, LimitAppliesToDecodedBytes) {
  // 8 base64 characters decode to 6 bytes.
  EXPECT_TRUE(DecodeDataUri("data:;base64,aGVsbG8h", 6).ok());
  Result<DataUri> uri = DecodeDataUri("data:;base64,aGVsbG8h", 5);
  ASSERT_FALSE(uri.ok());
  EXPECT_EQ(uri.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(uri.error().message(), "larger than 5 bytes");
}

TEST(DataUriTest, DescriptionNeverShowsThePayload) {
  const std::string uri = "data:image/png;base64,U0VDUkVUU0VDUkVU";
  const std::string description = DescribeDataUri(uri);
  EXPECT_EQ(description, "data:image/png;\u2026 (" + std::to_string(uri.size()) + " bytes)");
  EXPECT_EQ(DescribeDataUri("data:,secret"), "data:;\u2026 (12 bytes)");
  EXPECT_EQ(DescribeDataUri("data:a b\"c;x,y").find('"'), std::string::npos);
}

}  // namespace
}  // namespace vg::assets

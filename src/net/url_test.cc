// RedactUrl: what may be logged of a URL.
#include "net/url.h"

#include <gtest/gtest.h>

namespace vg::net {
namespace {

TEST(UrlTest, RedactDropsQueryFragmentAndCredentials) {
  EXPECT_EQ(RedactUrl("https://user:secret@cdn.example.com/a/b.png?X-Amz-Signature=abc#frag"),
            "https://cdn.example.com/a/b.png");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080/x?token=1"), "http://127.0.0.1:8080/x");
  EXPECT_EQ(RedactUrl("https://example.com"), "https://example.com/");
}

TEST(UrlTest, UnparsableUrlIsNotEchoed) {
  const std::string redacted = RedactUrl("http://exa mple.com/?sig=secret");
  EXPECT_EQ(redacted.find("secret"), std::string::npos);
  EXPECT_EQ(RedactUrl(""), "<unparsable url>");
}

TEST(UrlTest, HttpSchemeCheck) {
  EXPECT_TRUE(HasHttpScheme("http://a"));
  EXPECT_TRUE(HasHttpScheme("HTTPS://a"));
  EXPECT_FALSE(HasHttpScheme("file:///etc/passwd"));
  EXPECT_FALSE(HasHttpScheme("ftp://a"));
  EXPECT_FALSE(HasHttpScheme("http:/a"));
}

}  // namespace
}  // namespace vg::net

// S3 XML documents: error bodies (namespaced or not, padded with whitespace, not XML at all),
// multipart answers, ListObjectsV2 pages, the CompleteMultipartUpload body and S3's dates.
#include "storage/s3_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vg::storage::s3xml {
namespace {

using ::testing::HasSubstr;

TEST(S3XmlTest, ParsesAnErrorBody) {
  const auto error = ParseError(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The "
      "specified bucket does not exist</Message><BucketName>videos</BucketName><RequestId>1"
      "</RequestId></Error>");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "NoSuchBucket");
  EXPECT_EQ(error->message, "The specified bucket does not exist");
}

TEST(S3XmlTest, ErrorBodyWithRegionAndLeadingWhitespace) {
  const auto error = ParseError(
      "  \n\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed"
      "</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message>"
      "<Region>eu-west-1</Region></Error>");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(error->region, "eu-west-1");
}

TEST(S3XmlTest, NotAnErrorGivesNothing) {
  EXPECT_FALSE(ParseError("").has_value());
  EXPECT_FALSE(ParseError("<html><body>Bad gateway</body></html>").has_value());
  EXPECT_FALSE(ParseError("not xml at all <<<").has_value());
  EXPECT_FALSE(ParseError("<CompleteMultipartUploadResult/>").has_value());
}

TEST(S3XmlTest, EntitiesAreNotExpandedAndNothingIsFetched) {
  // An external entity must neither be fetched nor expanded into the message.
  const auto error = ParseError(
      "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<Error><Code>InternalError</Code><Message>a&x;b</Message></Error>");
  if (error.has_value()) {
    EXPECT_THAT(error->message, ::testing::Not(HasSubstr("root:")));
  }
}

TEST(S3XmlTest, RootNameTellsCompleteResultFromError) {
  EXPECT_EQ(RootName("<?xml version=\"1.0\"?><CompleteMultipartUploadResult xmlns=\"http://s3."
                     "amazonaws.com/doc/2006-03-01/\"><ETag>&quot;x-2&quot;</ETag>"
                     "</CompleteMultipartUploadResult>"),
            "CompleteMultipartUploadResult");
  EXPECT_EQ(RootName("<Error><Code>InternalError</Code></Error>"), "Error");
  EXPECT_EQ(RootName("garbage"), "");
}

TEST(S3XmlTest, UploadId) {
  auto id = ParseUploadId(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult xmlns=\"http://"
      "s3.amazonaws.com/doc/2006-03-01/\"><Bucket>videos</Bucket><Key>videos/a.mp4</Key>"
      "<UploadId>VXBsb2FkIElE+/=</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "VXBsb2FkIElE+/=");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").ok());
  EXPECT_FALSE(ParseUploadId("<Error><Code>x</Code></Error>").ok());
}

TEST(S3XmlTest, ListObjectsV2Page) {
  auto page = ParseListObjectsV2(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://doc.s3."
      "amazonaws.com/2006-03-01/\"><Name>videos</Name><Prefix>videos/</Prefix><KeyCount>2"
      "</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>"
      "tok+en=</NextContinuationToken><Contents><Key>videos/a &amp; b.mp4</Key><LastModified>"
      "2013-05-24T00:00:01.250Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>1048576</Size>"
      "<StorageClass>STANDARD</StorageClass></Contents><Contents><Key>videos/c.jpg</Key>"
      "<LastModified>2013-05-24T00:00:02Z</LastModified><Size>0</Size></Contents>"
      "</ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "videos/a & b.mp4");
  EXPECT_EQ(page->objects[0].size_bytes, 1048576);
  EXPECT_EQ(page->objects[0].modified_unix_ms, 1369353601250);
  EXPECT_EQ(page->objects[1].modified_unix_ms, 1369353602000);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "tok+en=");
}

TEST(S3XmlTest, ListObjectsV2RefusesBrokenPages) {
  EXPECT_FALSE(ParseListObjectsV2("<Error><Code>NoSuchBucket</Code></Error>").ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key><Size>x</Size>"
                                  "<LastModified>2013-05-24T00:00:02Z</LastModified></Contents>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
          .ok());
  auto empty = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->objects.empty());
}

TEST(S3XmlTest, CompleteBodyListsPartsInOrderWithTheirEtags) {
  const std::string xml = CompleteMultipartUploadXml({"\"aaa\"", "\"b&b\""});
  EXPECT_THAT(xml, HasSubstr("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/"
                             "2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>\"aaa\"</ETag>"
                             "</Part><Part><PartNumber>2</PartNumber><ETag>\"b&amp;b\"</ETag>"
                             "</Part></CompleteMultipartUpload>"));
}

TEST(S3XmlTest, Dates) {
  EXPECT_EQ(ParseIso8601Ms("2013-05-24T00:00:00.000Z"), 1369353600000);
  EXPECT_EQ(ParseIso8601Ms("2013-05-24T00:00:00.5Z"), 1369353600500);
  EXPECT_EQ(ParseIso8601Ms("2013-05-24T00:00:00Z"), 1369353600000);
  EXPECT_FALSE(ParseIso8601Ms("2013-05-24 00:00:00").has_value());
  EXPECT_EQ(ParseHttpDateMs("Fri, 24 May 2013 00:00:00 GMT"), 1369353600000);
  EXPECT_EQ(ParseHttpDateMs("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777000);
  EXPECT_FALSE(ParseHttpDateMs("Fri, 24 Mai 2013 00:00:00 GMT").has_value());
  EXPECT_FALSE(ParseHttpDateMs("yesterday").has_value());
}

}  // namespace
}  // namespace vg::storage::s3xml

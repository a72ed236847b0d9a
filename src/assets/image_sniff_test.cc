// Format sniffing and header sizes, read without decoding; SVG detection; completeness.
#include "assets/image_sniff.h"

#include <gtest/gtest.h>

#include <string>

#include "assets/test_image_encoder.h"

namespace vg::assets {
namespace {

using testing::RgbaImage;

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(ImageSniffTest, EncodedImagesReportTheirFormatAndSize) {
  const RgbaImage image = RgbaImage::Filled(37, 21, 10, 20, 30);
  struct Case {
    std::string bytes;
    ImageFormat format;
  } cases[] = {
      {testing::EncodePng(image), ImageFormat::kPng},
      {testing::EncodeJpeg(image), ImageFormat::kJpeg},
      {testing::EncodeGif({image}), ImageFormat::kGif},
      {testing::EncodeWebp(image, /*lossless=*/true), ImageFormat::kWebp},
      {testing::EncodeWebp(image, /*lossless=*/false), ImageFormat::kWebp},
  };
  for (const Case& c : cases) {
    Result<ImageHeader> header = SniffImage(c.bytes);
    ASSERT_TRUE(header.ok()) << header.error().ToString();
    EXPECT_EQ(header->format, c.format) << ImageFormatName(c.format);
    EXPECT_EQ(header->width, 37) << ImageFormatName(c.format);
    EXPECT_EQ(header->height, 21) << ImageFormatName(c.format);
    EXPECT_TRUE(CheckComplete(c.bytes, *header).ok()) << ImageFormatName(c.format);
  }
}

TEST(ImageSniffTest, WebpWithAlphaUsesTheExtendedHeader) {
  RgbaImage image = RgbaImage::Filled(300, 2, 255, 0, 0, 128);
  const std::string webp = testing::EncodeWebp(image, /*lossless=*/false);
  ASSERT_GT(webp.size(), 16u);
  EXPECT_EQ(webp.substr(12, 4), "VP8X");
  Result<ImageHeader> header = SniffImage(webp);
  ASSERT_TRUE(header.ok()) << header.error().ToString();
  EXPECT_EQ(header->width, 300);
  EXPECT_EQ(header->height, 2);
}

TEST(ImageSniffTest, HugeHeadersAreReadNotDecoded) {
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) +
                          Bytes({0, 0,    0,    13, 'I', 'H', 'D', 'R', 0, 0, 0x75, 0x30, 0,
                                 0, 0x75, 0x30, 8,  6,   0,   0,   0,   0, 0, 0,    0});
  const std::string jpeg = Bytes({0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x75, 0x30, 0x75, 0x30,
                                  0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01});
  const std::string gif = std::string("GIF89a") + Bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0});
  const std::string webp = std::string("RIFF") + Bytes({22, 0, 0, 0}) + "WEBPVP8X" +
                           Bytes({10, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x75, 0, 0x2f, 0x75, 0});
  for (const auto& [bytes, width, height] :
       {std::tuple{png, 30000, 30000}, std::tuple{jpeg, 30000, 30000},
        std::tuple{gif, 65535, 65535}, std::tuple{webp, 30000, 30000}}) {
    Result<ImageHeader> header = SniffImage(bytes);
    ASSERT_TRUE(header.ok()) << header.error().ToString();
    EXPECT_EQ(header->width, width);
    EXPECT_EQ(header->height, height);
  }
}

TEST(ImageSniffTest, ReadsJpegExifOrientation) {
  const std::string jpeg = testing::EncodeJpeg(RgbaImage::Filled(8, 8, 1, 2, 3));
  for (int orientation = 1; orientation <= 8; ++orientation) {
    Result<ImageHeader> header = SniffImage(testing::AddExifOrientation(jpeg, orientation));
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(header->orientation, orientation);
  }
  EXPECT_EQ(SniffImage(jpeg)->orientation, 1);
  EXPECT_EQ(SniffImage(testing::AddExifOrientation(jpeg, 9))->orientation, 1);
}

TEST(ImageSniffTest, NamesWhatIsNotAnImage) {
  const struct {
    std::string bytes;
    const char* message;
  } cases[] = {
      {"", "not a supported image (empty file)"},
      {"Hello, I am a text file\n", "not a supported image (text)"},
      {std::string("PK\x03\x04\x14\x00\x00\x00", 8), "not a supported image (zip archive)"},
      {"%PDF-1.7", "not a supported image (PDF document)"},
      {std::string("\x89PNG\r\n\x1a\n\x00\x00", 10),
       "not a supported image (truncated PNG header)"},
      {std::string("\xff\xd8\xff\xe0\x00", 5), "not a supported image (truncated JPEG header)"},
      {"GIF89a\x01", "not a supported image (truncated GIF header)"},
      {std::string("\x00\x01\x02\x03\x04", 5), "not a supported image (unknown format)"},
      {"<html><body>hi</body></html>", "not a supported image (text)"},
  };
  for (const auto& c : cases) {
    Result<ImageHeader> header = SniffImage(c.bytes);
    ASSERT_FALSE(header.ok()) << c.message;
    EXPECT_EQ(header.error().code(), ErrorCode::kAssetUnavailable);
    EXPECT_EQ(header.error().message(), c.message);
  }
}

TEST(ImageSniffTest, RecognisesSvgAfterPrologAndComments) {
  EXPECT_TRUE(LooksLikeSvg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"));
  EXPECT_TRUE(
      LooksLikeSvg("\xEF\xBB\xBF  \n<?xml version=\"1.0\"?>\n<!-- made by hand -->\n"
                   "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\" [ <!ENTITY a "
                   "\"b\"> ]>\n<svg>"));
  EXPECT_TRUE(LooksLikeSvg("<svg\n width='1'>"));
  EXPECT_FALSE(LooksLikeSvg("<svgfoo>"));
  EXPECT_FALSE(LooksLikeSvg("<html><svg></svg></html>"));
  EXPECT_FALSE(LooksLikeSvg("<?xml version=\"1.0\"?><note/>"));
  EXPECT_FALSE(LooksLikeSvg("<!-- unterminated <svg>"));
  EXPECT_FALSE(LooksLikeSvg("text <svg>"));
  Result<ImageHeader> header = SniffImage("<?xml version=\"1.0\"?>\n<svg/>");
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->format, ImageFormat::kSvg);
}

TEST(ImageSniffTest, TruncatedFilesAreIncomplete) {
  const RgbaImage image = RgbaImage::Filled(16, 16, 200, 10, 10);
  for (const std::string& full :
       {testing::EncodePng(image), testing::EncodeJpeg(image), testing::EncodeWebp(image, true)}) {
    Result<ImageHeader> header = SniffImage(full);
    ASSERT_TRUE(header.ok());
    const std::string cut = full.substr(0, full.size() - 5);
    Status status = CheckComplete(cut, *header);
    ASSERT_FALSE(status.ok()) << ImageFormatName(header->format);
    EXPECT_EQ(status.message(), "not a supported image (truncated " +
                                    std::string(ImageFormatName(header->format)) + ")");
  }
}

}  // namespace
}  // namespace vg::assets

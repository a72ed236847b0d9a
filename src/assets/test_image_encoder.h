// Test-only: tiny images in every format we decode, made at run time with libavcodec's own
// encoders (png, mjpeg, gif through the gif muxer, libwebp), so tests need no binary fixtures.
// Functions return "" and record a gtest failure when an encoder is missing or fails.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vg::assets::testing {

// Straight (non-premultiplied) RGBA pixels, 4 bytes each, rows packed.
struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgba;

  static RgbaImage Filled(int width, int height, uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255);
  void Set(int x, int y, uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255);
  // Fills the rectangle [x0, x1) × [y0, y1).
  void Fill(int x0, int y0, int x1, int y1, uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255);
};

std::string EncodePng(const RgbaImage& image);
std::string EncodeJpeg(const RgbaImage& image);  // 4:4:4, high quality, alpha dropped
std::string EncodeWebp(const RgbaImage& image, bool lossless);
// An animated GIF with one frame per image (all the same size, ≤ 256 colours in total;
// alpha < 128 becomes the transparent colour).
std::string EncodeGif(const std::vector<RgbaImage>& frames);

// Inserts an EXIF APP1 segment carrying `orientation` right after a JPEG's SOI marker.
std::string AddExifOrientation(const std::string& jpeg, int orientation);

}  // namespace vg::assets::testing

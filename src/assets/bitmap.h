// Bitmap: decoded pixels in Cairo's ARGB32 layout (premultiplied alpha, 32-bit native-endian
// words, i.e. B,G,R,A bytes on little-endian machines), rows `stride` bytes apart.
// The one pixel format images, rasterised text and frames share. A plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vg::assets {

struct Bitmap {
  int width = 0;
  int height = 0;
  int stride = 0;  // bytes per row, ≥ 4 × width, a multiple of 4
  std::vector<uint8_t> pixels;  // stride × height bytes

  bool empty() const { return width <= 0 || height <= 0; }
  static Bitmap Allocate(int width, int height) {
    Bitmap b;
    b.width = width;
    b.height = height;
    b.stride = width * 4;
    b.pixels.assign(static_cast<size_t>(b.stride) * static_cast<size_t>(height), 0);
    return b;
  }
};

}  // namespace vg::assets

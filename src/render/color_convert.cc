// The colour conversion in 15-bit fixed point. The loops are written for the compiler to
// vectorise; target_clones builds an AVX2 version picked at run time where the CPU has it.
#include "render/color_convert.h"

#include <cstddef>

namespace vg::render {
namespace {

// BT.709 limited range, scaled by 2^15:
//   Y  = 16  + (0.2126 R + 0.7152 G + 0.0722 B) × 219/255
//   Cb = 128 + (−0.2126/1.8556 R − 0.7152/1.8556 G + 0.5 B) × 224/255
//   Cr = 128 + (0.5 R − 0.7152/1.5748 G − 0.0722/1.5748 B) × 224/255
constexpr int kShift = 15;
constexpr int kYR = 5983, kYG = 20127, kYB = 2032;          // sum 28142 = 219/255 × 2^15
constexpr int kUR = -3298, kUG = -11094, kUB = 14392;       // sum 0
constexpr int kVR = 14392, kVG = -13073, kVB = -1319;       // sum 0
constexpr int kYOffset = (16 << kShift) + (1 << (kShift - 1));
constexpr int kCOffset = (128 << kShift) + (1 << (kShift - 1));

// Pixels are read as native-endian 32-bit words (0xAARRGGBB), so each lane does the same
// arithmetic and the loops vectorise without byte shuffles.
__attribute__((target_clones("avx2", "default"))) void LumaRow(const uint32_t* __restrict row,
                                                                int width, uint8_t* __restrict y) {
  for (int x = 0; x < width; ++x) {
    const int32_t p = static_cast<int32_t>(row[x] & 0x00ffffffu);
    const int32_t r = p >> 16, g = (p >> 8) & 0xff, b = p & 0xff;
    y[x] = static_cast<uint8_t>((kYR * r + kYG * g + kYB * b + kYOffset) >> kShift);
  }
}

__attribute__((target_clones("avx2", "default"))) void ChromaRow(
    const uint32_t* __restrict row0, const uint32_t* __restrict row1, int half_width,
    uint8_t* __restrict u, uint8_t* __restrict v) {
  for (int x = 0; x < half_width; ++x) {
    const uint32_t p0 = row0[2 * x], p1 = row0[2 * x + 1], p2 = row1[2 * x], p3 = row1[2 * x + 1];
    // Sums of the four pixels; the ×1/4 folds into the shift.
    const int32_t r = static_cast<int32_t>(((p0 >> 16) & 0xff) + ((p1 >> 16) & 0xff) +
                                           ((p2 >> 16) & 0xff) + ((p3 >> 16) & 0xff));
    const int32_t g = static_cast<int32_t>(((p0 >> 8) & 0xff) + ((p1 >> 8) & 0xff) +
                                           ((p2 >> 8) & 0xff) + ((p3 >> 8) & 0xff));
    const int32_t b = static_cast<int32_t>((p0 & 0xff) + (p1 & 0xff) + (p2 & 0xff) + (p3 & 0xff));
    u[x] = static_cast<uint8_t>((kUR * r + kUG * g + kUB * b + 4 * kCOffset) >> (kShift + 2));
    v[x] = static_cast<uint8_t>((kVR * r + kVG * g + kVB * b + 4 * kCOffset) >> (kShift + 2));
  }
}

void ConvertRowPair(const uint8_t* row0, const uint8_t* row1, int width, uint8_t* y0,
                    uint8_t* y1, uint8_t* u, uint8_t* v) {
  const auto* p0 = reinterpret_cast<const uint32_t*>(row0);
  const auto* p1 = reinterpret_cast<const uint32_t*>(row1);
  LumaRow(p0, width, y0);
  LumaRow(p1, width, y1);
  ChromaRow(p0, p1, width / 2, u, v);
}

}  // namespace

void ConvertBgraToYuv420Bt709(const uint8_t* bgra, int stride, int width, int height,
                              const YuvPlanes& out) {
  for (int row = 0; row + 1 < height; row += 2) {
    ConvertRowPair(bgra + static_cast<size_t>(row) * stride,
                   bgra + static_cast<size_t>(row + 1) * stride, width,
                   out.y + static_cast<size_t>(row) * out.y_stride,
                   out.y + static_cast<size_t>(row + 1) * out.y_stride,
                   out.u + static_cast<size_t>(row / 2) * out.u_stride,
                   out.v + static_cast<size_t>(row / 2) * out.v_stride);
  }
}

}  // namespace vg::render

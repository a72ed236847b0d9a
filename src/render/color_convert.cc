// The colour conversion in 15-bit fixed point. The loops are written for the compiler to
// vectorise; target_clones builds an AVX2 version picked at run time where the CPU has it.
#include "render/color_convert.h"

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

__attribute__((target_clones("avx2", "default"))) void ConvertRowPair(
    const uint8_t* __restrict row0, const uint8_t* __restrict row1, int width,
    uint8_t* __restrict y0, uint8_t* __restrict y1, uint8_t* __restrict u,
    uint8_t* __restrict v) {
  for (int x = 0; x < width; ++x) {
    const int b0 = row0[4 * x], g0 = row0[4 * x + 1], r0 = row0[4 * x + 2];
    const int b1 = row1[4 * x], g1 = row1[4 * x + 1], r1 = row1[4 * x + 2];
    y0[x] = static_cast<uint8_t>((kYR * r0 + kYG * g0 + kYB * b0 + kYOffset) >> kShift);
    y1[x] = static_cast<uint8_t>((kYR * r1 + kYG * g1 + kYB * b1 + kYOffset) >> kShift);
  }
  const int half = width / 2;
  for (int x = 0; x < half; ++x) {
    const uint8_t* p0 = row0 + 8 * x;
    const uint8_t* p1 = row1 + 8 * x;
    // Sums of four pixels; the ×1/4 folds into the shift.
    const int b = p0[0] + p0[4] + p1[0] + p1[4];
    const int g = p0[1] + p0[5] + p1[1] + p1[5];
    const int r = p0[2] + p0[6] + p1[2] + p1[6];
    u[x] = static_cast<uint8_t>((kUR * r + kUG * g + kUB * b + 4 * kCOffset) >> (kShift + 2));
    v[x] = static_cast<uint8_t>((kVR * r + kVG * g + kVB * b + 4 * kCOffset) >> (kShift + 2));
  }
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

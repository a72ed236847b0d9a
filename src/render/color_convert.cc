// The colour conversion in 15-bit fixed point. Where the CPU has AVX2, hand-written rows do the
// sums of products with pmaddwd (16-bit channels × 16-bit coefficients, pairs summed in 32
// bits); elsewhere plain loops written for the compiler to vectorise. Both compute the same
// integers, so the output does not depend on the path.
#include "render/color_convert.h"

#include <immintrin.h>

#include <cstddef>

namespace vg::render {
namespace {

// BT.709 limited range, scaled by 2^15:
//   Y  = 16  + (0.2126 R + 0.7152 G + 0.0722 B) × 219/255
//   Cb = 128 + (−0.2126/1.8556 R − 0.7152/1.8556 G + 0.5 B) × 224/255
//   Cr = 128 + (0.5 R − 0.7152/1.5748 G − 0.0722/1.5748 B) × 224/255
constexpr int kShift = 15;
constexpr int kYR = 5983, kYG = 20127, kYB = 2032;     // sum 28142 = 219/255 × 2^15
constexpr int kUR = -3298, kUG = -11094, kUB = 14392;  // sum 0
constexpr int kVR = 14392, kVG = -13073, kVB = -1319;  // sum 0
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

__attribute__((target_clones("avx2", "default"))) void ChromaRow(const uint32_t* __restrict row0,
                                                                 const uint32_t* __restrict row1,
                                                                 int half_width,
                                                                 uint8_t* __restrict u,
                                                                 uint8_t* __restrict v) {
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

// Coefficients for pmaddwd over a pixel's 16-bit channels (B, G, R, A): (B·kB + G·kG) and
// (R·kR + A·0) land in two 32-bit lanes, summed by phaddd.
__attribute__((target("avx2"), always_inline)) inline __m256i Coefficients(int b, int g, int r) {
  return _mm256_setr_epi16(
      static_cast<int16_t>(b), static_cast<int16_t>(g), static_cast<int16_t>(r), 0,
      static_cast<int16_t>(b), static_cast<int16_t>(g), static_cast<int16_t>(r), 0,
      static_cast<int16_t>(b), static_cast<int16_t>(g), static_cast<int16_t>(r), 0,
      static_cast<int16_t>(b), static_cast<int16_t>(g), static_cast<int16_t>(r), 0);
}

// Luma of 8 pixels as 32-bit values, in order (unpack and phaddd both work per 128-bit lane:
// pixels 0-3 come out in the low lane, 4-7 in the high one).
__attribute__((target("avx2"), always_inline)) inline __m256i Luma8(const uint32_t* row,
                                                                    __m256i coefficients) {
  const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row));
  const __m256i zero = _mm256_setzero_si256();
  const __m256i lo = _mm256_madd_epi16(_mm256_unpacklo_epi8(p, zero), coefficients);
  const __m256i hi = _mm256_madd_epi16(_mm256_unpackhi_epi8(p, zero), coefficients);
  return _mm256_srai_epi32(_mm256_add_epi32(_mm256_hadd_epi32(lo, hi), _mm256_set1_epi32(kYOffset)),
                           kShift);
}

// Four vectors of 8 values (0..255 in 32 bits) → 32 bytes in order.
__attribute__((target("avx2"), always_inline)) inline __m256i Pack32(__m256i a, __m256i b,
                                                                     __m256i c, __m256i d) {
  const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

__attribute__((target("avx2"))) void LumaRowAvx2(const uint32_t* row, int width, uint8_t* y) {
  const __m256i coefficients = Coefficients(kYB, kYG, kYR);
  int x = 0;
  for (; x + 32 <= width; x += 32) {
    const __m256i out =
        Pack32(Luma8(row + x, coefficients), Luma8(row + x + 8, coefficients),
               Luma8(row + x + 16, coefficients), Luma8(row + x + 24, coefficients));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + x), out);
  }
  for (; x < width; ++x) {
    const int32_t p = static_cast<int32_t>(row[x] & 0x00ffffffu);
    const int32_t r = p >> 16, g = (p >> 8) & 0xff, b = p & 0xff;
    y[x] = static_cast<uint8_t>((kYR * r + kYG * g + kYB * b + kYOffset) >> kShift);
  }
}

// One chroma value from 4 × 2 source pixels → 8 values of one component (U or V) per 16
// source columns: the two rows' channels are summed in 16 bits, weighted per pixel by
// pmaddwd, then phaddd twice sums each pixel's lanes and each pair of pixels.
__attribute__((target("avx2"), always_inline)) inline __m256i Chroma8(
    __m256i sum_lo0, __m256i sum_hi0, __m256i sum_lo1, __m256i sum_hi1, __m256i coefficients) {
  const __m256i pixels0 = _mm256_hadd_epi32(_mm256_madd_epi16(sum_lo0, coefficients),
                                            _mm256_madd_epi16(sum_hi0, coefficients));
  const __m256i pixels1 = _mm256_hadd_epi32(_mm256_madd_epi16(sum_lo1, coefficients),
                                            _mm256_madd_epi16(sum_hi1, coefficients));
  // Pairs (0+1, 2+3 of the first 8 pixels, then of the next 8) per lane: chroma 0,1,4,5 |
  // 2,3,6,7 of these 16 columns' 8 outputs; reordered with the lanes by the caller's pack.
  const __m256i pairs = _mm256_hadd_epi32(pixels0, pixels1);
  return _mm256_srai_epi32(_mm256_add_epi32(pairs, _mm256_set1_epi32(4 * kCOffset)), kShift + 2);
}

// The two rows' channels of 8 pixels summed in 16 bits (pixels 0,1,4,5 in `lo`, 2,3,6,7 in
// `hi`, as unpack works per lane).
__attribute__((target("avx2"), always_inline)) inline void RowSums(const uint32_t* row0,
                                                                   const uint32_t* row1, int x,
                                                                   __m256i* lo, __m256i* hi) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row0 + x));
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row1 + x));
  *lo = _mm256_add_epi16(_mm256_unpacklo_epi8(a, zero), _mm256_unpacklo_epi8(b, zero));
  *hi = _mm256_add_epi16(_mm256_unpackhi_epi8(a, zero), _mm256_unpackhi_epi8(b, zero));
}

__attribute__((target("avx2"))) void ChromaRowAvx2(const uint32_t* row0, const uint32_t* row1,
                                                   int half_width, uint8_t* u, uint8_t* v) {
  const __m256i u_coefficients = Coefficients(kUB, kUG, kUR);
  const __m256i v_coefficients = Coefficients(kVB, kVG, kVR);
  int c = 0;
  // 32 chroma values (64 source columns) per iteration: four groups of 16 columns.
  for (; c + 32 <= half_width; c += 32) {
    __m256i u8[4], v8[4];
    for (int g = 0; g < 4; ++g) {
      __m256i lo0, hi0, lo1, hi1;
      RowSums(row0, row1, 2 * c + 16 * g, &lo0, &hi0);
      RowSums(row0, row1, 2 * c + 16 * g + 8, &lo1, &hi1);
      u8[g] = Chroma8(lo0, hi0, lo1, hi1, u_coefficients);
      v8[g] = Chroma8(lo0, hi0, lo1, hi1, v_coefficients);
    }
    // Each group's 8 values sit in lane order (0,1,4,5 | 2,3,6,7); Pack32's permutation puts
    // lanes back together, which for these groups gives 0,1,4,5,2,3,6,7 per group: undo it.
    const __m256i order = _mm256_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15, 0,
                                           1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(u + c),
                        _mm256_shuffle_epi8(Pack32(u8[0], u8[1], u8[2], u8[3]), order));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(v + c),
                        _mm256_shuffle_epi8(Pack32(v8[0], v8[1], v8[2], v8[3]), order));
  }
  if (c < half_width) ChromaRow(row0 + 2 * c, row1 + 2 * c, half_width - c, u + c, v + c);
}

void ConvertRowPair(const uint8_t* row0, const uint8_t* row1, int width, uint8_t* y0, uint8_t* y1,
                    uint8_t* u, uint8_t* v) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  const auto* p0 = reinterpret_cast<const uint32_t*>(row0);
  const auto* p1 = reinterpret_cast<const uint32_t*>(row1);
  if (avx2) {
    LumaRowAvx2(p0, width, y0);
    LumaRowAvx2(p1, width, y1);
    ChromaRowAvx2(p0, p1, width / 2, u, v);
    return;
  }
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

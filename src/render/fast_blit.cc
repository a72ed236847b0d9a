// The scaled-blit fast path. Coordinates are "padded": source column c here is bitmap column
// c − 1, so columns 0 and width + 1 (rows 0 and height + 1) are the transparent pixels just
// outside the bitmap that bilinear sampling blends with at its edges. A destination pixel
// centre (dx + 0.5) maps to the padded source position sx = (dx + 0.5 − tx) / scale_x − 0.5 + 1
// and is drawn while sx lies in [0, width + 1). Weights come from the position's fraction,
// rounded to 1/128 horizontally and 1/256 vertically.
//
// Per destination row: the two source rows are interpolated into a row buffer that holds the
// padded columns the span needs (zeros at the bitmap's edges), then every destination pixel
// takes its two columns from that buffer, weighs them and is blended OVER the frame.
#include "render/fast_blit.h"

#include <immintrin.h>
#include <libyuv/cpu_id.h>
#include <libyuv/row.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace vg::render {
namespace {

// One pixel of the horizontal filter + OVER blend, in exactly the arithmetic of the AVX2
// kernel (16-bit lanes): s = a + ((b − a)·w + 64) >> 7 per channel, s' = s·opacity256 >> 8,
// dst = s' + dst·(255 − alpha(s')) / 255 (rounded).
inline uint32_t FilterBlendPixel(uint32_t p0, uint32_t p1, uint32_t w, uint32_t opacity256,
                                 uint32_t d) {
  int32_t s[4];
  for (int k = 0; k < 4; ++k) {
    const int32_t a = static_cast<int32_t>((p0 >> (8 * k)) & 0xff);
    const int32_t b = static_cast<int32_t>((p1 >> (8 * k)) & 0xff);
    const int32_t filtered = a + (((b - a) * static_cast<int32_t>(w) + 64) >> 7);
    s[k] = (filtered * static_cast<int32_t>(opacity256)) >> 8;
  }
  const uint32_t keep = 255 - static_cast<uint32_t>(s[3]);
  uint32_t out = 0;
  for (int k = 0; k < 4; ++k) {
    uint32_t t = ((d >> (8 * k)) & 0xff) * keep + 128;
    t = (t + (t >> 8)) >> 8;
    out |= (static_cast<uint32_t>(s[k]) + t) << (8 * k);
  }
  return out;
}

// Each destination pixel's weights as the AVX2 kernel takes them: the byte pair
// (128 − w, w) four times, one per channel.
uint64_t PackWeight(int w) {
  const uint64_t pair = static_cast<uint64_t>(128 - w) | static_cast<uint64_t>(w) << 8;
  return pair * 0x0001000100010001ull;
}

uint32_t UnpackWeight(uint64_t packed) { return static_cast<uint32_t>((packed >> 8) & 0xff); }

// The row kernels read the pixels under the layer from `under` and write `dst`: the same
// row normally, a backdrop's row when the compositor has not copied it into the frame yet.
void FilterBlendRowPortable(uint32_t* dst, const uint32_t* under, const uint32_t* row,
                            const int32_t* index, const uint64_t* weight, int width,
                            uint32_t opacity256) {
  for (int j = 0; j < width; ++j) {
    dst[j] = FilterBlendPixel(row[index[j]], row[index[j] + 1], UnpackWeight(weight[j]), opacity256,
                              under[j]);
  }
}

// The left and right source pixels of four destination pixels: one 64-bit load each (the two
// columns are neighbours in the row buffer). Gathers would do the same but are several times
// slower on the machines measured.
__attribute__((target("avx2"), always_inline)) inline __m256i LoadPairs4(const uint32_t* row,
                                                                         const int32_t* index) {
  uint64_t q[4];
  for (int k = 0; k < 4; ++k) std::memcpy(&q[k], row + index[k], sizeof(q[k]));
  return _mm256_set_epi64x(static_cast<long long>(q[3]), static_cast<long long>(q[2]),
                           static_cast<long long>(q[1]), static_cast<long long>(q[0]));
}

// The fade (`opacity` in 0..256) and the OVER blend of 16-bit source channels onto the
// destination's, as FilterBlendPixel and BlendPixel.
__attribute__((target("avx2"), always_inline)) inline __m256i Blend16(__m256i s, __m256i d,
                                                                      __m256i opacity) {
  s = _mm256_srli_epi16(_mm256_mullo_epi16(s, opacity), 8);
  const __m256i alpha = _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(s, 0xff), 0xff);
  const __m256i keep = _mm256_sub_epi16(_mm256_set1_epi16(255), alpha);
  __m256i t = _mm256_add_epi16(_mm256_mullo_epi16(d, keep), _mm256_set1_epi16(128));
  t = _mm256_srli_epi16(_mm256_add_epi16(t, _mm256_srli_epi16(t, 8)), 8);
  return _mm256_add_epi16(s, t);
}

// Two pixels' filter (their (left, right) channel bytes interleaved in each lane) and blend
// with the destination pixels as 16-bit lanes: FilterBlend4 after its shuffle.
__attribute__((target("avx2"), always_inline)) inline __m256i FilterBlendInterleaved(
    __m256i interleaved, __m256i weights, __m256i dst16, __m256i opacity) {
  const __m256i p = _mm256_xor_si256(interleaved, _mm256_set1_epi8(static_cast<char>(0x80)));
  __m256i s = _mm256_maddubs_epi16(weights, p);
  s = _mm256_srli_epi16(_mm256_add_epi16(s, _mm256_set1_epi16(16384 + 64)), 7);
  return Blend16(s, dst16, opacity);
}

// Four pixels: the channels of each pair interleaved (left, right, left, right…) and made
// signed by flipping their top bit, so pmaddubsw (unsigned weights × signed pixels) gives
// (128 − w)·(a − 128) + w·(b − 128) = (128 − w)·a + w·b − 16384 in 16 bits; adding 16384 + 64
// and shifting by 7 is the rounded filter. Then the fade and the OVER blend with the
// destination widened to 16 bits, as FilterBlendPixel.
__attribute__((target("avx2"), always_inline)) inline __m256i FilterBlend4(__m256i pairs,
                                                                           __m256i weights,
                                                                           __m128i dst4,
                                                                           __m256i opacity) {
  const __m256i interleave = _mm256_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15,
                                              0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
  return FilterBlendInterleaved(_mm256_shuffle_epi8(pairs, interleave), weights,
                                _mm256_cvtepu8_epi16(dst4), opacity);
}

__attribute__((target("avx2"))) void FilterBlendRowAvx2(uint32_t* dst, const uint32_t* under,
                                                        const uint32_t* row, const int32_t* index,
                                                        const uint64_t* weight, int width,
                                                        uint32_t opacity256) {
  const __m256i opacity = _mm256_set1_epi16(static_cast<int16_t>(opacity256));
  int j = 0;
  for (; j + 8 <= width; j += 8) {
    const __m256i a =
        FilterBlend4(LoadPairs4(row, index + j),
                     _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weight + j)),
                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(under + j)), opacity);
    const __m256i b =
        FilterBlend4(LoadPairs4(row, index + j + 4),
                     _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weight + j + 4)),
                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(under + j + 4)), opacity);
    // packus interleaves the 128-bit lanes (0 1 4 5 | 2 3 6 7); permute restores the order.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + j),
                        _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xd8));
  }
  FilterBlendRowPortable(dst + j, under + j, row, index + j, weight + j, width - j, opacity256);
}

// Enlarging (or shrinking by little), the eight destination pixels of a block take their
// left source pixels from eight consecutive row-buffer entries starting at the block's first
// left column, and their right ones from the next eight: two loads and two permutes replace
// eight scalar loads. A block whose columns spread wider takes the scalar loads instead.
struct BlockGather {
  std::vector<int32_t> base;     // per block of 8: the first pixel's left column; −1: spread
  std::vector<uint32_t> offset;  // per pixel: its left column − base (0..7)
  std::vector<uint64_t> weight;  // per pixel, in unpack order: 0, 1, 4, 5, 2, 3, 6, 7
};

BlockGather MakeBlockGather(const int32_t* index, const uint64_t* weight, int width) {
  BlockGather g;
  const int blocks = width / 8;
  g.base.resize(static_cast<size_t>(blocks));
  g.offset.resize(8 * static_cast<size_t>(blocks));
  g.weight.resize(8 * static_cast<size_t>(blocks));
  constexpr int kUnpackOrder[8] = {0, 1, 4, 5, 2, 3, 6, 7};
  for (int b = 0; b < blocks; ++b) {
    const int32_t* i = index + 8 * b;
    const int32_t lowest = *std::min_element(i, i + 8), highest = *std::max_element(i, i + 8);
    const bool near = lowest == i[0] && highest - lowest <= 7;
    g.base[static_cast<size_t>(b)] = near ? i[0] : -1;
    for (int k = 0; k < 8; ++k) {
      g.offset[8 * static_cast<size_t>(b) + k] = near ? static_cast<uint32_t>(i[k] - i[0]) : 0;
      g.weight[8 * static_cast<size_t>(b) + k] = weight[8 * b + kUnpackOrder[k]];
    }
  }
  return g;
}

// FilterBlendRowAvx2 over blocks of 8 with BlockGather; the row buffer has 8 readable entries
// past the last left column of every block.
__attribute__((target("avx2"))) void FilterBlendRowBlocksAvx2(
    uint32_t* dst, const uint32_t* under, const uint32_t* row, const int32_t* index,
    const uint64_t* weight, int width, uint32_t opacity256, const BlockGather& g) {
  const __m256i opacity = _mm256_set1_epi16(static_cast<int16_t>(opacity256));
  const __m256i zero = _mm256_setzero_si256();
  const int blocks = width / 8;
  for (int b = 0; b < blocks; ++b) {
    const int j = 8 * b;
    const int32_t base = g.base[static_cast<size_t>(b)];
    if (base < 0) {
      FilterBlendRowAvx2(dst + j, under + j, row, index + j, weight + j, 8, opacity256);
      continue;
    }
    const __m256i offset =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.offset.data() + j));
    const __m256i left = _mm256_permutevar8x32_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + base)), offset);
    const __m256i right = _mm256_permutevar8x32_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + base + 1)), offset);
    const __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(under + j));
    // Per lane, unpacklo holds pixels 0, 1 (4, 5) and unpackhi 2, 3 (6, 7); packus puts them
    // back in order.
    const __m256i lo = FilterBlendInterleaved(
        _mm256_unpacklo_epi8(left, right),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.weight.data() + j)),
        _mm256_unpacklo_epi8(u, zero), opacity);
    const __m256i hi = FilterBlendInterleaved(
        _mm256_unpackhi_epi8(left, right),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.weight.data() + j + 4)),
        _mm256_unpackhi_epi8(u, zero), opacity);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + j), _mm256_packus_epi16(lo, hi));
  }
  FilterBlendRowPortable(dst + 8 * blocks, under + 8 * blocks, row, index + 8 * blocks,
                         weight + 8 * blocks, width - 8 * blocks, opacity256);
}

void FilterBlendRow(uint32_t* dst, const uint32_t* under, const uint32_t* row, const int32_t* index,
                    const uint64_t* weight, int width, uint32_t opacity256,
                    const BlockGather* blocks) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2 && blocks) {
    FilterBlendRowBlocksAvx2(dst, under, row, index, weight, width, opacity256, *blocks);
  } else if (avx2) {
    FilterBlendRowAvx2(dst, under, row, index, weight, width, opacity256);
  } else {
    FilterBlendRowPortable(dst, under, row, index, weight, width, opacity256);
  }
}

// The unscaled case: src OVER dst with opacity, pixel for pixel (FilterBlendPixel with the
// right neighbour weighted 0).
void BlendRowPortable(uint32_t* dst, const uint32_t* under, const uint32_t* src, int width,
                      uint32_t opacity256) {
  for (int j = 0; j < width; ++j) {
    dst[j] = FilterBlendPixel(src[j], src[j], 0, opacity256, under[j]);
  }
}

__attribute__((target("avx2"))) void BlendRowAvx2(uint32_t* dst, const uint32_t* under,
                                                  const uint32_t* src, int width,
                                                  uint32_t opacity256) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i opacity = _mm256_set1_epi16(static_cast<int16_t>(opacity256));
  int j = 0;
  for (; j + 8 <= width; j += 8) {
    const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + j));
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(under + j));
    // unpack and pack both work within 128-bit lanes, so the order comes back unchanged.
    const __m256i lo =
        Blend16(_mm256_unpacklo_epi8(s, zero), _mm256_unpacklo_epi8(d, zero), opacity);
    const __m256i hi =
        Blend16(_mm256_unpackhi_epi8(s, zero), _mm256_unpackhi_epi8(d, zero), opacity);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + j), _mm256_packus_epi16(lo, hi));
  }
  BlendRowPortable(dst + j, under + j, src + j, width - j, opacity256);
}

void BlendRow(uint32_t* dst, const uint32_t* under, const uint32_t* src, int width,
              uint32_t opacity256) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) {
    BlendRowAvx2(dst, under, src, width, opacity256);
  } else {
    BlendRowPortable(dst, under, src, width, opacity256);
  }
}

// The target's pixels and how a paint writes them: rows [y0, y1) × columns [x0, x1) by
// `draw_row(y, dst, under)` (both pointing at column x0), and, when a backdrop stands in for
// the target's current pixels, every other pixel copied from it, so the whole target is
// written. Without a backdrop only the rectangle is touched.
struct Target {
  cairo_surface_t* surface;
  uint8_t* data;
  int stride, width, height;
};

template <typename DrawRow>
void Compose(const Target& t, const assets::Bitmap* backdrop, int x0, int x1, int y0, int y1,
             DrawRow&& draw_row) {
  const bool empty = x1 <= x0 || y1 <= y0;
  auto dst_row = [&](int y) {
    return reinterpret_cast<uint32_t*>(t.data + static_cast<size_t>(y) * t.stride);
  };
  if (!backdrop) {
    if (empty) return;
    for (int y = y0; y < y1; ++y) draw_row(y, dst_row(y) + x0, dst_row(y) + x0);
    cairo_surface_mark_dirty_rectangle(t.surface, x0, y0, x1 - x0, y1 - y0);
    return;
  }
  const size_t row_bytes = 4 * static_cast<size_t>(t.width);
  for (int y = 0; y < t.height; ++y) {
    uint32_t* d = dst_row(y);
    const auto* u = reinterpret_cast<const uint32_t*>(backdrop->pixels.data() +
                                                      static_cast<size_t>(y) * backdrop->stride);
    if (empty || y < y0 || y >= y1) {
      std::memcpy(d, u, row_bytes);
      continue;
    }
    std::memcpy(d, u, 4 * static_cast<size_t>(x0));
    std::memcpy(d + x1, u + x1, 4 * static_cast<size_t>(t.width - x1));
    draw_row(y, d + x0, u + x0);
  }
  cairo_surface_mark_dirty(t.surface);
}

// dst = (src0 · (256 − fraction) + src1 · fraction + 128) >> 8 per byte (libyuv's rounding).
void Interpolate(uint8_t* dst, const uint8_t* src0, const uint8_t* src1, int bytes, int fraction) {
  static const bool avx2 = libyuv::TestCpuFlag(libyuv::kCpuHasAVX2);
  if (fraction == 0) {
    std::memcpy(dst, src0, static_cast<size_t>(bytes));
  } else if (avx2) {
    libyuv::InterpolateRow_Any_AVX2(dst, src0, src1 - src0, bytes, fraction);
  } else {
    libyuv::InterpolateRow_C(dst, src0, src1 - src0, bytes, fraction);
  }
}

// The same with one of the rows outside the bitmap (transparent): dst = (src · weight + 128)
// >> 8, weight being 256 − fraction for the upper row or fraction for the lower one.
void Fade(uint8_t* dst, const uint8_t* src, int bytes, int weight) {
  for (int i = 0; i < bytes; ++i) dst[i] = static_cast<uint8_t>((src[i] * weight + 128) >> 8);
}

}  // namespace

bool TryFastScaledPaint(cairo_t* cr, const assets::Bitmap& bitmap, double pixel_scale,
                        double origin_x, double origin_y, double alpha,
                        const assets::Bitmap* backdrop) {
  cairo_surface_t* surface = cairo_get_group_target(cr);
  if (surface != cairo_get_target(cr) ||
      cairo_surface_get_type(surface) != CAIRO_SURFACE_TYPE_IMAGE ||
      cairo_image_surface_get_format(surface) != CAIRO_FORMAT_ARGB32) {
    return false;
  }
  double offset_x, offset_y;
  cairo_surface_get_device_offset(surface, &offset_x, &offset_y);
  if (offset_x != 0 || offset_y != 0 || cairo_get_operator(cr) != CAIRO_OPERATOR_OVER) {
    return false;
  }
  const Target target{surface, nullptr, cairo_image_surface_get_stride(surface),
                      cairo_image_surface_get_width(surface),
                      cairo_image_surface_get_height(surface)};
  if (backdrop && (backdrop->width != target.width || backdrop->height != target.height)) {
    return false;
  }
  cairo_matrix_t m;
  cairo_get_matrix(cr, &m);
  if (std::fabs(m.xy) > 1e-9 || std::fabs(m.yx) > 1e-9 || m.xx <= 1e-6 || m.yy <= 1e-6) {
    return false;
  }
  // Source pixel (u, v) → device m.x0 + (u/ps − origin_x)·xx, …
  const double scale_x = m.xx / pixel_scale, scale_y = m.yy / pixel_scale;
  const double translate_x = m.x0 - origin_x * scale_x, translate_y = m.y0 - origin_y * scale_y;
  // Unscaled on whole pixels (within rounding noise far below a sampling weight's step): a
  // plain per-pixel blend, no filtering.
  const bool unscaled = std::fabs(scale_x - 1) < 1e-9 && std::fabs(scale_y - 1) < 1e-9 &&
                        std::fabs(translate_x - std::round(translate_x)) < 1e-6 &&
                        std::fabs(translate_y - std::round(translate_y)) < 1e-6;

  // The visible device rectangle: the target, the clip, and the image's footprint.
  double clip_x0 = 0, clip_y0 = 0, clip_x1 = target.width, clip_y1 = target.height;
  cairo_rectangle_list_t* clips = cairo_copy_clip_rectangle_list(cr);
  if (clips->status != CAIRO_STATUS_SUCCESS || clips->num_rectangles > 1) {
    cairo_rectangle_list_destroy(clips);
    return false;
  }
  if (clips->num_rectangles == 0) {
    clip_x1 = clip_y1 = 0;  // everything is clipped away
  } else {
    const cairo_rectangle_t& r = clips->rectangles[0];
    double x0 = r.x, y0 = r.y, x1 = r.x + r.width, y1 = r.y + r.height;
    cairo_user_to_device(cr, &x0, &y0);
    cairo_user_to_device(cr, &x1, &y1);
    // Only whole-pixel clips (the compositor's wipes may be fractional); the round trip
    // through user space leaves tiny errors on whole-pixel ones.
    auto whole = [](double& v) {
      const double r = std::round(v);
      if (std::fabs(v - r) > 1e-6) return false;
      v = r;
      return true;
    };
    if (!whole(x0) || !whole(y0) || !whole(x1) || !whole(y1)) {
      cairo_rectangle_list_destroy(clips);
      return false;
    }
    clip_x0 = std::max(clip_x0, std::min(x0, x1));
    clip_y0 = std::max(clip_y0, std::min(y0, y1));
    clip_x1 = std::min(clip_x1, std::max(x0, x1));
    clip_y1 = std::min(clip_y1, std::max(y0, y1));
  }
  cairo_rectangle_list_destroy(clips);

  cairo_surface_flush(surface);
  Target t = target;
  t.data = cairo_image_surface_get_data(surface);
  const int w = bitmap.width, h = bitmap.height;
  const uint32_t opacity256 = static_cast<uint32_t>(std::lround(std::clamp(alpha, 0.0, 1.0) * 256));
  if (bitmap.empty() || opacity256 == 0) {
    Compose(t, backdrop, 0, 0, 0, 0, [](int, uint32_t*, const uint32_t*) {});
    return true;
  }
  if (unscaled) {
    const int tx = static_cast<int>(std::lround(translate_x));
    const int ty = static_cast<int>(std::lround(translate_y));
    const int x0 = std::max(tx, static_cast<int>(clip_x0));
    const int x1 = std::min(tx + w, static_cast<int>(clip_x1));
    const int y0 = std::max(ty, static_cast<int>(clip_y0));
    const int y1 = std::min(ty + h, static_cast<int>(clip_y1));
    Compose(t, backdrop, x0, x1, y0, y1, [&](int y, uint32_t* dst, const uint32_t* under) {
      const auto* src = reinterpret_cast<const uint32_t*>(
          bitmap.pixels.data() + static_cast<size_t>(y - ty) * bitmap.stride);
      BlendRow(dst, under, src + (x0 - tx), x1 - x0, opacity256);
    });
    return true;
  }

  auto source_x = [&](double dx) { return (dx + 0.5 - translate_x) / scale_x - 0.5 + 1; };
  auto source_y = [&](double dy) { return (dy + 0.5 - translate_y) / scale_y - 0.5 + 1; };
  int dx_begin = static_cast<int>(std::ceil(translate_x + (0 - 1 + 0.5) * scale_x - 0.5));
  int dx_end = static_cast<int>(std::ceil(translate_x + (w + 1 - 1 + 0.5) * scale_x - 0.5));
  int dy_begin = static_cast<int>(std::ceil(translate_y + (0 - 1 + 0.5) * scale_y - 0.5));
  int dy_end = static_cast<int>(std::ceil(translate_y + (h + 1 - 1 + 0.5) * scale_y - 0.5));
  // Keep only pixels whose sample lies in [0, size + 1) (rounding may have let one slip).
  while (dx_begin < dx_end && source_x(dx_begin) < 0) ++dx_begin;
  while (dx_end > dx_begin && source_x(dx_end - 1) >= w + 1) --dx_end;
  while (dy_begin < dy_end && source_y(dy_begin) < 0) ++dy_begin;
  while (dy_end > dy_begin && source_y(dy_end - 1) >= h + 1) --dy_end;
  dx_begin = std::max(dx_begin, static_cast<int>(clip_x0));
  dx_end = std::min(dx_end, static_cast<int>(clip_x1));
  dy_begin = std::max(dy_begin, static_cast<int>(clip_y0));
  dy_end = std::min(dy_end, static_cast<int>(clip_y1));
  const int width = std::max(0, dx_end - dx_begin);

  // Horizontal sampling, the same for every row: each destination pixel's left column (an
  // index into the row buffer, which starts at padded column column_begin) and weight.
  std::vector<int32_t> index(static_cast<size_t>(width));
  std::vector<uint64_t> weight(static_cast<size_t>(width));
  int column_begin = w + 2, column_last = 0;
  for (int j = 0; j < width; ++j) {
    const double sx = source_x(dx_begin + j);
    int column = static_cast<int>(std::floor(sx));
    int fraction = static_cast<int>(std::lround((sx - column) * 128));
    if (fraction == 128) {
      ++column;
      fraction = 0;
    }
    column = std::clamp(column, 0, w + 1);
    index[static_cast<size_t>(j)] = column;
    weight[static_cast<size_t>(j)] = PackWeight(fraction);
    column_begin = std::min(column_begin, column);
    column_last = std::max(column_last, column);
  }
  for (auto& i : index) i -= column_begin;
  // Padded columns column_begin ..= column_last + 1 (the right neighbour), plus one slack
  // entry so the right neighbour of column w + 1 is readable (its weight is 0).
  const int span = std::max(0, column_last + 2 - column_begin + 1);
  // 8 more transparent entries: a block's loads read up to 8 entries past its first column.
  std::vector<uint32_t> row(static_cast<size_t>(span) + 8, 0);
  static const bool avx2 = __builtin_cpu_supports("avx2");
  const BlockGather blocks =
      avx2 ? MakeBlockGather(index.data(), weight.data(), width) : BlockGather{};
  // The bitmap's columns inside the span, and where they go in the row buffer; the others
  // stay transparent.
  const int bitmap_column_begin = std::max(0, column_begin - 1);
  const int bitmap_column_end = std::min(w, column_last + 1);
  const int row_offset = bitmap_column_begin + 1 - column_begin;
  const int bytes = 4 * (bitmap_column_end - bitmap_column_begin);
  uint8_t* row_bytes = reinterpret_cast<uint8_t*>(row.data() + row_offset);
  auto bitmap_row = [&](int r) {
    return bitmap.pixels.data() + static_cast<size_t>(r) * bitmap.stride + 4 * bitmap_column_begin;
  };

  Compose(t, backdrop, dx_begin, dx_end, dy_begin, dy_end,
          [&](int dy, uint32_t* dst, const uint32_t* under) {
            const double sy = source_y(dy);
            int y = static_cast<int>(std::floor(sy));
            int fraction = static_cast<int>(std::lround((sy - y) * 256));
            if (fraction == 256) {
              ++y;
              fraction = 0;
            }
            // Padded rows y and y + 1 are bitmap rows y − 1 and y.
            const bool upper = y - 1 >= 0 && y - 1 < h;
            const bool lower = fraction > 0 && y >= 0 && y < h;
            if (bytes > 0) {
              if (upper && lower) {
                Interpolate(row_bytes, bitmap_row(y - 1), bitmap_row(y), bytes, fraction);
              } else if (upper) {
                if (fraction == 0) {
                  std::memcpy(row_bytes, bitmap_row(y - 1), static_cast<size_t>(bytes));
                } else {
                  Fade(row_bytes, bitmap_row(y - 1), bytes, 256 - fraction);
                }
              } else if (lower) {
                Fade(row_bytes, bitmap_row(y), bytes, fraction);
              } else {
                std::memset(row_bytes, 0, static_cast<size_t>(bytes));
              }
            }
            FilterBlendRow(dst, under, row.data(), index.data(), weight.data(), width, opacity256,
                           avx2 ? &blocks : nullptr);
          });
  return true;
}

}  // namespace vg::render

// The scaled-blit fast path. Coordinates: a destination pixel centre (dx + 0.5) maps to the
// padded source position sx = (dx + 0.5 - tx) / sx_scale - 0.5 + 1, and bilinear weights come
// from its fraction (7 bits horizontally, 8 bits vertically, as libyuv's row functions take).
#include "render/fast_blit.h"

#include <libyuv/cpu_id.h>
#include <libyuv/row.h>
#include <libyuv/scale_row.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace vg::render {
namespace {

// dst = src × opacity + dst × (1 − src_alpha × opacity), premultiplied. Pixels are handled as
// 32-bit words with two 8-bit channels in each 16-bit half (0x00ff00ff masks), so every lane
// does the same arithmetic and the loop vectorises.
__attribute__((target_clones("avx2", "default"))) void BlendRowOver(
    uint32_t* __restrict dst, const uint32_t* __restrict src, int width, uint32_t opacity256) {
  constexpr uint32_t kMask = 0x00ff00ffu;
  for (int i = 0; i < width; ++i) {
    const uint32_t s = src[i], d = dst[i];
    const uint32_t s_rb = ((s & kMask) * opacity256 >> 8) & kMask;
    const uint32_t s_ag = (((s >> 8) & kMask) * opacity256 >> 8) & kMask;
    const uint32_t keep = 255 - (s_ag >> 16);
    uint32_t d_rb = (d & kMask) * keep + 0x00800080u;
    d_rb = ((d_rb + ((d_rb >> 8) & kMask)) >> 8) & kMask;
    uint32_t d_ag = ((d >> 8) & kMask) * keep + 0x00800080u;
    d_ag = ((d_ag + ((d_ag >> 8) & kMask)) >> 8) & kMask;
    dst[i] = (s_rb + d_rb) | ((s_ag + d_ag) << 8);
  }
}

void Interpolate(uint8_t* dst, const uint8_t* src, ptrdiff_t stride, int bytes, int fraction) {
  static const bool avx2 = libyuv::TestCpuFlag(libyuv::kCpuHasAVX2);
  if (avx2) {
    libyuv::InterpolateRow_Any_AVX2(dst, src, stride, bytes, fraction);
  } else {
    libyuv::InterpolateRow_C(dst, src, stride, bytes, fraction);
  }
}

void FilterColumns(uint8_t* dst, const uint8_t* src, int width, int x, int dx) {
  static const bool ssse3 = libyuv::TestCpuFlag(libyuv::kCpuHasSSSE3);
  if (ssse3) {
    libyuv::ScaleARGBFilterCols_SSSE3(dst, src, width, x, dx);
  } else {
    libyuv::ScaleARGBFilterCols_C(dst, src, width, x, dx);
  }
}

}  // namespace

assets::Bitmap PadForSampling(const assets::Bitmap& bitmap) {
  assets::Bitmap padded = assets::Bitmap::Allocate(bitmap.width + 2, bitmap.height + 2);
  for (int y = 0; y < bitmap.height; ++y) {
    std::memcpy(padded.pixels.data() + static_cast<size_t>(y + 1) * padded.stride + 4,
                bitmap.pixels.data() + static_cast<size_t>(y) * bitmap.stride,
                static_cast<size_t>(bitmap.width) * 4);
  }
  return padded;
}

bool TryFastScaledPaint(cairo_t* cr, const assets::Bitmap& padded, double pixel_scale,
                        double origin_x, double origin_y, double alpha) {
  cairo_surface_t* target = cairo_get_group_target(cr);
  if (target != cairo_get_target(cr) || cairo_surface_get_type(target) != CAIRO_SURFACE_TYPE_IMAGE ||
      cairo_image_surface_get_format(target) != CAIRO_FORMAT_ARGB32) {
    return false;
  }
  double offset_x, offset_y;
  cairo_surface_get_device_offset(target, &offset_x, &offset_y);
  if (offset_x != 0 || offset_y != 0) return false;
  cairo_matrix_t m;
  cairo_get_matrix(cr, &m);
  if (std::fabs(m.xy) > 1e-9 || std::fabs(m.yx) > 1e-9 || m.xx <= 1e-6 || m.yy <= 1e-6) return false;
  // Source pixel (u, v) of the unpadded bitmap → device m.x0 + (u/ps − origin_x)·xx, …
  const double scale_x = m.xx / pixel_scale, scale_y = m.yy / pixel_scale;
  const double translate_x = m.x0 - origin_x * scale_x, translate_y = m.y0 - origin_y * scale_y;
  // Unscaled whole-pixel placements are plain blits that pixman already does at memory speed.
  if (std::fabs(scale_x - 1) < 1e-9 && std::fabs(scale_y - 1) < 1e-9 &&
      translate_x == std::floor(translate_x) && translate_y == std::floor(translate_y)) {
    return false;
  }

  // The visible device rectangle: the target, the clip, and the image's footprint.
  double clip_x0 = 0, clip_y0 = 0;
  double clip_x1 = cairo_image_surface_get_width(target);
  double clip_y1 = cairo_image_surface_get_height(target);
  cairo_rectangle_list_t* clips = cairo_copy_clip_rectangle_list(cr);
  if (clips->status != CAIRO_STATUS_SUCCESS || clips->num_rectangles > 1) {
    cairo_rectangle_list_destroy(clips);
    return false;
  }
  if (clips->num_rectangles == 0) {
    cairo_rectangle_list_destroy(clips);
    return true;  // everything is clipped away
  }
  {
    const cairo_rectangle_t& r = clips->rectangles[0];
    double x0 = r.x, y0 = r.y, x1 = r.x + r.width, y1 = r.y + r.height;
    cairo_user_to_device(cr, &x0, &y0);
    cairo_user_to_device(cr, &x1, &y1);
    // The fast path only handles whole-pixel clips (the compositor's wipes may be fractional);
    // the round trip through user space leaves tiny errors on whole-pixel ones.
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

  const int inner_w = padded.width - 2, inner_h = padded.height - 2;
  // Padded source position of a device pixel centre; valid while within [0, inner + 1).
  auto source_x = [&](double dx) { return (dx + 0.5 - translate_x) / scale_x - 0.5 + 1; };
  auto source_y = [&](double dy) { return (dy + 0.5 - translate_y) / scale_y - 0.5 + 1; };
  int dx_begin = static_cast<int>(std::ceil(translate_x + (0 - 1 + 0.5) * scale_x - 0.5));
  int dx_end = static_cast<int>(std::ceil(translate_x + (inner_w + 1 - 1 + 0.5) * scale_x - 0.5));
  int dy_begin = static_cast<int>(std::ceil(translate_y + (0 - 1 + 0.5) * scale_y - 0.5));
  int dy_end = static_cast<int>(std::ceil(translate_y + (inner_h + 1 - 1 + 0.5) * scale_y - 0.5));
  // Keep only pixels whose sample lies in [0, inner + 1) (rounding may have let one slip).
  while (dx_begin < dx_end && source_x(dx_begin) < 0) ++dx_begin;
  while (dx_end > dx_begin && source_x(dx_end - 1) >= inner_w + 1) --dx_end;
  while (dy_begin < dy_end && source_y(dy_begin) < 0) ++dy_begin;
  while (dy_end > dy_begin && source_y(dy_end - 1) >= inner_h + 1) --dy_end;
  dx_begin = std::max(dx_begin, static_cast<int>(clip_x0));
  dx_end = std::min(dx_end, static_cast<int>(clip_x1));
  dy_begin = std::max(dy_begin, static_cast<int>(clip_y0));
  dy_end = std::min(dy_end, static_cast<int>(clip_y1));
  const int width = dx_end - dx_begin;
  if (width <= 0 || dy_end <= dy_begin || alpha <= 0) return true;

  cairo_surface_flush(target);
  uint8_t* dst = cairo_image_surface_get_data(target);
  const int dst_stride = cairo_image_surface_get_stride(target);
  const uint32_t opacity256 = static_cast<uint32_t>(std::lround(std::clamp(alpha, 0.0, 1.0) * 256));

  // Horizontal sampling in 16.16 fixed point over the source columns this span needs.
  const double first_sx = source_x(dx_begin);
  const int column_begin = static_cast<int>(std::floor(first_sx));
  const int column_end = std::min(padded.width, static_cast<int>(std::floor(source_x(dx_end - 1))) + 2);
  const int span = column_end - column_begin;
  const int x_fixed = static_cast<int>(std::lround((first_sx - column_begin) * 65536.0));
  const int dx_fixed = static_cast<int>(std::lround(65536.0 / scale_x));
  // Row buffers: one interpolated source row (+ slack for the filter's read-ahead), one output.
  std::vector<uint8_t> row(static_cast<size_t>(span + 8) * 4);
  std::vector<uint8_t> out(static_cast<size_t>(width + 8) * 4);
  for (int dy = dy_begin; dy < dy_end; ++dy) {
    const double sy = source_y(dy);
    const int y0 = std::clamp(static_cast<int>(std::floor(sy)), 0, padded.height - 1);
    int fraction = static_cast<int>((sy - std::floor(sy)) * 256);
    fraction = std::clamp(fraction, 0, 255);
    const uint8_t* src = padded.pixels.data() + static_cast<size_t>(y0) * padded.stride + column_begin * 4;
    const ptrdiff_t next = y0 + 1 < padded.height ? padded.stride : 0;
    Interpolate(row.data(), src, next, span * 4, fraction);
    FilterColumns(out.data(), row.data(), width, x_fixed, dx_fixed);
    BlendRowOver(reinterpret_cast<uint32_t*>(dst + static_cast<size_t>(dy) * dst_stride) + dx_begin,
                 reinterpret_cast<const uint32_t*>(out.data()), width, opacity256);
  }
  cairo_surface_mark_dirty_rectangle(target, dx_begin, dy_begin, width, dy_end - dy_begin);
  return true;
}

}  // namespace vg::render

// Cairo helpers: CSS gradient geometry and bitmap scaling.
#include "render/paint.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include <libyuv/scale_argb.h>

namespace vg::render {

void SetSourceColor(cairo_t* cr, const tmpl::Color& c, double alpha) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * alpha);
}

PatternPtr GradientPattern(const tmpl::Gradient& gradient, double width, double height) {
  PatternPtr pattern;
  if (gradient.type == tmpl::GradientType::kLinear) {
    // CSS: the gradient line passes through the centre at `angle` (0 = up, clockwise), long
    // enough that the corners perpendicular to it get exactly the end colours.
    const double a = gradient.angle_deg * std::numbers::pi / 180.0;
    const double dx = std::sin(a), dy = -std::cos(a);
    const double length = std::fabs(width * dx) + std::fabs(height * dy);
    const double cx = width / 2, cy = height / 2;
    pattern.reset(cairo_pattern_create_linear(cx - dx * length / 2, cy - dy * length / 2,
                                              cx + dx * length / 2, cy + dy * length / 2));
  } else {
    // CSS radial-gradient(farthest-corner at center): an ellipse with the box's aspect ratio
    // through the corners, radii (w/2·√2, h/2·√2). Cairo draws circles, so scale y.
    const double rx = width / 2 * std::numbers::sqrt2;
    const double ry = height / 2 * std::numbers::sqrt2;
    pattern.reset(cairo_pattern_create_radial(0, 0, 0, 0, 0, rx));
    cairo_matrix_t m;
    // Pattern space → user space: maps the circle onto the ellipse centred in the box.
    cairo_matrix_init_translate(&m, width / 2, height / 2);
    cairo_matrix_scale(&m, 1, ry > 0 && rx > 0 ? ry / rx : 1);
    cairo_matrix_invert(&m);
    cairo_pattern_set_matrix(pattern.get(), &m);
  }
  for (const auto& stop : gradient.stops) {
    cairo_pattern_add_color_stop_rgba(pattern.get(), stop.offset, stop.color.r, stop.color.g,
                                      stop.color.b, stop.color.a);
  }
  cairo_pattern_set_extend(pattern.get(), CAIRO_EXTEND_PAD);
  return pattern;
}

void RoundedRectPath(cairo_t* cr, double x, double y, double w, double h, double radius) {
  double r = std::clamp(radius, 0.0, std::min(w, h) / 2);
  if (r <= 0) {
    cairo_rectangle(cr, x, y, w, h);
    return;
  }
  constexpr double kHalfPi = std::numbers::pi / 2;
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -kHalfPi, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, kHalfPi);
  cairo_arc(cr, x + r, y + h - r, r, kHalfPi, 2 * kHalfPi);
  cairo_arc(cr, x + r, y + r, r, 2 * kHalfPi, 3 * kHalfPi);
  cairo_close_path(cr);
}

SurfacePtr WrapBitmap(const assets::Bitmap& bitmap) {
  // Cairo only reads from source surfaces, so handing it the const pixels is safe.
  return SurfacePtr(cairo_image_surface_create_for_data(
      const_cast<uint8_t*>(bitmap.pixels.data()), CAIRO_FORMAT_ARGB32, bitmap.width,
      bitmap.height, bitmap.stride));
}

assets::Bitmap AllocateBitmap(int width, int height) {
  constexpr size_t kHugePage = size_t{2} << 20;
  assets::Bitmap b;
  b.width = width;
  b.height = height;
  b.stride = width * 4;
  const size_t size = static_cast<size_t>(b.stride) * static_cast<size_t>(std::max(0, height));
  if (size >= 2 * kHugePage) {
    // Reserve without touching, advise the whole huge pages inside, then clear (the first
    // touch). Advice is only a hint: without huge pages this is an ordinary allocation.
    b.pixels.reserve(size);
    const auto begin = reinterpret_cast<uintptr_t>(b.pixels.data());
    const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
    const uintptr_t last = (begin + size) & ~(kHugePage - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
  b.pixels.resize(size);
  return b;
}

assets::Bitmap ScaleBitmap(const assets::Bitmap& source, int width, int height) {
  width = std::max(1, width);
  height = std::max(1, height);
  assets::Bitmap out = AllocateBitmap(width, height);
  libyuv::ARGBScale(source.pixels.data(), source.stride, source.width, source.height,
                    out.pixels.data(), out.stride, width, height, libyuv::kFilterBox);
  return out;
}

}  // namespace vg::render

// Cairo helpers shared by layers: colours, CSS gradients as Cairo patterns, rounded
// rectangles, and Bitmap ↔ cairo_surface_t. Internal to render/.
#pragma once

#include <cairo.h>

#include "assets/bitmap.h"
#include "base/c_handle.h"
#include "tmpl/template.h"

namespace vg::render {

using SurfacePtr = CHandle<cairo_surface_t, cairo_surface_destroy>;
using PatternPtr = CHandle<cairo_pattern_t, cairo_pattern_destroy>;
using CairoPtr = CHandle<cairo_t, cairo_destroy>;

void SetSourceColor(cairo_t* cr, const tmpl::Color& color, double alpha = 1);

// A CSS gradient filling a box of width × height at the origin: linear-gradient(<angle>deg)
// with CSS's gradient-line length, or radial-gradient(farthest-corner at center) (an ellipse).
PatternPtr GradientPattern(const tmpl::Gradient& gradient, double width, double height);

// A rounded-rectangle path; the radius is clamped to half the shorter side.
void RoundedRectPath(cairo_t* cr, double x, double y, double width, double height, double radius);

// A Cairo image surface over the bitmap's pixels (no copy): the bitmap must outlive it and
// must not move.
SurfacePtr WrapBitmap(const assets::Bitmap& bitmap);

// A cleared bitmap, as assets::Bitmap::Allocate makes, but frame-sized and larger ones ask the
// kernel for transparent huge pages before their memory is first touched: faulting fresh
// memory in 4 KiB pages is most of a render's start-up otherwise (each frame-sized buffer is
// two thousand page faults).
assets::Bitmap AllocateBitmap(int width, int height);

// A bitmap of width × height drawn by `draw` into a cleared ARGB32 surface.
template <typename DrawFn>
assets::Bitmap DrawToBitmap(int width, int height, DrawFn&& draw) {
  assets::Bitmap bitmap = AllocateBitmap(width, height);
  SurfacePtr surface(cairo_image_surface_create_for_data(bitmap.pixels.data(), CAIRO_FORMAT_ARGB32,
                                                         width, height, bitmap.stride));
  CairoPtr cr(cairo_create(surface.get()));
  draw(cr.get());
  cr.reset();
  cairo_surface_flush(surface.get());
  return bitmap;
}

// High-quality resize of a premultiplied bitmap (box filter downscaling, bilinear upscaling).
assets::Bitmap ScaleBitmap(const assets::Bitmap& source, int width, int height);

}  // namespace vg::render

// Cached-bitmap drawing shared by the layers.
#include "render/raster_layer.h"

#include <algorithm>
#include <cmath>

#include "render/fast_blit.h"

namespace vg::render {

RasterLayer::RasterLayer(std::shared_ptr<const assets::Bitmap> bitmap, double pixel_scale,
                         double origin_x, double origin_y, BoxSize box)
    : bitmap_(std::move(bitmap)),
      pixel_scale_(pixel_scale),
      origin_x_(origin_x),
      origin_y_(origin_y),
      box_(box) {
  if (!bitmap_ || bitmap_->empty()) return;
  const assets::Bitmap& b = *bitmap_;
  // Opaque when the bitmap is exactly the box at scale 1 and every alpha is 255.
  opaque_ = origin_x == 0 && origin_y == 0 && pixel_scale == 1 &&
            b.width == static_cast<int>(box.width) && b.height == static_cast<int>(box.height);
  for (int y = 0; opaque_ && y < b.height; ++y) {
    const auto* row =
        reinterpret_cast<const uint32_t*>(b.pixels.data() + static_cast<size_t>(y) * b.stride);
    uint32_t all = 0xff000000u;
    for (int x = 0; x < b.width; ++x) all &= row[x];
    opaque_ = (all & 0xff000000u) == 0xff000000u;
  }
  surface_ = WrapBitmap(b);
}

RasterLayer::RasterLayer(assets::Bitmap bitmap, double pixel_scale, double origin_x,
                         double origin_y, BoxSize box)
    : RasterLayer(std::make_shared<const assets::Bitmap>(std::move(bitmap)), pixel_scale, origin_x,
                  origin_y, box) {}

bool RasterLayer::Draw(cairo_t* cr, const ClipState&, double alpha) const {
  if (!surface_) return true;
  if (!TryFastScaledPaint(cr, *bitmap_, pixel_scale_, origin_x_, origin_y_, alpha)) {
    PaintBitmap(cr, surface_.get(), pixel_scale_, origin_x_, origin_y_, alpha);
  }
  return true;
}

bool RasterLayer::DrawOverBackdrop(cairo_t* cr, const ClipState&, double alpha,
                                   const assets::Bitmap& backdrop) const {
  if (!bitmap_) return false;
  return TryFastScaledPaint(cr, *bitmap_, pixel_scale_, origin_x_, origin_y_, alpha, &backdrop);
}

void PaintBitmap(cairo_t* cr, cairo_surface_t* surface, double pixel_scale, double origin_x,
                 double origin_y, double alpha) {
  cairo_save(cr);
  if (pixel_scale != 1) cairo_scale(cr, 1 / pixel_scale, 1 / pixel_scale);
  cairo_set_source_surface(cr, surface, -origin_x, -origin_y);
  // Cairo drops to a plain copy when the transform is a whole-pixel translation.
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
  if (alpha >= 1) {
    cairo_paint(cr);
  } else {
    cairo_paint_with_alpha(cr, alpha);
  }
  cairo_restore(cr);
}

double CachePixelScale(double max_scale, double box_width, double box_height, double max_pixels) {
  double scale = std::clamp(max_scale, 1.0, 4.0);
  double area = std::max(1.0, box_width * box_height);
  if (area * scale * scale > max_pixels) scale = std::max(std::sqrt(max_pixels / area), 0.05);
  return scale;
}

}  // namespace vg::render

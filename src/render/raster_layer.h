// RasterLayer: a layer whose content is drawn once into a bitmap (at `pixel_scale` device
// pixels per CSS px, so scaled-up clips stay sharp) and then blitted every frame with a
// transform and alpha. Most clips are static in content and only move or fade, so a frame
// costs one transformed blit per clip. Immutable after construction; Draw is thread-safe.
#pragma once

#include <memory>

#include "render/layer.h"
#include "render/paint.h"

namespace vg::render {

class RasterLayer : public Layer {
 public:
  // `bitmap` shows the box (box_width × box_height CSS px) with its top-left at bitmap pixel
  // (origin_x, origin_y); the bitmap may extend beyond the box (shadows). The bitmap is shared,
  // never written: a decoded image that needs no fitting is drawn from the asset cache's own
  // pixels (an aliasing pointer keeps the image alive).
  RasterLayer(std::shared_ptr<const assets::Bitmap> bitmap, double pixel_scale, double origin_x,
              double origin_y, BoxSize box);
  RasterLayer(assets::Bitmap bitmap, double pixel_scale, double origin_x, double origin_y,
              BoxSize box);

  BoxSize Box(const ClipState&) const override { return box_; }
  bool Draw(cairo_t* cr, const ClipState& state, double alpha) const override;
  bool CoversBoxOpaquely() const override { return opaque_; }
  const assets::Bitmap* CoveringPixels() const override {
    return opaque_ ? bitmap_.get() : nullptr;
  }
  bool DrawOverBackdrop(cairo_t* cr, const ClipState& state, double alpha,
                        const assets::Bitmap& backdrop) const override;

 private:
  std::shared_ptr<const assets::Bitmap> bitmap_;
  SurfacePtr surface_;  // over *bitmap_
  double pixel_scale_, origin_x_, origin_y_;
  BoxSize box_;
  bool opaque_ = false;  // every pixel of the box has alpha 255
};

// Paints `surface` (a bitmap at pixel_scale whose box top-left is at origin) at the current
// origin with alpha.
void PaintBitmap(cairo_t* cr, cairo_surface_t* surface, double pixel_scale, double origin_x,
                 double origin_y, double alpha);

// The pixel scale to draw a clip's cache at: its largest scale, at least 1, at most 4, and
// never so large that the cache exceeds `max_pixels`.
double CachePixelScale(double max_scale, double box_width, double box_height, double max_pixels);

}  // namespace vg::render

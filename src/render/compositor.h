// RenderFrame: draws frame f of a timeline. A pure function of (timeline, f): frames can be
// drawn in any order, on any thread, on any machine (MLT's pull model). Each thread brings its
// own Canvas.
#pragma once

#include "assets/bitmap.h"
#include "render/paint.h"
#include "render/timeline.h"

namespace vg::render {

// A frame-sized ARGB32 drawing surface, reused frame after frame by one thread.
class Canvas {
 public:
  Canvas(int width, int height);
  cairo_surface_t* surface() const { return surface_.get(); }
  const assets::Bitmap& bitmap() const { return bitmap_; }

 private:
  assets::Bitmap bitmap_;
  SurfacePtr surface_;
};

void RenderFrame(const Timeline& timeline, FrameIndex f, Canvas& canvas);

}  // namespace vg::render

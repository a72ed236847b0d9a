// object-fit geometry: scale the image once with a good filter (box filter when shrinking;
// vector images drawn afresh at the target size), then place and crop it in the box.
#include "render/image_fit.h"

#include <algorithm>
#include <cmath>

namespace vg::render {

Result<assets::Bitmap> FitImage(const assets::Image& image, double box_width, double box_height,
                                tmpl::Fit fit, double radius, double pixel_scale) {
  const int out_w = std::max(1, static_cast<int>(std::lround(box_width * pixel_scale)));
  const int out_h = std::max(1, static_cast<int>(std::lround(box_height * pixel_scale)));
  const double iw = image.width(), ih = image.height();
  double draw_w = out_w, draw_h = out_h;  // fill
  if (fit != tmpl::Fit::kFill && iw > 0 && ih > 0) {
    const double sx = out_w / iw, sy = out_h / ih;
    const double s = fit == tmpl::Fit::kCover ? std::max(sx, sy) : std::min(sx, sy);
    draw_w = iw * s;
    draw_h = ih * s;
  }
  const int scaled_w = std::max(1, static_cast<int>(std::lround(draw_w)));
  const int scaled_h = std::max(1, static_cast<int>(std::lround(draw_h)));
  assets::Bitmap scaled;
  if (image.is_vector()) {
    VG_ASSIGN_OR_RETURN(scaled, image.RasterizeVector(scaled_w, scaled_h));
  } else if (scaled_w == image.bitmap().width && scaled_h == image.bitmap().height) {
    scaled = image.bitmap();
  } else {
    scaled = ScaleBitmap(image.bitmap(), scaled_w, scaled_h);
  }
  const double offset_x = std::round((out_w - scaled_w) / 2.0);
  const double offset_y = std::round((out_h - scaled_h) / 2.0);
  return DrawToBitmap(out_w, out_h, [&](cairo_t* cr) {
    if (radius > 0) {
      RoundedRectPath(cr, 0, 0, out_w, out_h, radius * pixel_scale);
      cairo_clip(cr);
    }
    SurfacePtr surface = WrapBitmap(scaled);
    cairo_set_source_surface(cr, surface.get(), offset_x, offset_y);
    cairo_paint(cr);
  });
}

}  // namespace vg::render

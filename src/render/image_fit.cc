// object-fit geometry: scale the image once with a good filter (box filter when shrinking;
// vector images drawn afresh at the target size), then place and crop it in the box.
#include "render/image_fit.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace vg::render {

double ImageCachePixelScale(const assets::Image& image, double box_width, double box_height,
                            tmpl::Fit fit, double wanted) {
  if (image.is_vector() || image.width() <= 0 || image.height() <= 0 || box_width <= 0 ||
      box_height <= 0) {
    return wanted;
  }
  // Image pixels per CSS px along the axis the fit scales by.
  const double along_x = image.width() / box_width, along_y = image.height() / box_height;
  double density = std::max(along_x, along_y);                         // fill: the sharper axis
  if (fit == tmpl::Fit::kCover) density = std::min(along_x, along_y);  // scaled by the max
  return std::min(wanted, std::max(1.0, density));
}

Result<std::shared_ptr<const assets::Bitmap>> FitImage(std::shared_ptr<const assets::Image> image,
                                                       double box_width, double box_height,
                                                       tmpl::Fit fit, double radius,
                                                       double pixel_scale) {
  const int out_w = std::max(1, static_cast<int>(std::lround(box_width * pixel_scale)));
  const int out_h = std::max(1, static_cast<int>(std::lround(box_height * pixel_scale)));
  const double iw = image->width(), ih = image->height();
  double draw_w = out_w, draw_h = out_h;  // fill
  if (fit != tmpl::Fit::kFill && iw > 0 && ih > 0) {
    const double sx = out_w / iw, sy = out_h / ih;
    const double s = fit == tmpl::Fit::kCover ? std::max(sx, sy) : std::min(sx, sy);
    draw_w = iw * s;
    draw_h = ih * s;
  }
  const int scaled_w = std::max(1, static_cast<int>(std::lround(draw_w)));
  const int scaled_h = std::max(1, static_cast<int>(std::lround(draw_h)));
  const bool exact = scaled_w == out_w && scaled_h == out_h && radius <= 0;

  // The image at its drawn size: the decoded pixels themselves when no scaling is needed.
  assets::Bitmap scaled_pixels;
  const assets::Bitmap* scaled = &scaled_pixels;
  if (image->is_vector()) {
    VG_ASSIGN_OR_RETURN(scaled_pixels, image->RasterizeVector(scaled_w, scaled_h));
  } else if (scaled_w == image->bitmap().width && scaled_h == image->bitmap().height) {
    if (exact) return std::shared_ptr<const assets::Bitmap>(image, &image->bitmap());
    scaled = &image->bitmap();
  } else {
    scaled_pixels = ScaleBitmap(image->bitmap(), scaled_w, scaled_h);
  }
  if (exact && scaled == &scaled_pixels) {
    return std::make_shared<const assets::Bitmap>(std::move(scaled_pixels));
  }

  // Centre it in the box on whole pixels: crop (cover) or letterbox (contain) by copying rows.
  const int offset_x = static_cast<int>(std::lround((out_w - scaled_w) / 2.0));
  const int offset_y = static_cast<int>(std::lround((out_h - scaled_h) / 2.0));
  assets::Bitmap out = AllocateBitmap(out_w, out_h);
  const int x0 = std::max(0, offset_x), x1 = std::min(out_w, offset_x + scaled->width);
  const int y0 = std::max(0, offset_y), y1 = std::min(out_h, offset_y + scaled->height);
  for (int y = y0; x1 > x0 && y < y1; ++y) {
    std::memcpy(
        out.pixels.data() + static_cast<size_t>(y) * out.stride + 4 * static_cast<size_t>(x0),
        scaled->pixels.data() + static_cast<size_t>(y - offset_y) * scaled->stride +
            4 * static_cast<size_t>(x0 - offset_x),
        4 * static_cast<size_t>(x1 - x0));
  }
  if (radius > 0) {
    // Keep only the rounded rectangle (DEST_IN multiplies by the path's antialiased coverage
    // and clears everything outside it).
    SurfacePtr surface = WrapBitmap(out);
    CairoPtr cr(cairo_create(surface.get()));
    RoundedRectPath(cr.get(), 0, 0, out_w, out_h, radius * pixel_scale);
    cairo_set_operator(cr.get(), CAIRO_OPERATOR_DEST_IN);
    cairo_set_source_rgba(cr.get(), 0, 0, 0, 1);
    cairo_fill(cr.get());
    cr.reset();
    cairo_surface_flush(surface.get());
  }
  return std::make_shared<const assets::Bitmap>(std::move(out));
}

}  // namespace vg::render

// Image clips: PNG, JPEG, WebP, GIF (first frame) and SVG, sized by width/height (one alone
// keeps the aspect ratio, neither: natural size), fitted and rounded once into a cached bitmap.
// An animated width/height re-fits every frame from the decoded image.
#include <algorithm>
#include <cmath>

#include "render/image_fit.h"
#include "render/raster_layer.h"

namespace vg::render {
namespace {

BoxSize NaturalBox(const tmpl::ImageClip& body, const assets::Image& image) {
  const double iw = std::max(1, image.width()), ih = std::max(1, image.height());
  if (body.width && body.height) return {*body.width, *body.height};
  if (body.width) return {*body.width, *body.width * ih / iw};
  if (body.height) return {*body.height * iw / ih, *body.height};
  return {iw, ih};
}

// Draws the image fitted into the animated box each frame (bilinear from the decoded pixels).
class AnimatedSizeImageLayer final : public Layer {
 public:
  AnimatedSizeImageLayer(std::shared_ptr<const assets::Image> image, tmpl::ImageClip body,
                         BoxSize box, assets::Bitmap pixels)
      : image_(std::move(image)), body_(std::move(body)), box_(box), pixels_(std::move(pixels)),
        surface_(WrapBitmap(pixels_)) {}

  BoxSize Box(const ClipState& s) const override {
    BoxSize b = box_;
    const double aspect = static_cast<double>(pixels_.width) / std::max(1, pixels_.height);
    if (s.width && s.height) return {*s.width, *s.height};
    if (s.width) return {*s.width, body_.height ? b.height : *s.width / aspect};
    if (s.height) return {body_.width ? b.width : *s.height * aspect, *s.height};
    return b;
  }

  bool Draw(cairo_t* cr, const ClipState& s, double alpha) const override {
    BoxSize b = Box(s);
    const double iw = pixels_.width, ih = pixels_.height;
    double sx = b.width / iw, sy = b.height / ih;
    if (body_.fit == tmpl::Fit::kCover) sx = sy = std::max(sx, sy);
    if (body_.fit == tmpl::Fit::kContain) sx = sy = std::min(sx, sy);
    cairo_save(cr);
    RoundedRectPath(cr, 0, 0, b.width, b.height, body_.radius);
    cairo_clip(cr);
    cairo_translate(cr, (b.width - iw * sx) / 2, (b.height - ih * sy) / 2);
    cairo_scale(cr, sx, sy);
    cairo_set_source_surface(cr, surface_.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint_with_alpha(cr, alpha);
    cairo_restore(cr);
    return true;
  }

 private:
  std::shared_ptr<const assets::Image> image_;
  tmpl::ImageClip body_;
  BoxSize box_;
  assets::Bitmap pixels_;
  SurfacePtr surface_;
};

}  // namespace

Result<std::unique_ptr<Layer>> CreateImageLayer(const tmpl::Clip& clip, const LayerContext& context) {
  const auto& body = std::get<tmpl::ImageClip>(clip.body);
  VG_ASSIGN_OR_RETURN(auto image, context.assets->LoadImage(body.src));
  const BoxSize box = NaturalBox(body, *image);
  if (context.size_animated) {
    assets::Bitmap pixels;
    if (image->is_vector()) {
      // Vector art drawn at a generous fixed size, then scaled per frame.
      const double s = std::max(1.0, 1024.0 / std::max(image->width(), image->height()));
      VG_ASSIGN_OR_RETURN(pixels, image->RasterizeVector(
                                      static_cast<int>(std::lround(image->width() * s)),
                                      static_cast<int>(std::lround(image->height() * s))));
    } else {
      pixels = image->bitmap();
    }
    return std::unique_ptr<Layer>(
        std::make_unique<AnimatedSizeImageLayer>(image, body, box, std::move(pixels)));
  }
  const double max_pixels = 4.0 * context.frame_width * context.frame_height;
  const double scale = ImageCachePixelScale(
      *image, box.width, box.height, body.fit,
      CachePixelScale(context.max_scale, box.width, box.height, max_pixels));
  VG_ASSIGN_OR_RETURN(auto bitmap,
                      FitImage(image, box.width, box.height, body.fit, body.radius, scale));
  return std::unique_ptr<Layer>(std::make_unique<RasterLayer>(std::move(bitmap), scale, 0, 0, box));
}

}  // namespace vg::render

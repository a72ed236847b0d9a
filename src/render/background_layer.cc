// Background clips: a colour, a CSS gradient or an image (with fit) filling the frame. The
// gradient and image are drawn once into a frame-sized bitmap.
#include <cmath>

#include "render/image_fit.h"
#include "render/raster_layer.h"

namespace vg::render {
namespace {

class ColorLayer final : public Layer {
 public:
  ColorLayer(tmpl::Color color, BoxSize box) : color_(color), box_(box) {}
  BoxSize Box(const ClipState&) const override { return box_; }
  bool CoversBoxOpaquely() const override { return color_.a >= 1; }
  bool Draw(cairo_t* cr, const ClipState& s, double alpha) const override {
    SetSourceColor(cr, s.color.value_or(color_), alpha);
    cairo_rectangle(cr, 0, 0, box_.width, box_.height);
    cairo_fill(cr);
    return true;
  }

 private:
  tmpl::Color color_;
  BoxSize box_;
};

}  // namespace

Result<std::unique_ptr<Layer>> CreateBackgroundLayer(const tmpl::Clip& clip,
                                                     const LayerContext& context) {
  const auto& body = std::get<tmpl::BackgroundClip>(clip.body);
  const BoxSize frame{static_cast<double>(context.frame_width),
                      static_cast<double>(context.frame_height)};
  if (body.color) return std::unique_ptr<Layer>(std::make_unique<ColorLayer>(*body.color, frame));
  const double max_pixels = 4.0 * frame.width * frame.height;
  const double scale = CachePixelScale(context.max_scale, frame.width, frame.height, max_pixels);
  if (body.gradient) {
    const int w = static_cast<int>(std::lround(frame.width * scale));
    const int h = static_cast<int>(std::lround(frame.height * scale));
    assets::Bitmap bitmap = DrawToBitmap(w, h, [&](cairo_t* cr) {
      PatternPtr pattern = GradientPattern(*body.gradient, w, h);
      cairo_set_source(cr, pattern.get());
      cairo_paint(cr);
    });
    return std::unique_ptr<Layer>(std::make_unique<RasterLayer>(std::move(bitmap), scale, 0, 0, frame));
  }
  VG_ASSIGN_OR_RETURN(auto image, context.assets->LoadImage(*body.src));
  const double image_scale = ImageCachePixelScale(*image, frame.width, frame.height, body.fit, scale);
  VG_ASSIGN_OR_RETURN(auto bitmap,
                      FitImage(image, frame.width, frame.height, body.fit, 0, image_scale));
  return std::unique_ptr<Layer>(
      std::make_unique<RasterLayer>(std::move(bitmap), image_scale, 0, 0, frame));
}

}  // namespace vg::render

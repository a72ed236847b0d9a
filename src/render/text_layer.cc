// Text clips: laid out and rasterised once per clip (text_raster.h) and blitted per frame; an
// animated colour rasterises again on the drawing thread.
#include <algorithm>

#include "render/raster_layer.h"
#include "render/text_raster.h"

namespace vg::render {
namespace {

class AnimatedColorTextLayer final : public Layer {
 public:
  AnimatedColorTextLayer(const FontRegistry* fonts, tmpl::TextClip body, double scale, BoxSize box)
      : fonts_(fonts), body_(std::move(body)), scale_(scale), box_(box) {}
  BoxSize Box(const ClipState&) const override { return box_; }
  bool Draw(cairo_t* cr, const ClipState& s, double alpha) const override {
    auto raster = RasterizeText(*fonts_, body_, s.color.value_or(body_.style.color), scale_);
    if (!raster.ok() || raster->bitmap.empty()) return true;  // laid out fine at build time
    SurfacePtr surface = WrapBitmap(raster->bitmap);
    PaintBitmap(cr, surface.get(), scale_, raster->box_x, raster->box_y, alpha);
    return true;
  }

 private:
  const FontRegistry* fonts_;
  tmpl::TextClip body_;
  double scale_;
  BoxSize box_;
};

}  // namespace

Result<std::unique_ptr<Layer>> CreateTextLayer(const tmpl::Clip& clip, const LayerContext& context) {
  const auto& body = std::get<tmpl::TextClip>(clip.body);
  const double scale = std::clamp(context.max_scale, 1.0, 4.0);
  auto raster = RasterizeText(*context.fonts, body, body.style.color, scale);
  if (!raster.ok()) {
    return Status(raster.error().code(), clip.path + ": " + raster.error().message());
  }
  const BoxSize box{raster->box_width / scale, raster->box_height / scale};
  if (context.color_animated) {
    return std::unique_ptr<Layer>(
        std::make_unique<AnimatedColorTextLayer>(context.fonts, body, scale, box));
  }
  const double origin_x = raster->box_x, origin_y = raster->box_y;
  return std::unique_ptr<Layer>(std::make_unique<RasterLayer>(std::move(raster->bitmap), scale,
                                                              origin_x, origin_y, box));
}

}  // namespace vg::render

// Shape clips: rect (rounded), ellipse and line, filled with a colour or gradient and
// stroked. The stroke lies inside the box (CSS border-box), so the box is exactly
// width × height. A line runs from the box's left-middle to its right-middle, drawn with the
// stroke (or, without one, with the fill colour and the box height as its thickness).
// Static shapes are drawn once into a cached bitmap; animated size or colour draws per frame.
#include <algorithm>
#include <cmath>

#include "render/raster_layer.h"

namespace vg::render {
namespace {

class ShapeLayer final : public Layer {
 public:
  explicit ShapeLayer(tmpl::ShapeClip body) : body_(std::move(body)) {}

  BoxSize Box(const ClipState& s) const override {
    return {s.width.value_or(body_.width), s.height.value_or(body_.height)};
  }

  bool DrawsWithAlpha() const override {
    // A fill and a stroke overlap; fading them separately would show the seam.
    return !(body_.fill && body_.stroke && body_.shape != tmpl::ShapeKind::kLine);
  }

  bool Draw(cairo_t* cr, const ClipState& s, double alpha) const override {
    const BoxSize b = Box(s);
    cairo_save(cr);
    if (body_.shape == tmpl::ShapeKind::kLine) {
      DrawLine(cr, s, b, alpha);
      cairo_restore(cr);
      return true;
    }
    const double stroke_width = body_.stroke ? std::min(body_.stroke->width, std::min(b.width, b.height) / 2) : 0;
    const double inset = stroke_width / 2;
    auto path = [&] {
      cairo_new_path(cr);
      const double w = b.width - 2 * inset, h = b.height - 2 * inset;
      if (body_.shape == tmpl::ShapeKind::kEllipse) {
        cairo_save(cr);
        cairo_translate(cr, b.width / 2, b.height / 2);
        cairo_scale(cr, std::max(w, 1e-6) / 2, std::max(h, 1e-6) / 2);
        cairo_arc(cr, 0, 0, 1, 0, 2 * 3.14159265358979323846);
        cairo_restore(cr);
      } else {
        RoundedRectPath(cr, inset, inset, w, h, std::max(0.0, body_.radius - inset));
      }
    };
    if (body_.fill) {
      path();
      if (const auto* gradient = std::get_if<tmpl::Gradient>(&*body_.fill)) {
        PatternPtr pattern = GradientPattern(*gradient, b.width, b.height);
        cairo_set_source(cr, pattern.get());
        if (alpha < 1) {
          cairo_clip(cr);
          cairo_paint_with_alpha(cr, alpha);
          cairo_reset_clip(cr);
        } else {
          cairo_fill(cr);
        }
      } else {
        SetSourceColor(cr, s.color.value_or(std::get<tmpl::Color>(*body_.fill)), alpha);
        cairo_fill(cr);
      }
    }
    if (body_.stroke && stroke_width > 0) {
      path();
      SetSourceColor(cr, body_.stroke->color, alpha);
      cairo_set_line_width(cr, stroke_width);
      cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
      cairo_stroke(cr);
    }
    cairo_restore(cr);
    return true;
  }

 private:
  void DrawLine(cairo_t* cr, const ClipState& s, const BoxSize& b, double alpha) const {
    tmpl::Color color{1, 1, 1, 1};
    double width = std::max(1.0, b.height);
    if (body_.stroke) {
      color = body_.stroke->color;
      width = body_.stroke->width;
    } else if (body_.fill && std::holds_alternative<tmpl::Color>(*body_.fill)) {
      color = std::get<tmpl::Color>(*body_.fill);
    }
    if (s.color) color = *s.color;
    cairo_move_to(cr, 0, b.height / 2);
    cairo_line_to(cr, b.width, b.height / 2);
    SetSourceColor(cr, color, alpha);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
  }

  tmpl::ShapeClip body_;
};

}  // namespace

Result<std::unique_ptr<Layer>> CreateShapeLayer(const tmpl::Clip& clip, const LayerContext& context) {
  auto shape = std::make_unique<ShapeLayer>(std::get<tmpl::ShapeClip>(clip.body));
  if (context.size_animated || context.color_animated) return std::unique_ptr<Layer>(std::move(shape));
  // Static: draw once, blit per frame. The cache keeps a 1-px margin for antialiased edges.
  const BoxSize box = shape->Box(ClipState{});
  const double max_pixels = 4.0 * context.frame_width * context.frame_height;
  const double scale = CachePixelScale(context.max_scale, box.width, box.height, max_pixels);
  const double margin = std::ceil(scale);
  const int w = static_cast<int>(std::ceil(box.width * scale + 2 * margin));
  const int h = static_cast<int>(std::ceil(box.height * scale + 2 * margin));
  assets::Bitmap bitmap = DrawToBitmap(w, h, [&](cairo_t* cr) {
    cairo_translate(cr, margin, margin);
    cairo_scale(cr, scale, scale);
    (void)shape->Draw(cr, ClipState{}, 1);
  });
  return std::unique_ptr<Layer>(
      std::make_unique<RasterLayer>(std::move(bitmap), scale, margin, margin, box));
}

}  // namespace vg::render

// The compositor: paints the template background, then every clip visible on the frame in
// track order, each with its transform (anchor, scale and rotation about the anchor), wipe
// clip, opacity and blur.
#include "render/compositor.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include "render/blur.h"
#include "render/text_raster.h"

namespace vg::render {
namespace {

// Where the anchor sits inside the box, as fractions of width and height.
void AnchorFractions(tmpl::Anchor anchor, double* fx, double* fy) {
  using A = tmpl::Anchor;
  *fx = 0.5;
  *fy = 0.5;
  switch (anchor) {
    case A::kCenter: break;
    case A::kTopLeft: *fx = 0; *fy = 0; break;
    case A::kTop: *fy = 0; break;
    case A::kTopRight: *fx = 1; *fy = 0; break;
    case A::kLeft: *fx = 0; break;
    case A::kRight: *fx = 1; break;
    case A::kBottomLeft: *fx = 0; *fy = 1; break;
    case A::kBottom: *fy = 1; break;
    case A::kBottomRight: *fx = 1; *fy = 1; break;
  }
}

// Blurs the group just drawn and paints it with alpha.
void PaintBlurredGroup(cairo_t* cr, double sigma, double alpha) {
  PatternPtr group(cairo_pop_group(cr));
  cairo_surface_t* surface = nullptr;
  if (cairo_pattern_get_surface(group.get(), &surface) == CAIRO_STATUS_SUCCESS &&
      cairo_surface_get_type(surface) == CAIRO_SURFACE_TYPE_IMAGE) {
    cairo_surface_flush(surface);
    assets::Bitmap bitmap;
    bitmap.width = cairo_image_surface_get_width(surface);
    bitmap.height = cairo_image_surface_get_height(surface);
    bitmap.stride = cairo_image_surface_get_stride(surface);
    const uint8_t* data = cairo_image_surface_get_data(surface);
    bitmap.pixels.assign(data, data + static_cast<size_t>(bitmap.stride) * bitmap.height);
    GaussianBlur(bitmap, sigma);
    std::memcpy(cairo_image_surface_get_data(surface), bitmap.pixels.data(), bitmap.pixels.size());
    cairo_surface_mark_dirty(surface);
  }
  cairo_set_source(cr, group.get());
  cairo_paint_with_alpha(cr, alpha);
}

}  // namespace

Canvas::Canvas(int width, int height)
    : bitmap_(AllocateBitmap(width, height)), surface_(WrapBitmap(bitmap_)) {}

namespace {

// True when the clip, drawn at this state, paints exactly the whole frame opaquely (a
// full-frame background or photo that does not move or fade), so nothing under it shows.
bool CoversFrame(const Timeline& timeline, const TimelineClip& tc, const ClipState& s) {
  if (!tc.layer->CoversBoxOpaquely() || s.opacity < 1 || s.blur > 0 || s.rotation_deg != 0 ||
      s.scale_x != 1 || s.scale_y != 1 || s.visible_left > 0 || s.visible_right < 1) {
    return false;
  }
  const BoxSize box = tc.layer->Box(s);
  double fx, fy;
  AnchorFractions(tc.clip->visual.anchor, &fx, &fy);
  return box.width == timeline.width() && box.height == timeline.height() &&
         s.x - fx * box.width == 0 && s.y - fy * box.height == 0;
}

}  // namespace

void RenderFrame(const Timeline& timeline, FrameIndex f, Canvas& canvas) {
  CairoPtr holder(cairo_create(canvas.surface()));
  cairo_t* cr = holder.get();

  // Start from the last clip that covers the whole frame opaquely: everything below it,
  // including the template background, would be painted over.
  const auto& clips = timeline.clips();
  size_t first = 0;
  bool covered = false;
  for (size_t i = clips.size(); i-- > 0;) {
    const TimelineClip& tc = clips[i];
    if (f < tc.first_frame || f >= tc.end_frame) continue;
    if (CoversFrame(timeline, tc, EvaluateClip(timeline, tc, f))) {
      first = i;
      covered = true;
      break;
    }
  }
  if (!covered) {
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    SetSourceColor(cr, timeline.tmpl().background);
    cairo_paint(cr);
  }
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);

  // A covering clip that is a frame-sized bitmap is not copied into the frame at once: the
  // next clip paints over it as a backdrop, writing the whole frame in one pass (a Ken Burns
  // photo over a background image or gradient). It is copied only when the next clip cannot.
  const assets::Bitmap* backdrop = nullptr;
  auto copy_backdrop = [&] {
    if (!backdrop) return;
    cairo_surface_flush(canvas.surface());
    const assets::Bitmap& frame = canvas.bitmap();
    for (int y = 0; y < frame.height; ++y) {
      std::memcpy(cairo_image_surface_get_data(canvas.surface()) + static_cast<size_t>(y) * frame.stride,
                  backdrop->pixels.data() + static_cast<size_t>(y) * backdrop->stride,
                  4 * static_cast<size_t>(frame.width));
    }
    cairo_surface_mark_dirty(canvas.surface());
    backdrop = nullptr;
  };

  for (size_t i = first; i < clips.size(); ++i) {
    const TimelineClip& tc = clips[i];
    if (f < tc.first_frame || f >= tc.end_frame) continue;
    const ClipState s = EvaluateClip(timeline, tc, f);
    if (covered && i == first) {
      backdrop = tc.layer->CoveringPixels();
      if (backdrop && (backdrop->width != canvas.bitmap().width ||
                       backdrop->height != canvas.bitmap().height)) {
        backdrop = nullptr;
      }
      if (backdrop) continue;
    }
    // The covering clip replaces what is there (a copy, not a blend).
    cairo_set_operator(cr, covered && i == first ? CAIRO_OPERATOR_SOURCE : CAIRO_OPERATOR_OVER);
    if (s.opacity <= 0 || s.scale_x == 0 || s.scale_y == 0 || s.visible_left >= s.visible_right) {
      continue;
    }
    const BoxSize box = tc.layer->Box(s);
    if (box.width <= 0 || box.height <= 0) continue;
    double fx, fy;
    AnchorFractions(tc.clip->visual.anchor, &fx, &fy);

    cairo_save(cr);
    cairo_translate(cr, s.x, s.y);
    if (s.rotation_deg != 0) cairo_rotate(cr, s.rotation_deg * std::numbers::pi / 180.0);
    cairo_scale(cr, s.scale_x, s.scale_y);
    cairo_translate(cr, -fx * box.width, -fy * box.height);
    if (s.visible_left > 0 || s.visible_right < 1) {
      // Wipes reveal the clip's box with a straight edge (the edge turns with the clip).
      const double margin = 4 * std::max(box.width, box.height);  // shadows outside the box
      const double left = s.visible_left > 0 ? s.visible_left * box.width : -margin;
      const double right = s.visible_right < 1 ? s.visible_right * box.width : box.width + margin;
      cairo_rectangle(cr, left, -margin, right - left, box.height + 2 * margin);
      cairo_clip(cr);
    }
    const bool needs_group = s.blur > 0 || (s.opacity < 1 && !tc.layer->DrawsWithAlpha());
    if (backdrop && !needs_group && tc.layer->DrawOverBackdrop(cr, s, s.opacity, *backdrop)) {
      backdrop = nullptr;
      cairo_restore(cr);
      continue;
    }
    copy_backdrop();
    if (needs_group) {
      cairo_push_group(cr);
      (void)tc.layer->Draw(cr, s, 1);
      if (s.blur > 0) {
        // The group is in device space: blur it there, then paint it untransformed.
        cairo_identity_matrix(cr);
        PaintBlurredGroup(cr, s.blur, s.opacity);
      } else {
        cairo_pop_group_to_source(cr);
        cairo_paint_with_alpha(cr, s.opacity);
      }
    } else {
      (void)tc.layer->Draw(cr, s, s.opacity);
    }
    cairo_restore(cr);
  }
  copy_backdrop();
  cairo_surface_flush(canvas.surface());
}

}  // namespace vg::render

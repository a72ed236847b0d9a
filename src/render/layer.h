// Layers: one per visual clip type (background, image, text, shape), each in its own file and
// registered in one table (layer_registry.cc). A layer is prepared once per clip when the
// timeline is built (decoded and pre-scaled images, laid-out text, cached gradients) and then
// drawn on any render thread: Draw must be const and thread-safe.
// Internal to render/: Cairo types appear only in render's own headers.
#pragma once

#include <cairo.h>

#include <memory>
#include <optional>

#include "assets/asset_cache.h"
#include "base/result.h"
#include "tmpl/template.h"

namespace vg::render {

class FontRegistry;

// A visual clip's values at one frame, after animations and transitions.
struct ClipState {
  double t = 0;  // seconds since the clip's first frame
  double x = 0, y = 0;  // anchor point, px
  double scale_x = 1, scale_y = 1;
  double rotation_deg = 0;
  double opacity = 1;
  double blur = 0;  // Gaussian sigma, px
  std::optional<double> width, height;  // animated box size
  std::optional<tmpl::Color> color;     // animated fill colour (text, shape)
  // Wipe transitions: the visible part of the box, as fractions of its width [left, right).
  double visible_left = 0, visible_right = 1;
};

struct BoxSize {
  double width = 0, height = 0;
};

// What a layer may use while it prepares itself.
struct LayerContext {
  const tmpl::Template* tmpl = nullptr;
  assets::AssetCache* assets = nullptr;
  const FontRegistry* fonts = nullptr;
  int frame_width = 0, frame_height = 0;
  double max_scale = 1;  // largest scale the clip reaches (for sharp caches)
  bool color_animated = false, size_animated = false;
};

class Layer {
 public:
  virtual ~Layer() = default;
  // The clip's box at `state` (anchor, scale and rotation refer to it).
  virtual BoxSize Box(const ClipState& state) const = 0;
  // Draws the clip with its box's top-left at the origin of `cr`'s current transform and
  // `alpha` applied. Returns false when the layer cannot apply alpha itself in one pass (the
  // compositor then draws it into a group and fades the group); such layers are called with
  // alpha 1 only.
  virtual bool Draw(cairo_t* cr, const ClipState& state, double alpha) const = 0;
  // True when Draw honours alpha for any value (single paint operation).
  virtual bool DrawsWithAlpha() const { return true; }
  // True when Draw at alpha 1 paints every pixel of the box fully opaque, so a clip placed
  // exactly over the frame hides everything below it.
  virtual bool CoversBoxOpaquely() const { return false; }
  // For a layer that CoversBoxOpaquely with its box drawn unscaled from one bitmap of the
  // box's size: that bitmap (owned by the layer). Placed exactly over the frame, the layer is
  // that bitmap copied, so the compositor can hand it to the next layer as a backdrop instead.
  virtual const assets::Bitmap* CoveringPixels() const { return nullptr; }
  // Draws as Draw does, but over `backdrop` (a frame-sized bitmap standing in for the target's
  // current pixels): every pixel of the target is written. Returns false, drawing nothing,
  // when the layer cannot; the compositor then copies the backdrop and calls Draw.
  virtual bool DrawOverBackdrop(cairo_t* /*cr*/, const ClipState& /*state*/, double /*alpha*/,
                                const assets::Bitmap& /*backdrop*/) const {
    return false;
  }
};

// Builds the layer of a visual clip. Errors carry the clip's path (asset_unavailable,
// limit_exceeded).
Result<std::unique_ptr<Layer>> CreateLayer(const tmpl::Clip& clip, const LayerContext& context);

// Layer factories, one per clip type (each in its own file).
Result<std::unique_ptr<Layer>> CreateBackgroundLayer(const tmpl::Clip& clip, const LayerContext& context);
Result<std::unique_ptr<Layer>> CreateImageLayer(const tmpl::Clip& clip, const LayerContext& context);
Result<std::unique_ptr<Layer>> CreateTextLayer(const tmpl::Clip& clip, const LayerContext& context);
Result<std::unique_ptr<Layer>> CreateShapeLayer(const tmpl::Clip& clip, const LayerContext& context);

}  // namespace vg::render

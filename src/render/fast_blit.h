// A fast path for the commonest per-frame operation: painting a cached bitmap with an
// axis-aligned scale and translation (no rotation) and an opacity onto the frame, as Ken Burns
// photos, zooms, slides and fades do, and moving text and shapes. Bilinear sampling, separable:
// each destination row is interpolated vertically from two source rows (libyuv's SIMD row
// function), then filtered horizontally and blended OVER the destination (premultiplied) in one
// AVX2 pass over precomputed columns and weights, so no intermediate row is written between the
// two. Matches Cairo's CAIRO_FILTER_BILINEAR + CAIRO_EXTEND_NONE within a level or two: outside the
// bitmap is transparent, so its edges fade out over one source pixel as Cairo's do.
// Thread-safe (no shared state); the AVX2 and portable versions give identical bytes.
#pragma once

#include <cairo.h>

#include "assets/bitmap.h"

namespace vg::render {

// Paints `bitmap` so that its pixel (0, 0) lands at user-space (0, 0) of `cr` scaled by
// 1/pixel_scale and shifted by (-origin_x, -origin_y), with `alpha`: what
//   cairo_scale(1/pixel_scale); set_source_surface(bitmap, -origin_x, -origin_y);
//   filter BILINEAR; paint_with_alpha(alpha)
// draws. The bitmap is only read. Unscaled whole-pixel placements (text and shapes at rest)
// are a plain per-pixel blend. Returns false (drawing nothing) when the situation is not the
// fast path's: an operator other than OVER (the compositor's SOURCE copy of a covering clip is
// pixman's memcpy), a rotation or skew, a mirrored scale, a non-rectangular or fractional clip,
// or a group or target that is not a plain ARGB32 image. The caller then draws with Cairo.
//
// With a `backdrop` (a bitmap the size of the target), the target's current pixels are ignored
// and the layer is painted over the backdrop instead, every pixel of the target being written
// (the backdrop's where the layer does not reach): the compositor's copy of a covering
// background and the blend of the layer above it in one pass over the frame.
bool TryFastScaledPaint(cairo_t* cr, const assets::Bitmap& bitmap, double pixel_scale,
                        double origin_x, double origin_y, double alpha,
                        const assets::Bitmap* backdrop = nullptr);

}  // namespace vg::render

// A fast path for the commonest per-frame operation: painting a cached bitmap with an
// axis-aligned scale and translation (no rotation) and an opacity onto the frame, as Ken Burns
// photos, zooms, slides and fades do. Bilinear sampling with libyuv's SIMD row functions
// (separable: vertical interpolation, then horizontal filtering), then a premultiplied OVER
// blend. Matches Cairo's CAIRO_FILTER_BILINEAR + CAIRO_EXTEND_NONE within a level or two.
// Thread-safe (no shared state).
#pragma once

#include <cairo.h>

#include "assets/bitmap.h"

namespace vg::render {

// A bitmap with a transparent border of one pixel on every side, so bilinear sampling near its
// edges reads defined pixels and fades out as Cairo's EXTEND_NONE does.
assets::Bitmap PadForSampling(const assets::Bitmap& bitmap);

// Paints `padded` (from PadForSampling) so that its inner pixel (0, 0) lands at user-space
// (0, 0) of `cr` scaled by 1/pixel_scale and shifted by (-origin_x, -origin_y), with `alpha`.
// Returns false (drawing nothing) when the situation is not the fast path's: a rotation or
// skew, a mirrored scale, a non-rectangular clip, or a group/target that is not a plain
// ARGB32 image. The caller then draws with Cairo.
bool TryFastScaledPaint(cairo_t* cr, const assets::Bitmap& padded, double pixel_scale,
                        double origin_x, double origin_y, double alpha);

}  // namespace vg::render

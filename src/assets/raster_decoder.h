// Raster decoding: PNG, JPEG, GIF (first frame) and WebP bytes to a premultiplied Bitmap at
// natural size, through libavcodec's image decoders and libswscale, with JPEG EXIF
// orientation applied. Callers sniff and size-check first (image_sniff.h); this never trusts
// that and checks the decoder's output size against the limit again. Thread-safe (each call
// has its own decoder).
#pragma once

#include <cstdint>
#include <string_view>

#include "assets/bitmap.h"
#include "assets/image_sniff.h"
#include "base/result.h"

namespace vg::assets {

// Decodes `bytes` (a complete file of header.format, not SVG). Errors: kAssetUnavailable
// "not a supported image (PNG decode failed: …)"; kLimitExceeded when the decoded frame is
// larger than max_pixels.
Result<Bitmap> DecodeRaster(std::string_view bytes, const ImageHeader& header, int64_t max_pixels);

// Straight (non-premultiplied) native-endian ARGB words in `bitmap`, converted in place to
// premultiplied: each colour channel becomes round(c × a / 255).
void PremultiplyInPlace(Bitmap* bitmap);

// The bitmap turned upright for EXIF `orientation` (1..8; 5..8 swap width and height).
Bitmap ApplyOrientation(const Bitmap& bitmap, int orientation);

}  // namespace vg::assets

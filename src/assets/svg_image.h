// SVG images through librsvg: parsed once, with no base location (so the document cannot pull
// in files or URLs of its own), drawn at natural size once for bitmap() and afresh at any
// size for RasterizeVector(), each size checked against the pixel limit first.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "assets/asset_cache.h"
#include "base/result.h"

namespace vg::assets {

// Parses `bytes` as SVG and rasterises it at natural size (width/height, else the viewBox,
// else 300 x 150). Errors: kAssetUnavailable "not a supported image (SVG parse failed: …)";
// kLimitExceeded when the natural size exceeds max_pixels or 32767 on a side.
// The returned Image is thread-safe (rendering is serialised inside).
Result<std::unique_ptr<Image>> LoadSvg(std::string_view bytes, int64_t max_pixels);

}  // namespace vg::assets

// Fitting an image into a box as CSS object-fit does (cover, contain, fill), with rounded
// corners, done once into a bitmap. Shared by the image and background layers.
#pragma once

#include <memory>

#include "assets/asset_cache.h"
#include "render/paint.h"

namespace vg::render {

// The image drawn into a box of box_width × box_height CSS px at pixel_scale, centred,
// cropped (cover) or letterboxed (contain), corners rounded by radius CSS px. When that is the
// decoded image itself (a raster image already at the box's pixel size, no radius), the result
// shares the image's pixels instead of copying them.
Result<std::shared_ptr<const assets::Bitmap>> FitImage(std::shared_ptr<const assets::Image> image,
                                                       double box_width, double box_height,
                                                       tmpl::Fit fit, double radius,
                                                       double pixel_scale);

// The pixel scale to cache a fitted image at: `wanted` (CachePixelScale), but for raster
// images no more than the image's own resolution in the box, and at least 1. A 1920 px photo
// in a 1920 px box gains no detail from a larger cache; it would only be resampled twice (up
// into the cache, down again on every frame), blurrier and slower.
double ImageCachePixelScale(const assets::Image& image, double box_width, double box_height,
                            tmpl::Fit fit, double wanted);

}  // namespace vg::render

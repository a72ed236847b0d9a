// Fitting an image into a box as CSS object-fit does (cover, contain, fill), with rounded
// corners, drawn once into a bitmap. Shared by the image and background layers.
#pragma once

#include "assets/asset_cache.h"
#include "render/paint.h"

namespace vg::render {

// The image drawn into a box of box_width × box_height CSS px at pixel_scale, centred,
// cropped (cover) or letterboxed (contain), corners rounded by radius CSS px.
Result<assets::Bitmap> FitImage(const assets::Image& image, double box_width, double box_height,
                                tmpl::Fit fit, double radius, double pixel_scale);

}  // namespace vg::render

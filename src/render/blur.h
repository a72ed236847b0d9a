// Gaussian blur of premultiplied bitmaps and of 8-bit masks: text shadows and the `blur`
// animation of any clip. A separable approximation by three "extended box" passes per axis
// (Gwosdek et al., 2011: a box whose two end taps have a fractional weight, so any sigma is
// met exactly, not rounded to an odd box width). The cost per pixel does not depend on sigma.
// Pixels outside the bitmap count as transparent; what spreads past the edges is lost.
// Deterministic: the same input and sigma give identical bytes on the same build and CPU type.
#pragma once

#include <cstddef>  // before bitmap.h, which uses size_t without including it
#include <cstdint>

#include "assets/bitmap.h"

namespace vg::render {

// Blurs `bitmap` in place with a Gaussian of standard deviation `sigma` pixels (CSS blur
// radius / 2). sigma <= 0 (or NaN) leaves the bitmap unchanged. Thread-safe for distinct
// bitmaps; allocates a scratch buffer of 2 bytes per channel per pixel for the call.
void GaussianBlur(assets::Bitmap& bitmap, double sigma);

// The same blur on a single-channel 8-bit mask (a Cairo A8 surface, or any alpha plane),
// `stride` bytes between rows. Precondition: stride >= width, data holds stride × height.
void GaussianBlurMask(uint8_t* data, int width, int height, int stride, double sigma);

// How many pixels beyond a shape the blur of that sigma reaches (0 when sigma <= 0): pad a
// bitmap by this much on each side and nothing of the blurred shape is cut off.
int GaussianBlurReach(double sigma);

}  // namespace vg::render

// Text clips drawn once into a premultiplied bitmap: Pango lays the text out (shaping,
// bidi, fallback fonts, wrapping, ellipsis) in CSS pixels, Cairo draws background box,
// shadow, stroke and fill. The renderer rasterises each text clip once and re-uses the
// bitmap while only its transform or opacity animates (ARCHITECTURE.md, "static work once").
//
// Layout follows CSS, so a template looks as a web designer expects:
//  - font sizes are absolute pixels; hinting is off and glyphs are positioned on subpixels,
//    so the layout in CSS px is the same at every pixel_scale;
//  - the line box is the font's ascent + descent (line-height: normal), times lineHeight when
//    set (a multiple of that line box, as TEMPLATE-FORMAT.md's geometry section says), the
//    extra space split above and below the line; `align` places each line in the box by its
//    physical side (left stays left in a right-to-left paragraph, as CSS text-align: left);
//    a paragraph's direction comes from its first strong character;
//  - letterSpacing goes between letters (Pango), not after the last one as in CSS, so centred
//    text stays centred;
//  - maxWidth wraps at word boundaries, breaking inside a word only when it does not fit
//    alone; maxLines keeps that many lines (across paragraphs) and ends the last with "…"
//    (CSS line-clamp);
//  - autoFit shrinks the font size (binary search to 0.5 px, never below 8 px, never above
//    fontSize) until no word has to be broken, the text fits maxLines without an ellipsis
//    and its height fits maxHeight (each when set);
//  - stroke is CSS -webkit-text-stroke with paint-order: stroke (width centred on the glyph
//    outline, drawn under the fill, round joins); shadow is CSS text-shadow of the stroked
//    text (Gaussian σ = blur / 2); background is a rounded rectangle around the text box
//    grown by padding (the CSS border box).
#pragma once

#include <cstddef>  // before bitmap.h, which uses size_t without including it

#include "assets/bitmap.h"
#include "base/result.h"
#include "render/font_registry.h"
#include "tmpl/template.h"

namespace vg::render {

// A clip's text drawn once: background box, shadow, stroke and fill, premultiplied.
struct TextRaster {
  assets::Bitmap bitmap;
  // The clip's box in bitmap pixel coordinates: the box that `anchor`, x/y, scale and rotation
  // refer to. Width: maxWidth when set, else the widest line; height: the lines' boxes; plus
  // the background padding on each side when a background is set (CSS border box). The bitmap
  // extends beyond it as far as shadow and stroke reach. box_x and box_y are whole pixels.
  double box_x = 0, box_y = 0, box_width = 0, box_height = 0;

  // What the layout came to, for callers and tests.
  double font_size = 0;        // px used: style.font_size, or less after autoFit
  int line_count = 0;          // lines laid out (after maxLines)
  bool ellipsized = false;     // maxLines cut the text and "…" ends the last line
  bool right_to_left = false;  // the first paragraph's resolved direction
};

// Lays out and draws a text clip with `color` as the fill colour (it may be animated, so it
// is a parameter) at `pixel_scale` device pixels per CSS px (1 normally; > 1 when the clip is
// scaled up, so it stays sharp). Thread-safe: called concurrently from render threads, each
// call borrowing its own font map from `fonts`. Deterministic: the same arguments and fonts
// give identical bytes.
// Errors: kInvalidArgument for text that is not UTF-8, a font size or pixel_scale that is not
// a positive number; kLimitExceeded when the bitmap would exceed 16384 px a side or 64 Mpx;
// kRenderFailed when Cairo fails.
Result<TextRaster> RasterizeText(const FontRegistry& fonts, const tmpl::TextClip& clip,
                                 const tmpl::Color& color, double pixel_scale);

}  // namespace vg::render

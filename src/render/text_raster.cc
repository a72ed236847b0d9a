// RasterizeText: a Pango layout in CSS px (identity context matrix, so the layout does not
// depend on pixel_scale), lines placed by our own alignment, then drawn with Cairo through a
// device transform of translate(box origin) × scale(pixel_scale).
#include "render/text_raster.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-font.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/c_handle.h"
#include "obs/log.h"
#include "render/blur.h"

namespace vg::render {
namespace {

using ContextHandle = CHandle<PangoContext, g_object_unref>;
using LayoutHandle = CHandle<PangoLayout, g_object_unref>;
using FontHandle = CHandle<PangoFont, g_object_unref>;
using FontDescriptionHandle = CHandle<PangoFontDescription, pango_font_description_free>;
using FontOptionsHandle = CHandle<cairo_font_options_t, cairo_font_options_destroy>;
using AttrListHandle = CHandle<PangoAttrList, pango_attr_list_unref>;
using IterHandle = CHandle<PangoLayoutIter, pango_layout_iter_free>;
using SurfaceHandle = CHandle<cairo_surface_t, cairo_surface_destroy>;
using CairoHandle = CHandle<cairo_t, cairo_destroy>;

constexpr const char* kDefaultFamily = "Noto Sans";
// Fixed, so font fallback does not depend on the process's locale.
constexpr const char* kLanguage = "en";
constexpr double kMinAutoFitSize = 8;      // px
constexpr double kAutoFitPrecision = 0.5;  // px
constexpr int kMaxBitmapSide = 16384;
constexpr int64_t kMaxBitmapPixels = 64LL << 20;

double FromPango(int units) { return static_cast<double>(units) / PANGO_SCALE; }
int ToPango(double px) { return static_cast<int>(std::lround(px * PANGO_SCALE)); }

struct Rect {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return !(x1 > x0 && y1 > y0); }
  Rect Grown(double by) const { return {x0 - by, y0 - by, x1 + by, y1 + by}; }
  Rect Moved(double dx, double dy) const { return {x0 + dx, y0 + dy, x1 + dx, y1 + dy}; }
  void Unite(const Rect& other) {
    if (other.empty()) return;
    if (empty()) {
      *this = other;
      return;
    }
    x0 = std::min(x0, other.x0);
    y0 = std::min(y0, other.y0);
    x1 = std::max(x1, other.x1);
    y1 = std::max(y1, other.y1);
  }
};

// One laid-out line placed in the content box (CSS px, content box top-left at 0,0).
struct PlacedLine {
  PangoLayoutLine* line = nullptr;  // owned by one of Paragraphs::layouts
  double origin_x = 0;              // where the line's origin goes (pango_cairo_show_layout_line)
  double baseline_y = 0;
  Rect ink;
};

struct Paragraphs {
  std::vector<LayoutHandle> layouts;  // the text, and the ellipsized last line when cut
  double width = 0, height = 0;       // the content box
  std::vector<PlacedLine> lines;
  bool ellipsized = false;
};

ContextHandle MakeContext(PangoFontMap* font_map, PangoDirection base_direction) {
  ContextHandle context(pango_font_map_create_context(font_map));
  FontOptionsHandle options(cairo_font_options_create());
  cairo_font_options_set_antialias(options.get(), CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(options.get(), CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options.get(), CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options(context.get(), options.get());
  pango_context_set_round_glyph_positions(context.get(), FALSE);
  pango_context_set_language(context.get(), pango_language_from_string(kLanguage));
  pango_context_set_base_dir(context.get(), base_direction);
  return context;
}

// A layout of `text` in `style` at `font_size` px, wrapped at `width` px when set. Lines are
// aligned by PlaceLines; Pango only wraps.
LayoutHandle MakeLayout(PangoContext* context, const tmpl::TextStyle& style, std::string_view text,
                        double font_size, std::optional<double> width) {
  LayoutHandle layout(pango_layout_new(context));
  PangoLayout* l = layout.get();
  pango_layout_set_text(l, text.data(), static_cast<int>(text.size()));

  FontDescriptionHandle description(pango_font_description_new());
  pango_font_description_set_family(
      description.get(), style.font_family.empty() ? kDefaultFamily : style.font_family.c_str());
  pango_font_description_set_weight(
      description.get(), static_cast<PangoWeight>(std::clamp(style.font_weight, 100, 1000)));
  pango_font_description_set_style(description.get(),
                                   style.italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
  pango_font_description_set_absolute_size(description.get(), font_size * PANGO_SCALE);
  pango_layout_set_font_description(l, description.get());

  AttrListHandle attributes(pango_attr_list_new());
  if (style.letter_spacing != 0) {
    pango_attr_list_insert(attributes.get(),
                           pango_attr_letter_spacing_new(ToPango(style.letter_spacing)));
  }
  if (style.line_height) {
    pango_attr_list_insert(attributes.get(), pango_attr_line_height_new(*style.line_height));
  }
  pango_layout_set_attributes(l, attributes.get());
  pango_layout_set_alignment(l, PANGO_ALIGN_LEFT);
  pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
  if (width) pango_layout_set_width(l, std::max(1, ToPango(*width)));
  return layout;
}

// True when the layout of the whole text fits the style's limits: no word broken (it is
// wider than maxWidth), no more than maxLines lines, not taller than maxHeight.
bool Fits(PangoLayout* layout, const tmpl::TextStyle& style) {
  if (style.max_lines && pango_layout_get_line_count(layout) > std::max(1, *style.max_lines)) {
    return false;
  }
  PangoRectangle logical;
  pango_layout_get_extents(layout, nullptr, &logical);
  if (style.max_height && FromPango(logical.height) > *style.max_height) return false;
  if (!style.max_width) return true;
  int attribute_count = 0;
  const PangoLogAttr* attributes = pango_layout_get_log_attrs_readonly(layout, &attribute_count);
  const char* text = pango_layout_get_text(layout);
  IterHandle iter(pango_layout_get_iter(layout));
  do {
    PangoLayoutLine* line = pango_layout_iter_get_line_readonly(iter.get());
    PangoRectangle line_logical;
    pango_layout_line_get_extents(line, nullptr, &line_logical);
    if (FromPango(line_logical.width) > *style.max_width + 0.01) return false;  // one glyph
    if (!pango_layout_line_is_paragraph_start(line)) {
      const glong offset = g_utf8_pointer_to_offset(text, text + line->start_index);
      if (offset < attribute_count && !attributes[offset].is_line_break) return false;
    }
  } while (pango_layout_iter_next_line(iter.get()));
  return true;
}

// The font size autoFit settles on: style.font_size when it fits, else the largest size
// (to kAutoFitPrecision) that does, never below kMinAutoFitSize.
double AutoFitSize(PangoContext* context, const tmpl::TextClip& clip) {
  const tmpl::TextStyle& style = clip.style;
  auto fits = [&](double size) {
    return Fits(MakeLayout(context, style, clip.text, size, style.max_width).get(), style);
  };
  if (!style.auto_fit || style.font_size <= kMinAutoFitSize || fits(style.font_size)) {
    return style.font_size;
  }
  double low = kMinAutoFitSize, high = style.font_size;
  if (!fits(low)) return low;
  while (high - low > kAutoFitPrecision) {
    const double middle = (low + high) / 2;
    (fits(middle) ? low : high) = middle;
  }
  return low;
}

// Lays out the clip's text at `font_size` and places each line in the content box by
// `align`, on its physical side. With maxLines, lines past it are dropped and the last kept
// line is laid out again on its own, with the rest of its paragraph, ellipsized at the end
// (CSS line-clamp): Pango's own maxLines counts lines per paragraph, not in the whole text.
Paragraphs LayOut(PangoFontMap* font_map, PangoContext* context, const tmpl::TextClip& clip,
                  double font_size) {
  const tmpl::TextStyle& style = clip.style;
  Paragraphs result;
  result.layouts.push_back(MakeLayout(context, style, clip.text, font_size, style.max_width));
  PangoLayout* main = result.layouts.front().get();
  PangoRectangle main_logical;
  pango_layout_get_extents(main, nullptr, &main_logical);
  const int max_lines =
      style.max_lines ? std::max(1, *style.max_lines) : std::numeric_limits<int>::max();

  IterHandle iter(pango_layout_get_iter(main));
  int bottom = main_logical.y + main_logical.height;
  int index = 0;
  do {
    PlacedLine placed;
    placed.line = pango_layout_iter_get_line_readonly(iter.get());
    placed.baseline_y = FromPango(pango_layout_iter_get_baseline(iter.get()) - main_logical.y);
    if (index + 1 == max_lines && pango_layout_iter_next_line(iter.get())) {
      // More lines follow the last one kept: the kept line shows the rest of its paragraph,
      // ellipsized, or its own text and "…" when its paragraph ends there.
      result.ellipsized = true;
      int y0 = 0;
      pango_layout_iter_get_line_yrange(iter.get(), &y0, nullptr);
      bottom = y0;  // the top of the first dropped line
      const std::string_view text(clip.text);
      const std::string_view rest = text.substr(static_cast<size_t>(placed.line->start_index));
      gint paragraph_end = 0, next_paragraph = 0;
      pango_find_paragraph_boundary(rest.data(), static_cast<gint>(rest.size()), &paragraph_end,
                                    &next_paragraph);
      std::string tail(rest.substr(0, static_cast<size_t>(paragraph_end)));
      if (placed.line->length >= paragraph_end) tail += "\u2026";  // its paragraph ends here
      // Without maxWidth nothing wraps, so the tail is one paragraph's last line plus "…",
      // shown whole (the box widens to it, as CSS would).
      ContextHandle tail_context =
          MakeContext(font_map, pango_layout_line_get_resolved_direction(placed.line));
      LayoutHandle tail_layout =
          MakeLayout(tail_context.get(), style, tail, font_size, style.max_width);
      pango_layout_set_auto_dir(tail_layout.get(), FALSE);
      pango_layout_set_ellipsize(tail_layout.get(), PANGO_ELLIPSIZE_END);
      pango_layout_set_height(tail_layout.get(), -1);
      placed.line = pango_layout_get_line_readonly(tail_layout.get(), 0);
      result.layouts.push_back(std::move(tail_layout));
      result.lines.push_back(placed);
      break;
    }
    result.lines.push_back(placed);
    ++index;
  } while (index < max_lines && pango_layout_iter_next_line(iter.get()));

  double widest = 0;
  for (const PlacedLine& placed : result.lines) {
    PangoRectangle logical;
    pango_layout_line_get_extents(placed.line, nullptr, &logical);
    widest = std::max(widest, FromPango(logical.width));
  }
  result.width = style.max_width ? *style.max_width : widest;
  result.height = FromPango(bottom - main_logical.y);
  for (PlacedLine& placed : result.lines) {
    PangoRectangle ink, logical;
    pango_layout_line_get_extents(placed.line, &ink, &logical);
    const double line_width = FromPango(logical.width);
    double left = 0;
    switch (style.align) {
      case tmpl::TextAlign::kLeft:
        left = 0;
        break;
      case tmpl::TextAlign::kCenter:
        left = (result.width - line_width) / 2;
        break;
      case tmpl::TextAlign::kRight:
        left = result.width - line_width;
        break;
    }
    placed.origin_x = left - FromPango(logical.x);
    if (ink.width > 0 && ink.height > 0) {
      placed.ink = Rect{placed.origin_x + FromPango(ink.x), placed.baseline_y + FromPango(ink.y),
                        placed.origin_x + FromPango(ink.x + ink.width),
                        placed.baseline_y + FromPango(ink.y + ink.height)};
    }
  }
  return result;
}

bool IsColorFont(PangoFont* font) {
  if (!PANGO_IS_FC_FONT(font)) return false;
  FcPattern* pattern = pango_fc_font_get_pattern(PANGO_FC_FONT(font));
  FcBool color = FcFalse;
  return pattern && FcPatternGetBool(pattern, FC_COLOR, 0, &color) == FcResultMatch && color;
}

// Adds the outlines of a line's glyphs to the path, its origin at the current point. Colour
// glyphs (emoji) are left out: they have no outline, and Cairo would trace their bitmaps
// pixel by pixel, slowly, into a jagged one (CSS does not stroke emoji either).
void AddLinePath(cairo_t* cr, PangoLayoutLine* line) {
  double x = 0, y = 0;
  cairo_get_current_point(cr, &x, &y);
  for (GSList* run = line->runs; run != nullptr; run = run->next) {
    auto* item = static_cast<PangoGlyphItem*>(run->data);
    PangoFont* font = item->item->analysis.font;
    if (!IsColorFont(font)) {
      cairo_move_to(cr, x + FromPango(item->start_x_offset), y - FromPango(item->y_offset));
      pango_cairo_glyph_string_path(cr, font, item->glyphs);
    }
    x += FromPango(pango_glyph_string_get_width(item->glyphs) + item->start_x_offset +
                   item->end_x_offset);
  }
}

enum class DrawMode { kPath, kGlyphs };

// Draws (kGlyphs) or adds to the path (kPath) every line, the content box at (dx, dy).
void DrawLines(cairo_t* cr, const Paragraphs& paragraphs, double dx, double dy, DrawMode mode) {
  for (const PlacedLine& placed : paragraphs.lines) {
    cairo_move_to(cr, dx + placed.origin_x, dy + placed.baseline_y);
    if (mode == DrawMode::kPath) {
      AddLinePath(cr, placed.line);
    } else {
      pango_cairo_show_layout_line(cr, placed.line);
    }
  }
}

void SetColor(cairo_t* cr, const tmpl::Color& c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

void RoundedRectangle(cairo_t* cr, double x, double y, double width, double height, double radius) {
  radius = std::clamp(radius, 0.0, std::min(width, height) / 2);
  if (radius <= 0) {
    cairo_rectangle(cr, x, y, width, height);
    return;
  }
  constexpr double kQuarter = std::numbers::pi / 2;
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + width - radius, y + radius, radius, -kQuarter, 0);
  cairo_arc(cr, x + width - radius, y + height - radius, radius, 0, kQuarter);
  cairo_arc(cr, x + radius, y + height - radius, radius, kQuarter, 2 * kQuarter);
  cairo_arc(cr, x + radius, y + radius, radius, 2 * kQuarter, 3 * kQuarter);
  cairo_close_path(cr);
}

// The text's silhouette (stroke when drawn, and fill, opaque) for its shadow, in `cr`'s user
// space.
void DrawSilhouette(cairo_t* cr, const Paragraphs& paragraphs, const tmpl::TextStyle& style,
                    bool with_stroke, double dx, double dy) {
  cairo_set_source_rgba(cr, 0, 0, 0, 1);
  if (with_stroke) {
    DrawLines(cr, paragraphs, dx, dy, DrawMode::kPath);
    cairo_set_line_width(cr, style.stroke->width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_stroke(cr);
  }
  DrawLines(cr, paragraphs, dx, dy, DrawMode::kGlyphs);
}

// Warns once per call when fontconfig had to substitute the requested family (a typo, or a
// font that is not installed): the text still renders, in the fallback family.
void WarnOnMissingFamily(PangoFontMap* font_map, PangoContext* context, PangoLayout* layout) {
  const PangoFontDescription* requested = pango_layout_get_font_description(layout);
  FontHandle font(pango_font_map_load_font(font_map, context, requested));
  if (!font) return;
  FontDescriptionHandle used(pango_font_describe(font.get()));
  const char* want = pango_font_description_get_family(requested);
  const char* got = pango_font_description_get_family(used.get());
  if (!want || !got) return;
  // A family list ("Brand Sans, Noto Sans") is fine when its first entry was found.
  std::string first(want);
  first = first.substr(0, first.find(','));
  if (g_ascii_strcasecmp(first.c_str(), got) != 0) {
    obs::Log(obs::Level::kWarn, "text.font_substituted", {{"family", want}, {"used", got}});
  }
}

}  // namespace

Result<TextRaster> RasterizeText(const FontRegistry& fonts, const tmpl::TextClip& clip,
                                 const tmpl::Color& color, double pixel_scale) {
  const tmpl::TextStyle& style = clip.style;
  if (!(pixel_scale > 0) || !std::isfinite(pixel_scale)) {
    return Error(ErrorCode::kInvalidArgument, "text: pixel scale must be a positive number");
  }
  if (!(style.font_size > 0) || !std::isfinite(style.font_size)) {
    return Error(ErrorCode::kInvalidArgument, "text: font size must be a positive number");
  }
  for (const std::optional<double>& length : {style.max_width, style.max_height, style.line_height,
                                              std::optional(style.letter_spacing)}) {
    if (length && !std::isfinite(*length)) {
      return Error(ErrorCode::kInvalidArgument, "text: a style length is not a finite number");
    }
  }
  if (!g_utf8_validate(clip.text.data(), static_cast<gssize>(clip.text.size()), nullptr)) {
    return Error(ErrorCode::kInvalidArgument, "text: the text is not valid UTF-8");
  }

  FontRegistry::Lease lease = fonts.AcquireFontMap();
  ContextHandle context = MakeContext(lease.font_map(), PANGO_DIRECTION_WEAK_LTR);

  TextRaster raster;
  raster.font_size = AutoFitSize(context.get(), clip);
  Paragraphs paragraphs = LayOut(lease.font_map(), context.get(), clip, raster.font_size);
  WarnOnMissingFamily(lease.font_map(), context.get(), paragraphs.layouts.front().get());
  raster.ellipsized = paragraphs.ellipsized;
  raster.line_count = static_cast<int>(paragraphs.lines.size());
  raster.right_to_left =
      !paragraphs.lines.empty() &&
      pango_layout_line_get_resolved_direction(paragraphs.lines[0].line) == PANGO_DIRECTION_RTL;

  // Geometry in CSS px, the box's top-left at (0, 0) and the content box inside the padding.
  const double padding = style.background ? std::max(0.0, style.background->padding) : 0.0;
  const Rect box{0, 0, paragraphs.width + 2 * padding, paragraphs.height + 2 * padding};
  Rect ink;
  for (const PlacedLine& placed : paragraphs.lines) ink.Unite(placed.ink.Moved(padding, padding));
  const bool has_stroke = style.stroke && style.stroke->width > 0 && style.stroke->color.a > 0;
  if (has_stroke) ink = ink.Grown(style.stroke->width / 2);
  const bool has_shadow = style.shadow && style.shadow->color.a > 0 && !ink.empty();
  const double shadow_sigma = has_shadow ? std::max(0.0, style.shadow->blur) / 2 * pixel_scale : 0;
  Rect extent = box;
  extent.Unite(ink);
  if (has_shadow) {
    const double reach = GaussianBlurReach(shadow_sigma) / pixel_scale;
    extent.Unite(ink.Moved(style.shadow->x, style.shadow->y).Grown(reach));
  }

  // Device pixels: one spare pixel around for antialiasing; the box origin on a whole pixel.
  const double left = std::floor(extent.x0 * pixel_scale) - 1;
  const double top = std::floor(extent.y0 * pixel_scale) - 1;
  const double right = std::ceil(extent.x1 * pixel_scale) + 1;
  const double bottom = std::ceil(extent.y1 * pixel_scale) + 1;
  if (right - left > kMaxBitmapSide || bottom - top > kMaxBitmapSide ||
      (right - left) * (bottom - top) > static_cast<double>(kMaxBitmapPixels)) {
    return Error(ErrorCode::kLimitExceeded,
                 "text: the text is too large to draw (more than 16384 px a side or 64 Mpx)");
  }
  const int width = static_cast<int>(right - left);
  const int height = static_cast<int>(bottom - top);
  raster.box_x = -left;
  raster.box_y = -top;
  raster.box_width = box.x1 * pixel_scale;
  raster.box_height = box.y1 * pixel_scale;
  raster.bitmap = assets::Bitmap::Allocate(width, height);

  SurfaceHandle surface(cairo_image_surface_create_for_data(
      raster.bitmap.pixels.data(), CAIRO_FORMAT_ARGB32, width, height, raster.bitmap.stride));
  CairoHandle cr(cairo_create(surface.get()));
  cairo_translate(cr.get(), raster.box_x, raster.box_y);
  cairo_scale(cr.get(), pixel_scale, pixel_scale);

  if (style.background && style.background->color.a > 0) {
    SetColor(cr.get(), style.background->color);
    RoundedRectangle(cr.get(), 0, 0, box.x1, box.y1, style.background->radius);
    cairo_fill(cr.get());
  }

  if (has_shadow) {
    SurfaceHandle mask(cairo_image_surface_create(CAIRO_FORMAT_A8, width, height));
    {
      CairoHandle mask_cr(cairo_create(mask.get()));
      cairo_translate(mask_cr.get(), raster.box_x, raster.box_y);
      cairo_scale(mask_cr.get(), pixel_scale, pixel_scale);
      DrawSilhouette(mask_cr.get(), paragraphs, style, has_stroke, padding + style.shadow->x,
                     padding + style.shadow->y);
      if (cairo_status(mask_cr.get()) != CAIRO_STATUS_SUCCESS) {
        return Error(ErrorCode::kRenderFailed,
                     std::string("text: drawing the shadow failed: ") +
                         cairo_status_to_string(cairo_status(mask_cr.get())));
      }
    }
    cairo_surface_flush(mask.get());
    GaussianBlurMask(cairo_image_surface_get_data(mask.get()), width, height,
                     cairo_image_surface_get_stride(mask.get()), shadow_sigma);
    cairo_surface_mark_dirty(mask.get());
    cairo_save(cr.get());
    cairo_identity_matrix(cr.get());
    SetColor(cr.get(), style.shadow->color);
    cairo_mask_surface(cr.get(), mask.get(), 0, 0);
    cairo_restore(cr.get());
  }

  if (has_stroke) {
    DrawLines(cr.get(), paragraphs, padding, padding, DrawMode::kPath);
    SetColor(cr.get(), style.stroke->color);
    cairo_set_line_width(cr.get(), style.stroke->width);
    cairo_set_line_join(cr.get(), CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr.get(), CAIRO_LINE_CAP_ROUND);
    cairo_stroke(cr.get());
  }
  if (color.a > 0) {
    SetColor(cr.get(), color);
    DrawLines(cr.get(), paragraphs, padding, padding, DrawMode::kGlyphs);
  }

  cairo_surface_flush(surface.get());
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    return Error(ErrorCode::kRenderFailed, std::string("text: drawing failed: ") +
                                               cairo_status_to_string(cairo_status(cr.get())));
  }
  return raster;
}

}  // namespace vg::render

// FontRegistry over a private FcConfig: the system configuration files, plus rules written
// here (rasterisation options, and a scan-time rule per template font that replaces the
// family names of exactly that file), plus the template files as application fonts.
#include "render/font_registry.h"

#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "base/c_handle.h"
#include "obs/log.h"

namespace vg::render {
namespace {

using ConfigHandle = CHandle<FcConfig, FcConfigDestroy>;
using PatternHandle = CHandle<FcPattern, FcPatternDestroy>;

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Rules appended after the system's: glyphs are drawn unhinted with grey antialiasing so
// text scales smoothly and renders the same on every machine, whatever its fontconfig says.
// Applied to the requested pattern and again to the matched font. Outline fonts never use
// embedded bitmap strikes (they would look different at a few sizes). Colour fonts (Noto
// Color Emoji: bitmap strikes only) keep their bitmaps: with antialias on, cairo-ft asks FreeType
// for outlines only and the emoji would vanish; cairo scales the colour bitmap smoothly.
constexpr const char* kRasterRules = R"(
  <match target="pattern">
    <edit name="hinting" mode="assign"><bool>false</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintnone</const></edit>
    <edit name="autohint" mode="assign"><bool>false</bool></edit>
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
    <edit name="lcdfilter" mode="assign"><const>lcdnone</const></edit>
  </match>
  <match target="font">
    <edit name="hinting" mode="assign"><bool>false</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintnone</const></edit>
    <edit name="autohint" mode="assign"><bool>false</bool></edit>
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
    <edit name="lcdfilter" mode="assign"><const>lcdnone</const></edit>
    <edit name="embeddedbitmap" mode="assign"><bool>false</bool></edit>
  </match>
  <match target="font">
    <test name="color"><bool>true</bool></test>
    <edit name="embeddedbitmap" mode="assign"><bool>true</bool></edit>
    <edit name="antialias" mode="assign"><bool>false</bool></edit>
  </match>
)";

Status UnusableFont(const FontRegistry::TemplateFont& font, std::string_view why) {
  obs::Log(obs::Level::kWarn, "font.unusable",
           {{"path", font.path}, {"family", font.family}, {"file", font.file}, {"why", why}});
  std::string message = "font \"" + font.family + "\" is not a usable font file";
  return Status(ErrorCode::kAssetUnavailable, message, {{font.path, message}});
}

}  // namespace

struct FontRegistry::Impl {
  ConfigHandle config;
  std::mutex mutex;
  std::vector<PangoFontMap*> idle;  // owned references, guarded by mutex

  ~Impl() {
    for (PangoFontMap* font_map : idle) {
      // Pango 1.50 never drops the reference pango_fc_font_map_set_config took, so without
      // this the whole configuration (~240 KB, more with template fonts) leaks per registry.
      pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(font_map), nullptr);
      g_object_unref(font_map);
    }
  }
};

FontRegistry::FontRegistry(std::unique_ptr<Impl> impl, std::vector<std::string> families)
    : impl_(std::move(impl)), template_families_(std::move(families)) {}

FontRegistry::~FontRegistry() = default;

Result<std::unique_ptr<FontRegistry>> FontRegistry::Create(const std::vector<TemplateFont>& fonts) {
  // Check every file first, so the user hears of all bad fonts at once.
  std::vector<std::string> files;
  std::vector<ErrorDetail> problems;
  for (const TemplateFont& font : fonts) {
    std::error_code error;
    std::filesystem::path file = std::filesystem::canonical(font.file, error);
    Status status;
    if (error) {
      status = UnusableFont(font, "cannot open: " + error.message());
    } else {
      int count = 0;
      PatternHandle pattern(
          FcFreeTypeQuery(reinterpret_cast<const FcChar8*>(file.c_str()), 0, nullptr, &count));
      if (!pattern || count < 1) status = UnusableFont(font, "not a font FreeType can read");
    }
    if (!status.ok()) {
      problems.insert(problems.end(), status.details().begin(), status.details().end());
    }
    files.push_back(file.string());
  }
  if (!problems.empty()) {
    std::string message =
        problems.size() == 1 ? problems.front().message
                             : std::to_string(problems.size()) + " fonts are not usable font files";
    return Status(ErrorCode::kAssetUnavailable, message, std::move(problems));
  }

  ConfigHandle config(FcInitLoadConfig());
  if (!config)
    return Error(ErrorCode::kRenderFailed, "fontconfig could not load its configuration");
  std::string rules = "<?xml version=\"1.0\"?>\n<fontconfig>\n";
  rules += kRasterRules;
  for (size_t i = 0; i < fonts.size(); ++i) {
    // At scan time, the faces of exactly this file take the template's family name, and only
    // it (the file's own names would otherwise let it stand in for another family).
    rules += "  <match target=\"scan\">\n    <test name=\"file\" compare=\"eq\"><string>" +
             XmlEscape(files[i]) +
             "</string></test>\n    <edit name=\"family\" mode=\"assign_replace\"><string>" +
             XmlEscape(fonts[i].family) + "</string></edit>\n  </match>\n";
  }
  rules += "</fontconfig>\n";
  if (!FcConfigParseAndLoadFromMemory(config.get(), reinterpret_cast<const FcChar8*>(rules.c_str()),
                                      FcTrue)) {
    return Error(ErrorCode::kRenderFailed, "fontconfig refused the font rules");
  }
  if (!FcConfigBuildFonts(config.get())) {
    return Error(ErrorCode::kRenderFailed, "fontconfig could not load the system fonts");
  }
  std::vector<std::string> families;
  for (size_t i = 0; i < fonts.size(); ++i) {
    if (!FcConfigAppFontAddFile(config.get(), reinterpret_cast<const FcChar8*>(files[i].c_str()))) {
      return UnusableFont(fonts[i], "fontconfig could not add it");
    }
    if (std::find(families.begin(), families.end(), fonts[i].family) == families.end()) {
      families.push_back(fonts[i].family);
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  return std::unique_ptr<FontRegistry>(new FontRegistry(std::move(impl), std::move(families)));
}

FontRegistry::Lease FontRegistry::AcquireFontMap() const {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->idle.empty()) {
      PangoFontMap* font_map = impl_->idle.back();
      impl_->idle.pop_back();
      return Lease(this, font_map);
    }
  }
  PangoFontMap* font_map = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
  VG_CHECK(font_map != nullptr);
  // The map takes its own reference on the configuration.
  pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(font_map), impl_->config.get());
  return Lease(this, font_map);
}

void FontRegistry::Release(PangoFontMap* font_map) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->idle.push_back(font_map);
}

FontRegistry::Lease::Lease(Lease&& other) noexcept
    : registry_(other.registry_), font_map_(std::exchange(other.font_map_, nullptr)) {}

FontRegistry::Lease::~Lease() {
  if (font_map_ != nullptr) registry_->Release(font_map_);
}

}  // namespace vg::render

// FontRegistry: the fonts one render may use. The system's fontconfig fonts plus the
// template's `fonts` entries, each file registered under the family name the template gives
// it (even when the file calls itself something else), in a fontconfig configuration private
// to this registry: nothing is added to the process-wide fontconfig state, so two renders with
// different template fonts do not see each other's. The configuration also fixes how glyphs
// are rasterised (no hinting, grey antialiasing) whatever the machine's fontconfig says.
// Pango font maps over that configuration are pooled and lent to one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

// Pango's font map type, declared here so this header does not pull in Pango's headers.
typedef struct _PangoFontMap PangoFontMap;

namespace vg::render {

// Thread-safe after Create: AcquireFontMap may be called from any number of threads.
class FontRegistry {
 public:
  struct TemplateFont {
    std::string family;  // the family name text styles use, e.g. "Brand Sans"
    std::string file;    // a local font file (TTF, OTF, TTC, WOFF): the fetched asset
    std::string path;    // JSON path of the entry, e.g. "fonts[0]", for errors
  };

  // Loads the system font configuration and registers `fonts`. A file that is missing or is
  // not a font gives kAssetUnavailable with a detail at its JSON path (the file name itself
  // goes to the log only). Several files may share a family (e.g. a regular and a bold face):
  // fontconfig then picks by weight and style.
  static Result<std::unique_ptr<FontRegistry>> Create(const std::vector<TemplateFont>& fonts);

  ~FontRegistry();
  FontRegistry(const FontRegistry&) = delete;
  FontRegistry& operator=(const FontRegistry&) = delete;

  // A Pango font map (PangoCairo, FreeType backend) over this registry's fonts, lent to the
  // calling thread until the lease is destroyed; a pooled map keeps its loaded fonts and
  // shaping caches between leases. Pango font maps are not thread-safe, hence one per lease.
  // The lease must not outlive the registry.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    PangoFontMap* font_map() const { return font_map_; }

   private:
    friend class FontRegistry;
    Lease(const FontRegistry* registry, PangoFontMap* font_map)
        : registry_(registry), font_map_(font_map) {}
    const FontRegistry* registry_;
    PangoFontMap* font_map_;
  };
  Lease AcquireFontMap() const;

  // The template's families, in the order given (duplicates kept once).
  const std::vector<std::string>& template_families() const { return template_families_; }

 private:
  struct Impl;
  FontRegistry(std::unique_ptr<Impl> impl, std::vector<std::string> families);
  void Release(PangoFontMap* font_map) const;

  std::unique_ptr<Impl> impl_;
  std::vector<std::string> template_families_;
};

}  // namespace vg::render

// TemplateLimits: the operator's limits on templates and assets (LIMIT_* in API.md, defaults
// from TEMPLATE-FORMAT.md). One struct, so the configuration fills exactly what the parser,
// the renderer and the asset loader enforce (config::Limits and tmpl::Limits name it).
#pragma once

#include <cstdint>

namespace vg {

struct TemplateLimits {
  int64_t template_bytes = 1 << 20;
  double duration_s = 600;
  int64_t pixels = 3840LL * 2160;  // output width × height
  int clips = 500;
  int64_t asset_bytes = 200LL << 20;
  int64_t image_pixels = 40'000'000;
  int fonts = 20;
};

}  // namespace vg

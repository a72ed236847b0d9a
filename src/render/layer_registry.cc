// The table of visual clip types: a new clip type is one file, one line here and one golden test.
#include <array>

#include "render/layer.h"

namespace vg::render {
namespace {

struct LayerType {
  tmpl::ClipType type;
  Result<std::unique_ptr<Layer>> (*create)(const tmpl::Clip&, const LayerContext&);
};

constexpr std::array kLayerTypes = {
    LayerType{tmpl::ClipType::kBackground, &CreateBackgroundLayer},
    LayerType{tmpl::ClipType::kImage, &CreateImageLayer},
    LayerType{tmpl::ClipType::kText, &CreateTextLayer},
    LayerType{tmpl::ClipType::kShape, &CreateShapeLayer},
};

}  // namespace

Result<std::unique_ptr<Layer>> CreateLayer(const tmpl::Clip& clip, const LayerContext& context) {
  for (const auto& entry : kLayerTypes) {
    if (entry.type == clip.type) return entry.create(clip, context);
  }
  return Status(ErrorCode::kInternal, "no layer for clip " + clip.path);
}

}  // namespace vg::render

// BGRA (Cairo ARGB32, premultiplied, treated as composited over black) → YUV 4:2:0, BT.709
// matrix, limited (TV) range, the colour space the encoder tags. Chroma is the average of each
// 2×2 block (centre siting). Thread-safe (no state); each render thread converts its own frame.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vg::render {

struct YuvPlanes {
  uint8_t* y;
  int y_stride;
  uint8_t* u;
  int u_stride;
  uint8_t* v;
  int v_stride;
};

// width and height must be even.
void ConvertBgraToYuv420Bt709(const uint8_t* bgra, int bgra_stride, int width, int height,
                              const YuvPlanes& out);

}  // namespace vg::render

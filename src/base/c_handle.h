// CHandle<T, Free>: a unique_ptr for a C library handle with its free function, so each C
// handle (AVFrame, cairo_t, PangoLayout, redisContext, ...) is wrapped once, where it is used.
#pragma once

#include <memory>

namespace vg {

template <auto FreeFunction>
struct CFree {
  template <typename T>
  void operator()(T* p) const {
    if (p) FreeFunction(p);
  }
};

template <typename T, auto FreeFunction>
using CHandle = std::unique_ptr<T, CFree<FreeFunction>>;

}  // namespace vg

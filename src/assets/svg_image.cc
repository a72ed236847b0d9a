// librsvg adapter. RsvgHandle is not safe to use from two threads at once, so each SvgImage
// keeps a mutex around rendering; render threads asking for different sizes take turns.
#include "assets/svg_image.h"

#include <cairo.h>
#include <librsvg/rsvg.h>

#include <cmath>
#include <mutex>
#include <string>

#include "base/c_handle.h"

namespace vg::assets {
namespace {

using SvgHandle = CHandle<RsvgHandle, g_object_unref>;
using Surface = CHandle<cairo_surface_t, cairo_surface_destroy>;
using CairoContext = CHandle<cairo_t, cairo_destroy>;

// The largest side a Cairo image surface takes.
constexpr int64_t kMaxSide = 32767;

std::string TakeMessage(GError* error) {
  std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown";
  if (error != nullptr) g_error_free(error);
  return message;
}

Status CheckSize(int64_t width, int64_t height, int64_t max_pixels) {
  if (width <= 0 || height <= 0) {
    return Error(ErrorCode::kInvalidArgument, "SVG raster size must be positive");
  }
  if (width > kMaxSide || height > kMaxSide || width * height > max_pixels) {
    return Error(ErrorCode::kLimitExceeded,
                 "image is " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels, more than the limit of " + std::to_string(max_pixels) +
                     " (LIMIT_IMAGE_PIXELS)" +
                     (width > kMaxSide || height > kMaxSide ? " or 32767 on a side" : ""));
  }
  return Status::Ok();
}

// Pixels from a length in user units; sizes that do not round to a whole pixel still get one.
int64_t ToPixels(double length) {
  if (!std::isfinite(length) || length <= 0) return 0;
  if (length > 1e9) return static_cast<int64_t>(1e9);
  return std::max<int64_t>(1, std::llround(length));
}

class SvgImage final : public Image {
 public:
  SvgImage(SvgHandle handle, int width, int height, int64_t max_pixels)
      : handle_(std::move(handle)), width_(width), height_(height), max_pixels_(max_pixels) {}

  // Draws the natural-size bitmap; called once before the image is shared.
  Status Init() {
    Result<Bitmap> bitmap = RasterizeVector(width_, height_);
    if (!bitmap.ok()) return bitmap.error();
    bitmap_ = std::move(bitmap).value();
    return Status::Ok();
  }

  int width() const override { return width_; }
  int height() const override { return height_; }
  bool is_vector() const override { return true; }
  const Bitmap& bitmap() const override { return bitmap_; }

  Result<Bitmap> RasterizeVector(int width, int height) const override {
    VG_RETURN_IF_ERROR(CheckSize(width, height, max_pixels_));
    Bitmap bitmap = Bitmap::Allocate(width, height);
    // Cairo draws straight into the bitmap: its ARGB32 layout is the bitmap's.
    Surface surface(cairo_image_surface_create_for_data(bitmap.pixels.data(), CAIRO_FORMAT_ARGB32,
                                                        width, height, bitmap.stride));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
      return Error(ErrorCode::kInternal, "cairo surface failed");
    }
    CairoContext cairo(cairo_create(surface.get()));
    const RsvgRectangle viewport{0, 0, static_cast<double>(width), static_cast<double>(height)};
    GError* error = nullptr;
    gboolean drawn;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      drawn = rsvg_handle_render_document(handle_.get(), cairo.get(), &viewport, &error);
    }
    cairo_surface_flush(surface.get());
    if (!drawn) {
      return Error(ErrorCode::kAssetUnavailable,
                   "not a supported image (SVG render failed: " + TakeMessage(error) + ")");
    }
    return bitmap;
  }

 private:
  SvgHandle handle_;
  int width_;
  int height_;
  int64_t max_pixels_;
  Bitmap bitmap_;
  mutable std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<Image>> LoadSvg(std::string_view bytes, int64_t max_pixels) {
  GError* error = nullptr;
  // No base file: librsvg then refuses every external reference (files, URLs); only data:
  // URIs inside the document load. Default flags keep libxml2's size limits on.
  SvgHandle handle(rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(bytes.data()),
                                             bytes.size(), &error));
  if (!handle) {
    return Error(ErrorCode::kAssetUnavailable,
                 "not a supported image (SVG parse failed: " + TakeMessage(error) + ")");
  }
  rsvg_handle_set_dpi(handle.get(), 96.0);

  int64_t width = 0;
  int64_t height = 0;
  double width_px = 0;
  double height_px = 0;
  gboolean has_width = FALSE;
  gboolean has_height = FALSE;
  gboolean has_viewbox = FALSE;
  RsvgLength width_length{};
  RsvgLength height_length{};
  RsvgRectangle viewbox{};
  rsvg_handle_get_intrinsic_dimensions(handle.get(), &has_width, &width_length, &has_height,
                                       &height_length, &has_viewbox, &viewbox);
  if (rsvg_handle_get_intrinsic_size_in_pixels(handle.get(), &width_px, &height_px)) {
    width = ToPixels(width_px);
    height = ToPixels(height_px);
  } else if (has_viewbox) {
    width = ToPixels(viewbox.width);
    height = ToPixels(viewbox.height);
  } else {
    width = 300;
    height = 150;
  }
  if (width == 0 || height == 0) {
    return Error(ErrorCode::kAssetUnavailable, "not a supported image (SVG with zero size)");
  }
  VG_RETURN_IF_ERROR(CheckSize(width, height, max_pixels));
  auto image = std::make_unique<SvgImage>(std::move(handle), static_cast<int>(width),
                                          static_cast<int>(height), max_pixels);
  VG_RETURN_IF_ERROR(image->Init());
  return std::unique_ptr<Image>(std::move(image));
}

}  // namespace vg::assets

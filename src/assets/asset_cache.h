// AssetCache: fetches every asset a render needs (local path, data: URI, http/https URL)
// exactly once per render and decodes images once, enforcing the operator's limits and the
// SSRF setting. Thread-safe: render threads may ask for the same src concurrently; one fetch
// happens, the others wait for it. Lives as long as the render that owns it; temporary files
// it made (LocalFile of a remote font) are deleted with it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "assets/bitmap.h"
#include "base/result.h"
#include "net/http_client.h"

namespace vg::assets {

struct AssetOptions {
  // Relative local paths resolve against this folder (the template's folder for the CLI,
  // ASSET_DIR for the service). Empty: the current directory.
  std::string base_dir;
  // false: local paths are refused (the API without ASSET_DIR).
  bool allow_local_paths = true;
  // true: a local path must stay inside base_dir after resolving "..", and symlinks (service).
  bool confine_to_base_dir = false;
  // false: URLs whose resolved address is private, loopback or link-local are refused
  // (service default); true for the CLI.
  bool allow_private_addresses = true;
  int64_t max_bytes = 200LL << 20;        // LIMIT_ASSET_BYTES, per asset
  int64_t max_image_pixels = 40'000'000;  // LIMIT_IMAGE_PIXELS, width × height before decoding
  int timeout_ms = 30000;                 // whole download of one http(s) asset
  // Where LocalFile() writes remote and data: assets. Empty: the system's temporary folder.
  std::string temp_dir;
};

// A decoded image: a raster (PNG, JPEG, WebP, GIF first frame) or a vector (SVG).
class Image {
 public:
  virtual ~Image() = default;
  // Natural size in pixels (SVG: its width/height, else its viewBox size, else 300 × 150).
  virtual int width() const = 0;
  virtual int height() const = 0;
  virtual bool is_vector() const = 0;
  // Raster images: the decoded pixels at natural size. Vector images: a rasterisation at
  // natural size.
  virtual const Bitmap& bitmap() const = 0;
  // Vector images: drawn afresh at exactly width × height (sharp at any scale). Raster images:
  // kInternal (callers scale bitmap() themselves).
  virtual Result<Bitmap> RasterizeVector(int width, int height) const = 0;
};

class AssetCache {
 public:
  // Downloads through a CurlHttpClient configured from `options`.
  explicit AssetCache(AssetOptions options);
  // Downloads through `http` (a fake in unit tests, or a shared client's wrapper); the cache
  // owns it. options.allow_private_addresses is then the client's business.
  AssetCache(AssetOptions options, std::unique_ptr<net::HttpClient> http);
  ~AssetCache();
  AssetCache(const AssetCache&) = delete;
  AssetCache& operator=(const AssetCache&) = delete;

  // The bytes of `src`. Errors: kAssetUnavailable (missing, unreadable, refused address, HTTP
  // error, timeout; the message names the src and the reason), kLimitExceeded (larger than
  // max_bytes; the download stops there).
  Result<std::shared_ptr<const std::string>> Fetch(std::string_view src);

  // The decoded image of `src`. The type is sniffed from the bytes (never trusted from the
  // name or Content-Type); anything that is not PNG/JPEG/WebP/GIF/SVG, or fails to decode, is
  // kAssetUnavailable ("not an image"); more than max_image_pixels is kLimitExceeded, checked
  // from the header before decoding.
  Result<std::shared_ptr<const Image>> LoadImage(std::string_view src);

  // A file on disk holding the bytes of `src` (local paths as they are; remote or data:
  // assets written to a temporary file owned by the cache). For fonts.
  Result<std::string> LocalFile(std::string_view src);

  const AssetOptions& options() const;

  // Whether fetching `src` failed in a way that may pass on a later try (network error,
  // timeout, HTTP 5xx): the worker retries the job then. False for 4xx, refusals, limits,
  // decode errors, and for a src that did not fail or was never asked for.
  bool IsRetryableFailure(std::string_view src) const;
  // True when any fetch so far failed retryably.
  bool HasRetryableFailure() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vg::assets

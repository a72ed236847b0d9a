// AssetCache: one entry per src and per kind of request (bytes, image, local file), each
// computed once under a std::once_flag while later askers wait; results, failures included,
// stay for the life of the cache. Fetching dispatches on the src's form; messages name the
// src the safe way (scheme://host/path of URLs, a summary of data: URIs).
#include "assets/asset_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "assets/data_uri.h"
#include "assets/image_sniff.h"
#include "assets/local_file.h"
#include "assets/raster_decoder.h"
#include "assets/svg_image.h"
#include "net/curl_http_client.h"
#include "net/url.h"
#include "obs/log.h"

namespace vg::assets {
namespace {

enum class SrcKind { kHttp, kData, kLocal, kOtherScheme };

// A scheme is letters, digits, '+', '-', '.' before ':', at least two characters long (so a
// drive-letter-like "c:" is not taken for one).
SrcKind Classify(std::string_view src) {
  if (net::HasHttpScheme(src)) return SrcKind::kHttp;
  if (IsDataUri(src)) return SrcKind::kData;
  const size_t colon = src.find(':');
  if (colon != std::string_view::npos && colon >= 2 &&
      std::isalpha(static_cast<unsigned char>(src[0]))) {
    const bool all_scheme_chars = std::all_of(src.begin(), src.begin() + colon, [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
    if (all_scheme_chars) return SrcKind::kOtherScheme;
  }
  return SrcKind::kLocal;
}

// How a src is named in messages and logs.
std::string Describe(std::string_view src) {
  switch (Classify(src)) {
    case SrcKind::kHttp:
      return net::RedactUrl(src);
    case SrcKind::kData:
      return DescribeDataUri(src);
    case SrcKind::kLocal:
    case SrcKind::kOtherScheme:
      break;
  }
  std::string out;
  for (char c : src.substr(0, 200)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  if (src.size() > 200) out += "\u2026";
  return out;
}

Status Named(std::string_view src, const Status& reason) {
  return Status(reason.code(), "asset " + Describe(src) + ": " + reason.message());
}

// "larger than N bytes" from the lower layers, with the limit's name for the operator.
Status LimitNamed(std::string_view src, const std::string& reason, const char* limit_name) {
  return Status(ErrorCode::kLimitExceeded,
                "asset " + Describe(src) + ": " + reason + " (" + limit_name + ")");
}

template <typename T>
struct Entry {
  std::once_flag once;
  std::optional<Result<T>> result;     // set inside `once`
  std::atomic<bool> retryable{false};  // the failure may pass on a later try
};

template <typename T>
using EntryMap = std::map<std::string, std::shared_ptr<Entry<T>>, std::less<>>;

using Bytes = std::shared_ptr<const std::string>;
using ImagePtr = std::shared_ptr<const Image>;

class RasterImage final : public Image {
 public:
  explicit RasterImage(Bitmap bitmap) : bitmap_(std::move(bitmap)) {}
  int width() const override { return bitmap_.width; }
  int height() const override { return bitmap_.height; }
  bool is_vector() const override { return false; }
  const Bitmap& bitmap() const override { return bitmap_; }
  Result<Bitmap> RasterizeVector(int, int) const override {
    return Error(ErrorCode::kInternal, "RasterizeVector called on a raster image");
  }

 private:
  Bitmap bitmap_;
};

net::CurlHttpClientOptions ClientOptions(const AssetOptions& options) {
  net::CurlHttpClientOptions client;
  client.allow_private_addresses = options.allow_private_addresses;
  return client;
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

struct AssetCache::State {
  AssetOptions options;
  std::unique_ptr<net::HttpClient> http;

  mutable std::mutex mutex;  // guards the maps and temp_files, not the entries' contents
  EntryMap<Bytes> fetches;
  EntryMap<ImagePtr> images;
  EntryMap<std::string> files;
  std::vector<std::string> temp_files;

  // The entry for `src` in `map`, created on first use.
  template <typename T>
  std::shared_ptr<Entry<T>> EntryFor(EntryMap<T>& map, std::string_view src) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = map.find(src);
    if (it == map.end()) it = map.emplace(std::string(src), std::make_shared<Entry<T>>()).first;
    return it->second;
  }

  LocalFileOptions LocalOptions() const {
    LocalFileOptions local;
    local.base_dir = options.base_dir;
    local.confine_to_base_dir = options.confine_to_base_dir;
    local.max_bytes = options.max_bytes;
    return local;
  }

  // One uncached fetch; *retryable tells whether a failure may pass later.
  Result<Bytes> FetchOnce(std::string_view src, bool* retryable) {
    *retryable = false;
    switch (Classify(src)) {
      case SrcKind::kData: {
        Result<DataUri> uri = DecodeDataUri(src, options.max_bytes);
        if (!uri.ok()) {
          if (uri.error().code() == ErrorCode::kLimitExceeded) {
            return LimitNamed(src, uri.error().message(), "LIMIT_ASSET_BYTES");
          }
          return Named(src, uri.error());
        }
        return std::make_shared<const std::string>(std::move(uri.value().bytes));
      }
      case SrcKind::kHttp: {
        net::HttpRequest request;
        request.url = std::string(src);
        request.timeout_ms = options.timeout_ms;
        request.connect_timeout_ms = std::min(options.timeout_ms, 10000);
        request.max_response_bytes = options.max_bytes;
        request.max_redirects = 5;
        net::HttpResult result = http->Get(request);
        if (!result.ok()) {
          const net::HttpError& error = result.error();
          *retryable = error.retryable;
          if (error.kind == net::HttpErrorKind::kTooLarge) {
            return LimitNamed(src, error.message, "LIMIT_ASSET_BYTES");
          }
          return Error(ErrorCode::kAssetUnavailable,
                       "asset " + Describe(src) + ": " + error.message);
        }
        return std::make_shared<const std::string>(std::move(std::move(result).value().body));
      }
      case SrcKind::kOtherScheme:
        return Error(ErrorCode::kAssetUnavailable,
                     "asset " + Describe(src) + ": only http, https and data: URLs are allowed");
      case SrcKind::kLocal: {
        if (!options.allow_local_paths) {
          return Error(ErrorCode::kAssetUnavailable,
                       "asset " + Describe(src) + ": local paths are not allowed here");
        }
        Result<std::string> bytes = ReadLocalFile(src, LocalOptions());
        if (!bytes.ok()) {
          if (bytes.error().code() == ErrorCode::kLimitExceeded) {
            return LimitNamed(src, bytes.error().message(), "LIMIT_ASSET_BYTES");
          }
          return Named(src, bytes.error());
        }
        return std::make_shared<const std::string>(std::move(bytes).value());
      }
    }
    return Error(ErrorCode::kInternal, "unreachable");
  }

  Result<ImagePtr> DecodeOnce(std::string_view src, const std::string& bytes) {
    Result<ImageHeader> header = SniffImage(bytes);
    if (!header.ok()) return Named(src, header.error());
    if (header->format == ImageFormat::kSvg) {
      Result<std::unique_ptr<Image>> svg = LoadSvg(bytes, options.max_image_pixels);
      if (!svg.ok()) return Named(src, svg.error());
      return ImagePtr(std::move(svg).value());
    }
    // The header's word, before a single pixel is allocated.
    if (header->width * header->height > options.max_image_pixels) {
      return Error(ErrorCode::kLimitExceeded,
                   "asset " + Describe(src) + ": image is " + std::to_string(header->width) +
                       " x " + std::to_string(header->height) + " pixels, more than the limit of " +
                       std::to_string(options.max_image_pixels) + " (LIMIT_IMAGE_PIXELS)");
    }
    const Status complete = CheckComplete(bytes, *header);
    if (!complete.ok()) return Named(src, complete);
    Result<Bitmap> bitmap = DecodeRaster(bytes, *header, options.max_image_pixels);
    if (!bitmap.ok()) return Named(src, bitmap.error());
    return ImagePtr(std::make_shared<RasterImage>(std::move(bitmap).value()));
  }

  Result<std::string> WriteTempFile(const std::string& bytes) {
    std::error_code error;
    const std::filesystem::path folder = options.temp_dir.empty()
                                             ? std::filesystem::temp_directory_path(error)
                                             : std::filesystem::path(options.temp_dir);
    if (error) return Error(ErrorCode::kInternal, "no temporary folder: " + error.message());
    std::string path = (folder / "vidgen-asset-XXXXXX").string();
    const int fd = mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) return Error(ErrorCode::kInternal, "cannot create a temporary file");
    {
      std::lock_guard<std::mutex> lock(mutex);
      temp_files.push_back(path);
    }
    size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fd);
        return Error(ErrorCode::kInternal, "cannot write a temporary file");
      }
      written += static_cast<size_t>(n);
    }
    if (close(fd) != 0) return Error(ErrorCode::kInternal, "cannot write a temporary file");
    return path;
  }
};

AssetCache::AssetCache(AssetOptions options)
    : AssetCache(options, std::make_unique<net::CurlHttpClient>(ClientOptions(options))) {}

AssetCache::AssetCache(AssetOptions options, std::unique_ptr<net::HttpClient> http)
    : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->http = std::move(http);
}

AssetCache::~AssetCache() {
  for (const std::string& path : state_->temp_files) unlink(path.c_str());
}

const AssetOptions& AssetCache::options() const { return state_->options; }

Result<std::shared_ptr<const std::string>> AssetCache::Fetch(std::string_view src) {
  std::shared_ptr<Entry<Bytes>> entry = state_->EntryFor(state_->fetches, src);
  std::call_once(entry->once, [&] {
    const auto start = std::chrono::steady_clock::now();
    bool retryable = false;
    entry->result.emplace(state_->FetchOnce(src, &retryable));
    entry->retryable.store(retryable, std::memory_order_release);
    if (entry->result->ok()) {
      obs::Log(obs::Level::kDebug, "assets.fetched",
               {{"src", Describe(src)},
                {"bytes", static_cast<unsigned long long>(entry->result->value()->size())},
                {"ms", static_cast<long long>(ElapsedMs(start))}});
    } else {
      obs::Log(obs::Level::kWarn, "assets.fetch_failed",
               {{"error", entry->result->error().message()},
                {"retryable", retryable},
                {"ms", static_cast<long long>(ElapsedMs(start))}});
    }
  });
  return *entry->result;
}

Result<std::shared_ptr<const Image>> AssetCache::LoadImage(std::string_view src) {
  std::shared_ptr<Entry<ImagePtr>> entry = state_->EntryFor(state_->images, src);
  std::call_once(entry->once, [&] {
    Result<Bytes> bytes = Fetch(src);
    if (!bytes.ok()) {
      entry->result.emplace(bytes.error());
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    entry->result.emplace(state_->DecodeOnce(src, **bytes));
    if (entry->result->ok()) {
      const Image& image = *entry->result->value();
      obs::Log(obs::Level::kDebug, "assets.decoded",
               {{"src", Describe(src)},
                {"width", image.width()},
                {"height", image.height()},
                {"vector", image.is_vector()},
                {"ms", static_cast<long long>(ElapsedMs(start))}});
    } else {
      obs::Log(obs::Level::kWarn, "assets.decode_failed",
               {{"error", entry->result->error().message()}});
    }
  });
  return *entry->result;
}

Result<std::string> AssetCache::LocalFile(std::string_view src) {
  std::shared_ptr<Entry<std::string>> entry = state_->EntryFor(state_->files, src);
  std::call_once(entry->once, [&] {
    if (Classify(src) == SrcKind::kLocal) {
      if (!state_->options.allow_local_paths) {
        entry->result.emplace(
            Error(ErrorCode::kAssetUnavailable,
                  "asset " + Describe(src) + ": local paths are not allowed here"));
        return;
      }
      Result<std::string> path = CheckLocalFile(src, state_->LocalOptions());
      if (!path.ok()) {
        entry->result.emplace(path.error().code() == ErrorCode::kLimitExceeded
                                  ? LimitNamed(src, path.error().message(), "LIMIT_ASSET_BYTES")
                                  : Named(src, path.error()));
        return;
      }
      entry->result.emplace(std::move(path).value());
      return;
    }
    Result<Bytes> bytes = Fetch(src);
    if (!bytes.ok()) {
      entry->result.emplace(bytes.error());
      return;
    }
    Result<std::string> path = state_->WriteTempFile(**bytes);
    entry->result.emplace(path.ok() ? std::move(path)
                                    : Result<std::string>(Named(src, path.error())));
  });
  return *entry->result;
}

bool AssetCache::IsRetryableFailure(std::string_view src) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto it = state_->fetches.find(src);
  if (it == state_->fetches.end()) return false;
  // An entry still being fetched reports false until its result is in.
  return it->second->retryable.load(std::memory_order_acquire);
}

bool AssetCache::HasRetryableFailure() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (const auto& [src, entry] : state_->fetches) {
    if (entry->retryable.load(std::memory_order_acquire)) return true;
  }
  return false;
}

}  // namespace vg::assets

// BlobStore: where finished videos and thumbnails live (API.md "Storage and signed URLs").
// Backends: local files (this module's local_store), later S3 and Supabase. Keys are relative
// names such as "videos/<jobId>.mp4" (no leading '/', no "..", printable ASCII). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace vg::storage {

struct BlobInfo {
  std::string key;
  int64_t size_bytes = 0;
  int64_t modified_unix_ms = 0;
};

struct SignedUrl {
  std::string url;
  int64_t expires_unix_s = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores the file at `local_path` under `key` (streamed, replacing any object with that
  // key), with `content_type`. `on_progress(bytes_done, bytes_total)` may be called.
  virtual Status Put(const std::string& key, const std::string& local_path,
                     const std::string& content_type,
                     const std::function<void(int64_t, int64_t)>& on_progress = {}) = 0;
  // A URL that downloads `key` until `ttl_seconds` from now.
  virtual Result<SignedUrl> Sign(const std::string& key, int64_t ttl_seconds) const = 0;
  virtual Result<BlobInfo> Head(const std::string& key) const = 0;  // not_found when absent
  virtual Status Delete(const std::string& key) = 0;                // OK when already absent
  // Objects last modified before `unix_ms` (for the expiry sweep).
  virtual Result<std::vector<BlobInfo>> ListOlderThan(int64_t unix_ms) const = 0;
  // Reachability for /ready (a cheap check).
  virtual Status Check() const = 0;
  // Bytes stored, for the metrics (may be approximate or cached).
  virtual Result<int64_t> BytesUsed() const = 0;
};

}  // namespace vg::storage

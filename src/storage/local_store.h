// LocalStore: the default BlobStore, files in one folder (LOCAL_STORAGE_DIR) that the API
// serves at `/files/<key>` with HMAC-signed, expiring URLs (UrlSigner). Put is atomic: the data
// goes to a temp file in the destination folder (renamed from the source when it is on the
// same file system, else copied), is fsynced, then renamed over the key. The content type is
// kept beside the object in "<file>.vgmeta" (or derived from the extension when absent).
// Thread-safe: every method may be called from any thread; concurrent Puts of one key leave
// one of them whole.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "storage/blob_store.h"
#include "storage/url_signer.h"

namespace vg::storage {

struct LocalStoreOptions {
  std::string root_dir;         // created when missing
  std::string public_base_url;  // "http://127.0.0.1:3000" (no trailing '/')
  std::string signing_secret;   // URL_SIGNING_SECRET; must not be empty
  // Put renames the source file into the store when possible (the source is consumed) instead
  // of copying it. The worker's temp files are moved; keep false to keep the source.
  bool move_source = false;
};

class LocalStore final : public BlobStore {
 public:
  // Creates the root folder. kStorageUnavailable when it cannot be created or written,
  // kInvalidArgument for an empty secret or root.
  static Result<std::unique_ptr<LocalStore>> Open(LocalStoreOptions options,
                                                  const Clock* clock = nullptr);

  Status Put(const std::string& key, const std::string& local_path, const std::string& content_type,
             const std::function<void(int64_t, int64_t)>& on_progress = {}) override;
  // `<public_base_url>/files/<key>?exp=<unix>&sig=<hex>` (key segments percent-encoded).
  Result<SignedUrl> Sign(const std::string& key, int64_t ttl_seconds) const override;
  Result<BlobInfo> Head(const std::string& key) const override;
  Status Delete(const std::string& key) override;
  Result<std::vector<BlobInfo>> ListOlderThan(int64_t unix_ms) const override;
  Status Check() const override;
  Result<int64_t> BytesUsed() const override;

  // The absolute file path of `key`; kInvalidArgument for keys that are not valid
  // (ValidateKey) and so could escape the folder. The file need not exist.
  Result<std::string> PathFor(std::string_view key) const;
  // The stored content type of `key` (from its meta file, else from the extension).
  Result<std::string> ContentTypeOf(std::string_view key) const;
  const UrlSigner& signer() const { return signer_; }
  const std::string& root() const { return root_; }

 private:
  LocalStore(LocalStoreOptions options, std::string root, const Clock* clock);

  LocalStoreOptions options_;
  std::string root_;  // absolute, no trailing '/'
  UrlSigner signer_;
  SystemClock system_clock_;
  const Clock* clock_;
};

// Checks a key: 1..512 characters of printable ASCII without space or '\\', no leading '/',
// no empty, "." or ".." segment, no segment starting with ".vg", not ending in ".vgmeta".
// kInvalidArgument otherwise.
Status ValidateKey(std::string_view key);

// The content type for a file name's extension ("video/mp4" for .mp4, "image/jpeg" for .jpg,
// ...; "application/octet-stream" when unknown).
std::string ContentTypeForExtension(std::string_view name);

// Deletes every object of `store` last modified before `unix_ms` (the history's expiry sweep);
// returns the first error after trying all.
Status SweepOlderThan(BlobStore& store, int64_t unix_ms);

}  // namespace vg::storage

// SupabaseStore: a BlobStore on Supabase Storage's REST API (SUPABASE_URL/KEY/BUCKET), over
// net::HttpClient::Send. Files up to 6 MiB go up in one POST streamed from disk; larger ones by
// TUS 1.0.0 resumable upload in 6 MiB chunks, resumed from the server's offset after a failed
// chunk. Signed URLs come from Supabase (/object/sign). Supabase answers HTTP 400 for most
// errors with the real status as a string in the JSON body, so answers are classified on the
// body's `statusCode` and `code`. The key and signed tokens never reach logs or messages.
// Protocol notes: the shared storage reference (storage-webhooks.md, section 2).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "net/http_client.h"
#include "net/retry.h"
#include "storage/blob_store.h"

namespace vg::storage {

struct SupabaseStoreOptions {
  // url "https://<ref>.supabase.co" (a trailing '/' is ignored), key (a service_role JWT or an
  // sb_secret_ key; a secret), bucket.
  config::SupabaseSettings settings;
  // Files larger than this go by TUS; smaller or equal ones by one POST.
  int64_t resumable_threshold_bytes = 6LL << 20;
  // TUS chunk size. Supabase requires exactly 6 MiB (the last chunk may be shorter): change it
  // only against a server with another rule.
  int64_t resumable_chunk_bytes = 6LL << 20;
  // Tries per request (and consecutive failed chunks per TUS upload) for network errors, 5xx
  // and 429, with exponential backoff.
  net::RetryPolicy retry{4, 500, 8000};
  int cache_control_seconds = 3600;  // "cache-control: max-age=N" of stored objects
  int request_timeout_ms = 30000;    // small JSON requests
  int upload_timeout_ms = 900000;    // one POST upload or one TUS chunk
  // An upload or TUS chunk fails (and is retried or resumed) once no byte moved for this many
  // seconds, without waiting for upload_timeout_ms. 0 = off.
  int upload_stall_timeout_s = 30;
  int check_timeout_ms = 5000;       // Check(), one try
  int list_page_size = 1000;         // ListOlderThan / BytesUsed page size
  // BytesUsed lists "videos/" and keeps the sum this long (metrics scrapes must not list the
  // bucket each time).
  int64_t bytes_used_cache_ms = 300000;
  // Waits between retries; empty = block the calling thread (tests pass a recorder).
  net::SleepFunction sleep;
};

// Thread-safe: every method may be called from any thread (the HttpClient is thread-safe; the
// BytesUsed cache is guarded). Put streams the file; it never holds it in memory.
class SupabaseStore final : public BlobStore {
 public:
  // `http` is borrowed and must outlive the store; `clock` is borrowed and may be null
  // (system clock). kInvalidArgument for a URL that is not http(s)://host…, an empty key or
  // bucket, or nonsensical sizes.
  static Result<std::unique_ptr<SupabaseStore>> Open(SupabaseStoreOptions options,
                                                     net::HttpClient& http,
                                                     const Clock* clock = nullptr);
  // The same, owning its client.
  static Result<std::unique_ptr<SupabaseStore>> Open(SupabaseStoreOptions options,
                                                     std::unique_ptr<net::HttpClient> http,
                                                     const Clock* clock = nullptr);

  // POST /object/{bucket}/{key} (x-upsert) up to the threshold, else TUS. `on_progress`
  // gets (bytes acknowledged or sent so far, file size), never decreasing.
  Status Put(const std::string& key, const std::string& local_path, const std::string& content_type,
             const std::function<void(int64_t, int64_t)>& on_progress = {}) override;
  // POST /object/sign/{bucket}/{key}: "<url>/storage/v1/object/sign/…?token=…". kNotFound
  // when the object does not exist; ttl_seconds ≥ 1.
  Result<SignedUrl> Sign(const std::string& key, int64_t ttl_seconds) const override;
  // GET /object/info/authenticated/{bucket}/{key}: size and last modification.
  Result<BlobInfo> Head(const std::string& key) const override;
  // DELETE /object/{bucket} {"prefixes":[key]}; OK when absent.
  Status Delete(const std::string& key) override;
  // Objects directly under "videos/" (what the worker writes) last modified before `unix_ms`,
  // from POST /object/list/{bucket}, paginated, oldest first.
  Result<std::vector<BlobInfo>> ListOlderThan(int64_t unix_ms) const override;
  // GET /bucket/{bucket}, one try: tells apart unreachable, a refused key, a missing bucket.
  Status Check() const override;
  // The sum of the sizes under "videos/", listed at most once per bytes_used_cache_ms (so it
  // may lag uploads and deletions by that long).
  Result<int64_t> BytesUsed() const override;

  ~SupabaseStore() override;

 private:
  SupabaseStore(SupabaseStoreOptions options, net::HttpClient* http,
                std::unique_ptr<net::HttpClient> owned_http, const Clock* clock);

  static Result<std::unique_ptr<SupabaseStore>> OpenWith(
      SupabaseStoreOptions options, net::HttpClient* http,
      std::unique_ptr<net::HttpClient> owned_http, const Clock* clock);

  struct Attempted;  // the outcome of a request after retries (supabase_store.cc)

  std::vector<net::HttpHeader> AuthHeaders() const;
  std::string StorageUrl(std::string_view path) const;  // base + "/storage/v1" + path
  std::string ObjectPath(std::string_view route, const std::string& key) const;
  Attempted SendWithRetries(std::string_view operation, const net::HttpRequest& request,
                            int attempts) const;
  void Sleep(int delay_ms) const;
  Status PutWhole(const std::string& key, const std::string& local_path,
                  const std::string& content_type, int64_t size,
                  const std::function<void(int64_t)>& progress);
  Status PutResumable(const std::string& key, const std::string& local_path,
                      const std::string& content_type, int64_t size,
                      const std::function<void(int64_t)>& progress);
  // Pages through "videos/" calling `visit` for each object entry; stops early when `visit`
  // returns false.
  Status ListVideos(
      const std::function<bool(const BlobInfo& info, int64_t created_unix_ms)>& visit) const;

  SupabaseStoreOptions options_;
  std::string base_url_;  // settings.url without a trailing '/'
  std::string where_;     // base_url_ as messages and logs show it
  net::HttpClient* http_;
  std::unique_ptr<net::HttpClient> owned_http_;
  SystemClock system_clock_;
  const Clock* clock_;
  bool key_is_jwt_;

  mutable std::mutex bytes_used_mutex_;
  mutable std::optional<int64_t> bytes_used_;
  mutable std::chrono::steady_clock::time_point bytes_used_at_;
};

// The factory CreateBlobStore calls for ASSET_STORAGE_PROVIDER=supabase: a SupabaseStore with
// default options over its own net::CurlHttpClient (private addresses allowed: the URL is the
// operator's own configuration). `clock` is borrowed and may be null.
Result<std::unique_ptr<BlobStore>> CreateSupabaseStore(const config::SupabaseSettings& settings,
                                                       const Clock* clock = nullptr);

// True when `key` has the shape of a JWT (three non-empty base64url segments joined by '.'),
// as legacy anon/service_role keys do; such keys also go in `Authorization: Bearer`, while
// `sb_secret_…` keys go in `apikey` only.
bool IsJwtShaped(std::string_view key);

// Milliseconds since the epoch of an ISO-8601 timestamp as Supabase sends them
// ("2024-05-01T12:34:56.789Z", "2024-05-01T12:34:56.789123+00:00", "… 12:34:56+02").
// kInvalidArgument when it does not parse.
Result<int64_t> ParseTimestampMs(std::string_view text);

}  // namespace vg::storage

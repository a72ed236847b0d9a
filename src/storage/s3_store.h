// S3Store: the BlobStore on an S3 bucket or an S3-compatible one (MinIO, Cloudflare R2,
// Supabase's S3 endpoint, ...), over net::HttpClient with our own SigV4 (sigv4.h).
//
//  - Put streams the file: one PutObject below `multipart_threshold_bytes`, else a multipart
//    upload whose parts (byte ranges of the file, never loaded whole) go up on
//    `parallel_parts` threads, completed in part order, and aborted on any failure. An abort
//    that cannot reach the server is kept and tried again after the next successful Put or
//    Check (a few per call). S3 shows nothing at the key until an upload completes, so a
//    failed Put leaves nothing visible.
//  - Every request is retried with exponential backoff on network errors, 5xx, S3's
//    RequestTimeout and a CompleteMultipartUpload that answers 200 with an <Error>; never on
//    403 or other 4xx. Errors are plain sentences naming the operation, key, bucket and
//    endpoint (never the secret or a presigned query); the S3 error code decides the
//    ErrorCode (credentials → kUnauthorized, AccessDenied → kForbidden, NoSuchBucket/NoSuchKey
//    → kNotFound, wrong region/endpoint → kInvalidArgument, the rest → kStorageUnavailable).
//  - Sign makes a presigned GET URL (at most 7 days; longer TTLs are capped), without any
//    network call.
//  - ListOlderThan and BytesUsed only see keys under `list_prefix` ("videos/", where the worker
//    writes), so the expiry sweep never deletes anything vidgen did not write. BytesUsed lists
//    that prefix and caches the sum for `bytes_used_cache_ms` (5 min by default), so /metrics
//    scrapes do not list the bucket each time.
//
// Addressing: with no endpoint, https://<bucket>.s3.<region>.amazonaws.com (virtual-hosted).
// With an endpoint (S3_ENDPOINT: scheme, host, optional port and path prefix such as
// "/storage/v1/s3"), virtual-hosted on that host unless force_path_style, the host is an IP
// address or "localhost", or the bucket name cannot be a host name label (then path style:
// <endpoint>/<bucket>/<key>). Keys are percent-encoded segment by segment.
//
// Thread safety: every method may be called from any thread at once. Put blocks its caller
// (which runs on_progress) and uses up to `parallel_parts` threads of its own while it runs.
#pragma once

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
#include "storage/sigv4.h"

namespace vg::storage {

struct S3StoreOptions {
  // Files of at least this size go up as multipart uploads.
  int64_t multipart_threshold_bytes = 16LL << 20;
  // Part size, 5 MiB (S3's minimum, except for the last part) to 5 GiB; grown when a file
  // would need more than 10000 parts.
  int64_t part_size_bytes = 16LL << 20;
  int parallel_parts = 4;  // parts in flight at once (threads per multipart Put), ≥ 1
  // Tries per request (per part for multipart uploads) and the backoff between them.
  int attempts = 4;
  int first_retry_delay_ms = 500;
  int max_retry_delay_ms = 8000;
  // Sends "Expect: 100-continue" with uploads, so a refusal (bad credentials, missing bucket)
  // comes back before the data is sent. Never signed.
  bool expect_continue = true;
  // Total time of a request without an upload body; an upload gets this plus its size at
  // `min_upload_bytes_per_second`.
  int request_timeout_ms = 30000;
  // (slow on purpose: parts in parallel share the uplink, and a slow link must not turn every
  // part into a timeout).
  int64_t min_upload_bytes_per_second = 64LL << 10;
  // An upload (PutObject, UploadPart) fails, and is retried, once no byte moved for this many
  // seconds (a server that stopped reading), without waiting for the timeout above. 0 = off.
  int upload_stall_timeout_s = 30;
  int list_page_size = 1000;  // ListObjectsV2 max-keys (1..1000)
  int64_t bytes_used_cache_ms = 300000;
  std::string list_prefix = "videos/";
  // Borrowed, must outlive the store. Null: the store owns a CurlHttpClient that may reach
  // private addresses (the endpoint is the operator's own configuration).
  net::HttpClient* http_client = nullptr;
  // Waits between tries; empty: blocks the thread (tests record the delays instead).
  net::SleepFunction sleep;
};

class S3Store final : public BlobStore {
 public:
  // kInvalidArgument when a setting is missing or malformed (every problem in one message):
  // access key id, secret, bucket and region are required; the endpoint, when set, must be an
  // http(s) URL without user info, query or fragment. `clock` is borrowed and may be null
  // (system clock). Makes no network call.
  static Result<std::unique_ptr<S3Store>> Create(const config::S3Settings& settings,
                                                 S3StoreOptions options = {},
                                                 const Clock* clock = nullptr);
  ~S3Store() override;
  S3Store(const S3Store&) = delete;
  S3Store& operator=(const S3Store&) = delete;

  // Content-Type `content_type`, Content-Disposition `inline; filename="<key's basename>"`.
  // kNotFound when the local file does not exist.
  Status Put(const std::string& key, const std::string& local_path, const std::string& content_type,
             const std::function<void(int64_t, int64_t)>& on_progress = {}) override;
  Result<SignedUrl> Sign(const std::string& key, int64_t ttl_seconds) const override;
  // Sign, with response-content-disposition (e.g. `attachment; filename="a.mp4"`) in the URL
  // so the download gets that header; empty: none.
  Result<SignedUrl> SignWithDisposition(const std::string& key, int64_t ttl_seconds,
                                        std::string_view content_disposition) const;
  Result<BlobInfo> Head(const std::string& key) const override;
  Status Delete(const std::string& key) override;
  Result<std::vector<BlobInfo>> ListOlderThan(int64_t unix_ms) const override;
  // ListObjectsV2 with max-keys=1 under list_prefix, one try: kStorageUnavailable when
  // unreachable, kUnauthorized for refused credentials, kNotFound for a missing bucket.
  Status Check() const override;
  Result<int64_t> BytesUsed() const override;

  // "https://examplebucket.s3.us-east-1.amazonaws.com/<encoded key>": where `key` lives.
  std::string ObjectUrl(std::string_view key) const;
  // The endpoint as messages show it: scheme://host[:port][/prefix], nothing secret.
  const std::string& endpoint_for_messages() const { return endpoint_text_; }
  bool path_style() const { return path_style_; }
  // Multipart uploads whose abort could not be sent yet (tried again after a successful Put or
  // Check).
  size_t pending_aborts() const;

 private:
  struct Call;
  struct Endpoint {
    std::string scheme;       // "http" or "https"
    std::string host;         // without port; IPv6 in brackets
    int port = 0;             // 0: the scheme's default
    std::string path_prefix;  // "" or "/storage/v1/s3" (encoded, no trailing '/')
  };
  struct PendingAbort {
    std::string key;
    std::string upload_id;
  };

  S3Store(const config::S3Settings& settings, Endpoint endpoint, bool path_style,
          S3StoreOptions options, const Clock* clock);

  std::string Authority() const;   // Host header value of every request
  std::string BucketPath() const;  // path of bucket-level requests
  std::string ObjectPath(std::string_view key) const;
  int64_t NowUnixSeconds() const;

  // Sends `call` (signed anew for every try) until it succeeds, fails for good or runs out of
  // tries. A 2xx answer (or one of `call.accepted_statuses`) is returned as a response.
  Result<net::HttpResponse> Execute(const Call& call) const;
  Status ErrorFor(const Call& call, int http_status, std::string_view body, int tries) const;
  Status TransportError(const Call& call, const net::HttpError& error, int tries) const;

  Status PutSingle(const std::string& key, const std::string& local_path, int64_t size,
                   const std::vector<net::HttpHeader>& metadata,
                   const std::function<void(int64_t, int64_t)>& on_progress);
  Status PutMultipart(const std::string& key, const std::string& local_path, int64_t size,
                      const std::vector<net::HttpHeader>& metadata,
                      const std::function<void(int64_t, int64_t)>& on_progress);
  // AbortMultipartUpload; true when done or not needed (404, or 405 from s3rver).
  bool Abort(const std::string& key, const std::string& upload_id, int attempts) const;
  void RetryPendingAborts() const;
  Result<std::vector<BlobInfo>> ListAll() const;

  sigv4::Credentials credentials_;
  std::string bucket_;
  Endpoint endpoint_;
  bool path_style_;
  std::string endpoint_text_;
  S3StoreOptions options_;
  std::unique_ptr<net::HttpClient> owned_client_;
  net::HttpClient* http_;
  SystemClock system_clock_;
  const Clock* clock_;

  mutable std::mutex pending_mutex_;
  mutable std::vector<PendingAbort> pending_aborts_;

  mutable std::mutex bytes_used_mutex_;
  mutable std::optional<int64_t> bytes_used_;
  mutable int64_t bytes_used_at_ms_ = 0;
};

}  // namespace vg::storage

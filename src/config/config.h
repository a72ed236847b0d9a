// Config: the service's one typed configuration, read once at start from the environment and
// an optional `.env` file (API.md, "Configuration"). Every problem is reported at once with
// the variable's name. Secrets (URL_SIGNING_SECRET, WEBHOOK_SECRET, JWT_SECRET, API_KEYS,
// REDIS_PASSWORD, AWS_SECRET_ACCESS_KEY, SUPABASE_KEY) are never logged: Describe() masks them.
// A plain value; copy it freely. Nothing outside this module reads the environment.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/limits.h"
#include "base/result.h"

namespace vg::config {

enum class Mode { kServe, kApi, kWorker, kTool };  // which subcommand loads it (defaults differ)
enum class StorageProvider { kLocal, kS3, kSupabase };

struct RedisSettings {
  bool configured = false;  // REDIS_URL or REDIS_HOST set; `serve` starts its own when false
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // ACL user from REDIS_URL; empty = "default"
  std::string password;  // secret
  int db = 0;
};

using Limits = ::vg::TemplateLimits;  // LIMIT_* (TEMPLATE-FORMAT.md defaults)

struct S3Settings {
  std::string access_key_id, secret_access_key;  // the secret is a secret
  std::string region = "us-east-1", bucket, endpoint;
  bool force_path_style = false;
  int multipart_threshold_mb = 16;  // S3_MULTIPART_THRESHOLD_MB: larger files go up in parts
  int part_size_mb = 16;            // S3_PART_SIZE_MB (≥ 5, S3's minimum)
  int upload_concurrency = 4;       // S3_UPLOAD_CONCURRENCY: parts in flight at once
};

struct SupabaseSettings {
  std::string url, key;  // key is a secret
  std::string bucket = "videos";
};

struct Config {
  std::string host = "127.0.0.1";
  int port = 3000;
  std::string public_base_url;  // default http://HOST:PORT
  RedisSettings redis;
  std::string queue_name = "video", queue_prefix = "bull";
  int worker_concurrency = 1;
  int rate_limit_max = 5;  // 0 = no limit
  int64_t rate_limit_duration_ms = 60000;
  int64_t job_timeout_ms = 1800000, shutdown_grace_ms = 30000;
  int job_attempts = 3;
  int64_t job_backoff_ms = 5000;
  int failed_job_ttl_days = 7, completed_job_ttl_days = 1;
  StorageProvider storage_provider = StorageProvider::kLocal;
  std::string local_storage_dir;   // default $DATA_DIR/videos
  std::string url_signing_secret;  // secret; `serve` generates one in DATA_DIR when unset
  S3Settings s3;
  SupabaseSettings supabase;
  int64_t signed_url_ttl_s = 86400;
  std::string templates_dir;          // default $DATA_DIR/templates
  std::string webhook_secret;         // secret, "whsec_<base64>"; empty = unsigned (warned)
  std::string jwt_secret;             // secret
  std::string jwt_jwks;               // a JWKS file path or URL
  std::vector<std::string> api_keys;  // secrets (API_KEYS or API_KEYS_FILE)
  int api_rate_limit_per_min = 120;   // 0 = no limit
  bool trust_proxy = false;
  Limits limits;
  std::string data_dir = "./data";
  std::string asset_dir;  // empty: local paths refused by the API
  bool allow_private_urls = false;
  int64_t max_body_bytes = 2097152;
  std::vector<std::string> cors_origins;  // "*" or origins
  int64_t job_lock_ms = 30000, stalled_interval_ms = 30000;
  std::string log_level = "info";  // LOG_LEVEL: debug, info, warn, error

  // "name=value" lines for the start-up log, secrets shown as "(set)"/"(unset)".
  std::vector<std::string> Describe() const;
};

// Builds the Config from `env` (variable → value; the process environment merged with .env by
// ReadEnvironment). On failure: kInvalidArgument with one detail per bad variable
// (path = the variable's name, message = what is wrong and what is accepted).
Result<Config> LoadConfig(const std::map<std::string, std::string>& env, Mode mode);

// The process environment, plus the variables of `dotenv_path` (when the file exists) that the
// environment does not set. Lines: NAME=value, optional quotes, `#` comments, `export ` prefix.
// kInvalidArgument for an unreadable or malformed file (with the line number).
Result<std::map<std::string, std::string>> ReadEnvironment(const std::string& dotenv_path = ".env");

}  // namespace vg::config

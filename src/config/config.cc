// LoadConfig, ReadEnvironment and Config::Describe (see config.h). Each variable is parsed by
// a small typed reader that records a problem under the variable's name and keeps the default,
// so one pass reports everything that is wrong.
#include "config/config.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

extern char** environ;  // POSIX: the process environment (read here and nowhere else)

namespace vg::config {
namespace {

constexpr int64_t kMaxS3UrlTtlS = 604800;  // S3 caps presigned URLs at 7 days

std::string Trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  std::string copy(text);
  if (copy.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool IsBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      ++padding;
      if (i + 2 < text.size()) return false;
      continue;
    }
    if (padding > 0) return false;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  return padding <= 2 && text.size() - padding > 1;
}

std::vector<std::string> SplitList(std::string_view text, char separator) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string item = Trim(text.substr(start, end - start));
    if (!item.empty()) items.push_back(std::move(item));
    start = end + 1;
  }
  return items;
}

// Reads variables out of the environment map, collecting problems.
class Reader {
 public:
  explicit Reader(const std::map<std::string, std::string>& env) : env_(env) {}

  // The value when set and not blank (an empty `NAME=` counts as unset).
  std::optional<std::string> Get(const std::string& name) const {
    auto it = env_.find(name);
    if (it == env_.end()) return std::nullopt;
    std::string value = Trim(it->second);
    if (value.empty()) return std::nullopt;
    return value;
  }
  bool Has(const std::string& name) const { return Get(name).has_value(); }

  void String(const std::string& name, std::string* out) const {
    if (auto value = Get(name)) *out = *value;
  }

  template <typename Int>
  void Integer(const std::string& name, Int* out, int64_t min, int64_t max) {
    auto text = Get(name);
    if (!text) return;
    auto value = ParseInt(*text);
    if (!value || *value < min || *value > max) {
      Problem(name, fmt::format("must be a whole number from {} to {} (got \"{}\")", min, max,
                                Clip(*text)));
      return;
    }
    *out = static_cast<Int>(*value);
  }

  void Number(const std::string& name, double* out, double min, double max) {
    auto text = Get(name);
    if (!text) return;
    auto value = ParseDouble(*text);
    if (!value || *value < min || *value > max) {
      Problem(name,
              fmt::format("must be a number from {} to {} (got \"{}\")", min, max, Clip(*text)));
      return;
    }
    *out = *value;
  }

  void Boolean(const std::string& name, bool* out) {
    auto text = Get(name);
    if (!text) return;
    const std::string value = Lower(*text);
    if (value == "true" || value == "1" || value == "yes" || value == "on") {
      *out = true;
    } else if (value == "false" || value == "0" || value == "no" || value == "off") {
      *out = false;
    } else {
      Problem(name,
              fmt::format("must be true or false (also 1/0, yes/no; got \"{}\")", Clip(*text)));
    }
  }

  void Problem(const std::string& name, std::string message) {
    details_.push_back({name, std::move(message)});
  }
  std::vector<ErrorDetail>& details() { return details_; }

  // Values are echoed in messages only when short and not secret-looking.
  static std::string Clip(std::string_view text) {
    if (text.size() > 40) return std::string(text.substr(0, 37)) + "...";
    return std::string(text);
  }

 private:
  const std::map<std::string, std::string>& env_;
  std::vector<ErrorDetail> details_;
};

// redis://[[user]:password@]host[:port][/db]
void ParseRedisUrl(const std::string& url, RedisSettings* redis, Reader& reader) {
  const std::string name = "REDIS_URL";
  const std::string lower = Lower(url);
  if (lower.rfind("rediss://", 0) == 0) {
    reader.Problem(name, "rediss:// (TLS) is not supported yet; use redis://");
    return;
  }
  if (lower.rfind("redis://", 0) != 0) {
    reader.Problem(name, "must be redis://[user:password@]host:port[/db]");
    return;
  }
  std::string rest = url.substr(8);
  std::string db_text;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    db_text = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (size_t colon = userinfo.find(':'); colon != std::string::npos) {
      redis->username = userinfo.substr(0, colon);
      redis->password = userinfo.substr(colon + 1);
    } else {
      redis->password = userinfo;  // redis://secret@host (as ioredis reads it)
    }
  }
  std::string host = rest;
  std::string port_text;
  if (!rest.empty() && rest[0] == '[') {  // [::1]:6379
    size_t close = rest.find(']');
    if (close == std::string::npos) {
      reader.Problem(name, "has an unclosed '[' in its host");
      return;
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        reader.Problem(name, "must be redis://[user:password@]host:port[/db]");
        return;
      }
      port_text = rest.substr(close + 2);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  if (host.empty()) {
    reader.Problem(name, "has no host");
    return;
  }
  redis->host = host;
  if (!port_text.empty()) {
    auto port = ParseInt(port_text);
    if (!port || *port < 1 || *port > 65535) {
      reader.Problem(name, "has a port that is not a number from 1 to 65535");
      return;
    }
    redis->port = static_cast<int>(*port);
  }
  if (!db_text.empty()) {
    auto db = ParseInt(db_text);
    if (!db || *db < 0 || *db > 1000) {
      reader.Problem(name, "has a database number that is not a whole number from 0 to 1000");
      return;
    }
    redis->db = static_cast<int>(*db);
  }
}

bool IsHttpUrl(std::string_view url) {
  const std::string lower = Lower(url);
  for (std::string_view scheme : {"http://", "https://"}) {
    if (lower.rfind(scheme, 0) == 0 && lower.size() > scheme.size()) return true;
  }
  return false;
}

std::string HostForUrl(const std::string& host) {
  if (host == "0.0.0.0" || host == "::" || host.empty()) return "127.0.0.1";
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

void ParseLimitPixels(const std::string& text, int64_t* out, Reader& reader) {
  const std::string name = "LIMIT_PIXELS";
  const std::string lower = Lower(text);
  int64_t value = 0;
  if (size_t x = lower.find_first_of("x*"); x != std::string::npos) {
    auto width = ParseInt(Trim(lower.substr(0, x)));
    auto height = ParseInt(Trim(lower.substr(x + 1)));
    if (!width || !height || *width < 1 || *height < 1 || *width > 100000 || *height > 100000) {
      reader.Problem(name, "must be WIDTHxHEIGHT (like 3840x2160) or a pixel count");
      return;
    }
    value = *width * *height;
  } else {
    auto count = ParseInt(lower);
    if (!count || *count < 1 || *count > 1'000'000'000) {
      reader.Problem(name, "must be WIDTHxHEIGHT (like 3840x2160) or a pixel count");
      return;
    }
    value = *count;
  }
  *out = value;
}

}  // namespace

Result<Config> LoadConfig(const std::map<std::string, std::string>& env, Mode mode) {
  Config config;
  Reader reader(env);

  reader.String("HOST", &config.host);
  reader.Integer("PORT", &config.port, 0, 65535);
  reader.String("LOG_LEVEL", &config.log_level);
  config.log_level = Lower(config.log_level);
  if (config.log_level != "debug" && config.log_level != "info" && config.log_level != "warn" &&
      config.log_level != "error" && config.log_level != "off") {
    reader.Problem("LOG_LEVEL", "must be debug, info, warn, error or off");
    config.log_level = "info";
  }

  // Redis: REDIS_URL wins over the separate variables.
  if (auto url = reader.Get("REDIS_URL")) {
    config.redis.configured = true;
    ParseRedisUrl(*url, &config.redis, reader);
  } else if (reader.Has("REDIS_HOST")) {
    config.redis.configured = true;
    reader.String("REDIS_HOST", &config.redis.host);
    reader.Integer("REDIS_PORT", &config.redis.port, 1, 65535);
    reader.String("REDIS_PASSWORD", &config.redis.password);
    reader.Integer("REDIS_DB", &config.redis.db, 0, 1000);
  } else {
    // api and worker default to a local Redis; serve starts its own.
    config.redis.configured = mode != Mode::kServe;
    if (mode != Mode::kServe) {
      reader.Integer("REDIS_PORT", &config.redis.port, 1, 65535);
      reader.String("REDIS_PASSWORD", &config.redis.password);
      reader.Integer("REDIS_DB", &config.redis.db, 0, 1000);
    }
  }

  reader.String("QUEUE_NAME", &config.queue_name);
  if (config.queue_name.find(':') != std::string::npos) {
    reader.Problem("QUEUE_NAME", "must not contain ':' (BullMQ queue names cannot)");
  }
  reader.String("QUEUE_PREFIX", &config.queue_prefix);
  reader.Integer("WORKER_CONCURRENCY", &config.worker_concurrency, 1, 64);
  reader.Integer("RATE_LIMIT_MAX", &config.rate_limit_max, 0, 1'000'000);
  reader.Integer("RATE_LIMIT_DURATION_MS", &config.rate_limit_duration_ms, 1, 86'400'000);
  reader.Integer("JOB_TIMEOUT_MS", &config.job_timeout_ms, 1000, 86'400'000);
  reader.Integer("SHUTDOWN_GRACE_MS", &config.shutdown_grace_ms, 0, 3'600'000);
  reader.Integer("JOB_ATTEMPTS", &config.job_attempts, 1, 100);
  reader.Integer("JOB_BACKOFF_MS", &config.job_backoff_ms, 0, 86'400'000);
  reader.Integer("FAILED_JOB_TTL_DAYS", &config.failed_job_ttl_days, 0, 3650);
  reader.Integer("COMPLETED_JOB_TTL_DAYS", &config.completed_job_ttl_days, 0, 3650);
  reader.Integer("JOB_LOCK_MS", &config.job_lock_ms, 1000, 3'600'000);
  reader.Integer("STALLED_INTERVAL_MS", &config.stalled_interval_ms, 1000, 3'600'000);

  // Storage.
  if (auto provider = reader.Get("ASSET_STORAGE_PROVIDER")) {
    const std::string value = Lower(*provider);
    if (value == "local") {
      config.storage_provider = StorageProvider::kLocal;
    } else if (value == "s3") {
      config.storage_provider = StorageProvider::kS3;
    } else if (value == "supabase") {
      config.storage_provider = StorageProvider::kSupabase;
    } else {
      reader.Problem("ASSET_STORAGE_PROVIDER", "must be local, s3 or supabase");
    }
  }
  reader.String("DATA_DIR", &config.data_dir);
  config.local_storage_dir = config.data_dir + "/videos";
  reader.String("LOCAL_STORAGE_DIR", &config.local_storage_dir);
  config.templates_dir = config.data_dir + "/templates";
  reader.String("TEMPLATES_DIR", &config.templates_dir);
  reader.String("ASSET_DIR", &config.asset_dir);
  reader.String("URL_SIGNING_SECRET", &config.url_signing_secret);
  if (config.storage_provider == StorageProvider::kLocal) {
    if (config.url_signing_secret.empty() && (mode == Mode::kApi || mode == Mode::kWorker)) {
      reader.Problem("URL_SIGNING_SECRET",
                     "is required with local storage (the same value on every API and worker)");
    } else if (!config.url_signing_secret.empty() && config.url_signing_secret.size() < 16) {
      reader.Problem("URL_SIGNING_SECRET", "must be at least 16 characters");
    }
  }
  reader.String("AWS_ACCESS_KEY_ID", &config.s3.access_key_id);
  reader.String("AWS_SECRET_ACCESS_KEY", &config.s3.secret_access_key);
  reader.String("AWS_REGION", &config.s3.region);
  reader.String("AWS_S3_BUCKET", &config.s3.bucket);
  reader.String("S3_ENDPOINT", &config.s3.endpoint);
  reader.Boolean("S3_FORCE_PATH_STYLE", &config.s3.force_path_style);
  reader.Integer("S3_MULTIPART_THRESHOLD_MB", &config.s3.multipart_threshold_mb, 5, 5 * 1024);
  reader.Integer("S3_PART_SIZE_MB", &config.s3.part_size_mb, 5, 5 * 1024);
  reader.Integer("S3_UPLOAD_CONCURRENCY", &config.s3.upload_concurrency, 1, 64);
  if (!config.s3.endpoint.empty() && !IsHttpUrl(config.s3.endpoint)) {
    reader.Problem("S3_ENDPOINT", "must be an http:// or https:// URL");
  }
  if (config.storage_provider == StorageProvider::kS3) {
    if (config.s3.bucket.empty()) reader.Problem("AWS_S3_BUCKET", "is required with s3 storage");
    if (config.s3.access_key_id.empty()) {
      reader.Problem("AWS_ACCESS_KEY_ID", "is required with s3 storage");
    }
    if (config.s3.secret_access_key.empty()) {
      reader.Problem("AWS_SECRET_ACCESS_KEY", "is required with s3 storage");
    }
  }
  reader.String("SUPABASE_URL", &config.supabase.url);
  reader.String("SUPABASE_KEY", &config.supabase.key);
  reader.String("SUPABASE_BUCKET", &config.supabase.bucket);
  if (!config.supabase.url.empty() && !IsHttpUrl(config.supabase.url)) {
    reader.Problem("SUPABASE_URL", "must be an http:// or https:// URL");
  }
  if (config.storage_provider == StorageProvider::kSupabase) {
    if (config.supabase.url.empty()) {
      reader.Problem("SUPABASE_URL", "is required with supabase storage");
    }
    if (config.supabase.key.empty()) {
      reader.Problem("SUPABASE_KEY", "is required with supabase storage");
    }
  }
  reader.Integer("SIGNED_URL_TTL_S", &config.signed_url_ttl_s, 1,
                 config.storage_provider == StorageProvider::kS3 ? kMaxS3UrlTtlS : 365LL * 86400);

  // Auth, webhooks.
  reader.String("WEBHOOK_SECRET", &config.webhook_secret);
  if (!config.webhook_secret.empty() &&
      (config.webhook_secret.rfind("whsec_", 0) != 0 ||
       !IsBase64(std::string_view(config.webhook_secret).substr(6)))) {
    reader.Problem("WEBHOOK_SECRET", "must be whsec_ followed by base64 (Standard Webhooks)");
  }
  reader.String("JWT_SECRET", &config.jwt_secret);
  reader.String("JWT_JWKS", &config.jwt_jwks);
  auto api_keys = reader.Get("API_KEYS");
  auto api_keys_file = reader.Get("API_KEYS_FILE");
  if (api_keys && api_keys_file) {
    reader.Problem("API_KEYS_FILE", "set either API_KEYS or API_KEYS_FILE, not both");
  } else if (api_keys) {
    config.api_keys = SplitList(*api_keys, ',');
  } else if (api_keys_file) {
    std::ifstream in(*api_keys_file);
    if (!in) {
      reader.Problem("API_KEYS_FILE", "cannot be read");
    } else {
      std::string line;
      while (std::getline(in, line)) {
        line = Trim(line);
        if (!line.empty() && line[0] != '#') config.api_keys.push_back(line);
      }
      if (config.api_keys.empty()) reader.Problem("API_KEYS_FILE", "holds no keys");
    }
  }
  reader.Integer("API_RATE_LIMIT_PER_MIN", &config.api_rate_limit_per_min, 0, 1'000'000);
  reader.Boolean("TRUST_PROXY", &config.trust_proxy);

  // Limits.
  reader.Integer("LIMIT_TEMPLATE_BYTES", &config.limits.template_bytes, 1024, 1LL << 30);
  reader.Number("LIMIT_DURATION_S", &config.limits.duration_s, 0.001, 86400);
  if (auto pixels = reader.Get("LIMIT_PIXELS")) {
    ParseLimitPixels(*pixels, &config.limits.pixels, reader);
  }
  reader.Integer("LIMIT_CLIPS", &config.limits.clips, 1, 100000);
  reader.Integer("LIMIT_ASSET_BYTES", &config.limits.asset_bytes, 1, 1LL << 40);
  reader.Integer("LIMIT_IMAGE_PIXELS", &config.limits.image_pixels, 1, 1'000'000'000);
  reader.Integer("LIMIT_FONTS", &config.limits.fonts, 0, 1000);

  reader.Boolean("ALLOW_PRIVATE_URLS", &config.allow_private_urls);
  reader.Integer("MAX_BODY_BYTES", &config.max_body_bytes, 1024, 1LL << 30);
  if (auto origins = reader.Get("CORS_ORIGINS")) {
    config.cors_origins = SplitList(*origins, ',');
    for (const auto& origin : config.cors_origins) {
      if (origin != "*" && !IsHttpUrl(origin)) {
        reader.Problem("CORS_ORIGINS", fmt::format("\"{}\" is neither * nor an http(s):// origin",
                                                   Reader::Clip(origin)));
      }
    }
  }

  // PUBLIC_BASE_URL last: its default depends on HOST and PORT.
  if (auto base = reader.Get("PUBLIC_BASE_URL")) {
    if (!IsHttpUrl(*base)) {
      reader.Problem("PUBLIC_BASE_URL", "must be an absolute http:// or https:// URL");
    }
    config.public_base_url = *base;
    while (!config.public_base_url.empty() && config.public_base_url.back() == '/') {
      config.public_base_url.pop_back();
    }
  } else {
    config.public_base_url = fmt::format("http://{}:{}", HostForUrl(config.host), config.port);
  }

  if (!reader.details().empty()) {
    const size_t count = reader.details().size();
    return Status(ErrorCode::kInvalidArgument,
                  count == 1 ? "The configuration has 1 problem."
                             : fmt::format("The configuration has {} problems.", count),
                  std::move(reader.details()));
  }
  return config;
}

std::vector<std::string> Config::Describe() const {
  auto secret = [](const std::string& value) { return value.empty() ? "(unset)" : "(set)"; };
  auto boolean = [](bool value) { return value ? "true" : "false"; };
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
  };
  const char* provider = storage_provider == StorageProvider::kLocal ? "local"
                         : storage_provider == StorageProvider::kS3  ? "s3"
                                                                     : "supabase";
  std::vector<std::string> lines = {
      "HOST=" + host,
      fmt::format("PORT={}", port),
      "PUBLIC_BASE_URL=" + public_base_url,
      redis.configured
          ? fmt::format("REDIS_URL=redis://{}{}:{}/{}", redis.password.empty() ? "" : "***@",
                        redis.host, redis.port, redis.db)
          : std::string("REDIS_URL=(private redis-server)"),
      "QUEUE_NAME=" + queue_name,
      "QUEUE_PREFIX=" + queue_prefix,
      fmt::format("WORKER_CONCURRENCY={}", worker_concurrency),
      fmt::format("RATE_LIMIT_MAX={}", rate_limit_max),
      fmt::format("RATE_LIMIT_DURATION_MS={}", rate_limit_duration_ms),
      fmt::format("JOB_TIMEOUT_MS={}", job_timeout_ms),
      fmt::format("SHUTDOWN_GRACE_MS={}", shutdown_grace_ms),
      fmt::format("JOB_ATTEMPTS={}", job_attempts),
      fmt::format("JOB_BACKOFF_MS={}", job_backoff_ms),
      fmt::format("FAILED_JOB_TTL_DAYS={}", failed_job_ttl_days),
      fmt::format("COMPLETED_JOB_TTL_DAYS={}", completed_job_ttl_days),
      fmt::format("ASSET_STORAGE_PROVIDER={}", provider),
      "LOCAL_STORAGE_DIR=" + local_storage_dir,
      fmt::format("URL_SIGNING_SECRET={}", secret(url_signing_secret)),
      "AWS_ACCESS_KEY_ID=" + s3.access_key_id,
      fmt::format("AWS_SECRET_ACCESS_KEY={}", secret(s3.secret_access_key)),
      "AWS_REGION=" + s3.region,
      "AWS_S3_BUCKET=" + s3.bucket,
      "S3_ENDPOINT=" + s3.endpoint,
      fmt::format("S3_FORCE_PATH_STYLE={}", boolean(s3.force_path_style)),
      "SUPABASE_URL=" + supabase.url,
      fmt::format("SUPABASE_KEY={}", secret(supabase.key)),
      "SUPABASE_BUCKET=" + supabase.bucket,
      fmt::format("SIGNED_URL_TTL_S={}", signed_url_ttl_s),
      "TEMPLATES_DIR=" + templates_dir,
      fmt::format("WEBHOOK_SECRET={}", secret(webhook_secret)),
      fmt::format("JWT_SECRET={}", secret(jwt_secret)),
      "JWT_JWKS=" + jwt_jwks,
      fmt::format("API_KEYS={}",
                  api_keys.empty() ? "(unset)" : fmt::format("({} keys)", api_keys.size())),
      fmt::format("API_RATE_LIMIT_PER_MIN={}", api_rate_limit_per_min),
      fmt::format("TRUST_PROXY={}", boolean(trust_proxy)),
      fmt::format("LIMIT_TEMPLATE_BYTES={}", limits.template_bytes),
      fmt::format("LIMIT_DURATION_S={}", limits.duration_s),
      fmt::format("LIMIT_PIXELS={}", limits.pixels),
      fmt::format("LIMIT_CLIPS={}", limits.clips),
      fmt::format("LIMIT_ASSET_BYTES={}", limits.asset_bytes),
      fmt::format("LIMIT_IMAGE_PIXELS={}", limits.image_pixels),
      fmt::format("LIMIT_FONTS={}", limits.fonts),
      "DATA_DIR=" + data_dir,
      "ASSET_DIR=" + asset_dir,
      fmt::format("ALLOW_PRIVATE_URLS={}", boolean(allow_private_urls)),
      fmt::format("MAX_BODY_BYTES={}", max_body_bytes),
      "CORS_ORIGINS=" + join(cors_origins),
      fmt::format("JOB_LOCK_MS={}", job_lock_ms),
      fmt::format("STALLED_INTERVAL_MS={}", stalled_interval_ms),
      "LOG_LEVEL=" + log_level,
  };
  return lines;
}

namespace {

// One .env line's value: "double quoted" (with \n \" \\ escapes), 'single quoted' (literal),
// or bare (an inline " #" starts a comment). Returns false for an unterminated quote or text
// after the closing quote.
bool ParseDotenvValue(std::string_view raw, std::string* out) {
  std::string text = Trim(raw);
  if (text.empty()) {
    out->clear();
    return true;
  }
  const char quote = text[0];
  if (quote == '"' || quote == '\'') {
    std::string value;
    size_t i = 1;
    bool closed = false;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c == quote) {
        closed = true;
        ++i;
        break;
      }
      if (quote == '"' && c == '\\' && i + 1 < text.size()) {
        const char next = text[++i];
        value += next == 'n' ? '\n' : next == 't' ? '\t' : next;
        continue;
      }
      value += c;
    }
    if (!closed) return false;
    const std::string tail = Trim(std::string_view(text).substr(i));
    if (!tail.empty() && tail[0] != '#') return false;
    *out = std::move(value);
    return true;
  }
  if (size_t hash = text.find(" #"); hash != std::string::npos) text = Trim(text.substr(0, hash));
  *out = text;
  return true;
}

bool IsVariableName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

Result<std::map<std::string, std::string>> ReadEnvironment(const std::string& dotenv_path) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  if (dotenv_path.empty() || access(dotenv_path.c_str(), F_OK) != 0) return env;

  std::ifstream in(dotenv_path);
  if (!in) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("The file {} cannot be read.", dotenv_path));
  }
  std::vector<ErrorDetail> problems;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string text = Trim(line);
    if (text.empty() || text[0] == '#') continue;
    if (text.rfind("export ", 0) == 0) text = Trim(std::string_view(text).substr(7));
    const size_t equals = text.find('=');
    const std::string name = equals == std::string::npos ? text : Trim(text.substr(0, equals));
    std::string value;
    if (equals == std::string::npos || !IsVariableName(name)) {
      problems.push_back({fmt::format("{}:{}", dotenv_path, line_number), "expected NAME=value"});
      continue;
    }
    if (!ParseDotenvValue(std::string_view(text).substr(equals + 1), &value)) {
      problems.push_back({fmt::format("{}:{}", dotenv_path, line_number),
                          fmt::format("the value of {} has an unterminated quote or text after "
                                      "its closing quote",
                                      name)});
      continue;
    }
    env.emplace(name, std::move(value));  // the real environment wins
  }
  if (!problems.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("The file {} is not a valid .env file.", dotenv_path),
                  std::move(problems));
  }
  return env;
}

}  // namespace vg::config

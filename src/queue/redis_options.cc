// Parsing of redis:// URLs into RedisOptions.
#include "queue/redis_options.h"

#include <fmt/format.h>

#include <charconv>

namespace vg::queue {
namespace {

bool ParseInt(std::string_view text, int* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && end == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::string RedisOptions::Describe() const { return fmt::format("{}:{}/{}", host, port, db); }

Result<RedisOptions> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Error(
        ErrorCode::kInvalidArgument,
        "The Redis URL must start with redis:// (TLS and Sentinel are not supported yet).");
  }
  RedisOptions options;
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    size_t query = db.find('?');
    db = db.substr(0, query);
    if (!db.empty() && !ParseInt(db, &options.db)) {
      return Error(ErrorCode::kInvalidArgument, "The Redis URL's database must be a number.");
    }
  }
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      options.password = PercentDecode(userinfo);
    } else {
      options.username = PercentDecode(userinfo.substr(0, colon));
      options.password = PercentDecode(userinfo.substr(colon + 1));
    }
  }
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:6379
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Error(ErrorCode::kInvalidArgument, "The Redis URL has an unclosed [IPv6] host.");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':' || !ParseInt(after.substr(1), &options.port)) {
        return Error(ErrorCode::kInvalidArgument, "The Redis URL's port must be a number.");
      }
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      if (!ParseInt(authority.substr(colon + 1), &options.port)) {
        return Error(ErrorCode::kInvalidArgument, "The Redis URL's port must be a number.");
      }
    }
  }
  if (!host.empty()) options.host = std::string(host);
  if (options.port <= 0 || options.port > 65535 || options.db < 0) {
    return Error(ErrorCode::kInvalidArgument, "The Redis URL's port or database is out of range.");
  }
  return options;
}

}  // namespace vg::queue

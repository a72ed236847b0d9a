// Submission: request body → validated job (see submission.h).
#include "api/submission.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/address_guard.h"
#include "tmpl/load.h"

namespace vg::api {
namespace {

constexpr int kMaxPriority = 2097151;
constexpr int64_t kMaxDelayMs = 365LL * 24 * 3600 * 1000;
constexpr size_t kMaxMetadataBytes = 16 * 1024;
constexpr size_t kMaxUrlBytes = 8192;
// How many times longer than its source text a parsed JSON value's compact dump can be: only
// number literals grow, at most 4.25 times ("1e14" dumps as "100000000000000.0"); 8 is safe.
constexpr int64_t kMaxDumpGrowth = 8;

Status BadArgument(std::string message) {
  return Status(ErrorCode::kInvalidArgument, std::move(message));
}

bool ValidTemplateId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

Result<nlohmann::json> ReadStoredTemplate(const config::Config& config, const std::string& id,
                                          const tmpl::Limits& limits) {
  if (!ValidTemplateId(id)) {
    return BadArgument("templateId must be 1-128 letters, digits, '-' or '_'.");
  }
  std::filesystem::path path = std::filesystem::path(config.templates_dir) / (id + ".json");
  std::ifstream in(path, std::ios::binary);
  if (config.templates_dir.empty() || !in) {
    return BadArgument(fmt::format("There is no stored template \"{}\".", id));
  }
  std::stringstream text;
  text << in.rdbuf();
  return tmpl::ParseJson(text.str(), "template", limits);
}

// Checks one asset source; appends a problem at `path` when refused.
void CheckSource(const std::string& src, const std::string& path, const config::Config& config,
                 const HostResolver& resolver, std::vector<ErrorDetail>* problems) {
  if (src.starts_with("data:")) return;
  if (src.starts_with("http://") || src.starts_with("https://") || src.starts_with("HTTP://") ||
      src.starts_with("HTTPS://")) {
    std::string host;
    if (src.size() > kMaxUrlBytes || !UrlHost(src, &host)) {
      problems->push_back({path, "The URL is not valid."});
      return;
    }
    if (config.allow_private_urls) return;
    auto resolved = resolver(host);
    if (!resolved.ok()) {
      problems->push_back({path, "The URL's host cannot be resolved."});
      return;
    }
    for (bool is_private : *resolved) {
      if (is_private) {
        problems->push_back(
            {path,
             "The URL points to a private, loopback or link-local address, which is not allowed."});
        return;
      }
    }
    return;
  }
  if (src.find("://") != std::string::npos || src.starts_with("file:")) {
    problems->push_back(
        {path, "Only http(s) URLs, data: URIs and paths inside the asset folder are allowed."});
    return;
  }
  if (config.asset_dir.empty()) {
    problems->push_back(
        {path, "Local paths are not allowed by this server (ASSET_DIR is not set)."});
    return;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path root = fs::weakly_canonical(fs::absolute(config.asset_dir, ec), ec);
  fs::path candidate = fs::path(src).is_absolute() ? fs::path(src) : root / src;
  fs::path resolved = fs::weakly_canonical(candidate, ec);
  if (ec) resolved = candidate.lexically_normal();
  auto rel = resolved.lexically_relative(root);
  if (rel.empty() || rel.native().starts_with("..") || rel.is_absolute()) {
    problems->push_back({path, "The path is outside the asset folder."});
  }
}

void CheckAssets(const tmpl::Template& t, const config::Config& config,
                 const HostResolver& resolver, std::vector<ErrorDetail>* problems) {
  for (const auto& font : t.fonts)
    CheckSource(font.src, font.path + ".src", config, resolver, problems);
  for (const auto& track : t.tracks) {
    for (const auto& clip : track.clips) {
      const std::string src_path = clip.path + ".src";
      if (const auto* bg = std::get_if<tmpl::BackgroundClip>(&clip.body)) {
        if (bg->src) CheckSource(*bg->src, src_path, config, resolver, problems);
      } else if (const auto* image = std::get_if<tmpl::ImageClip>(&clip.body)) {
        CheckSource(image->src, src_path, config, resolver, problems);
      } else if (const auto* audio = std::get_if<tmpl::AudioClip>(&clip.body)) {
        CheckSource(audio->src, src_path, config, resolver, problems);
      }
    }
  }
}

}  // namespace

HostResolver SystemHostResolver() {
  return [](const std::string& host) -> Result<std::vector<bool>> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0 || !list) {
      return Status(ErrorCode::kNotFound, "The host does not resolve.");
    }
    std::vector<bool> out;
    for (addrinfo* a = list; a; a = a->ai_next) {
      if (a->ai_addr) out.push_back(net::IsPrivateAddress(*a->ai_addr));
    }
    freeaddrinfo(list);
    return out;
  };
}

tmpl::Limits LimitsOf(const config::Config& config) { return config.limits; }

bool UrlHost(std::string_view url, std::string* host) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    *host = std::string(rest.substr(1, close - 1));
    return true;
  }
  rest = rest.substr(0, rest.find(':'));
  if (rest.empty()) return false;
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '\\' || c == '%') return false;
  }
  *host = std::string(rest);
  return true;
}

bool ParseIsoTime(std::string_view text, int64_t* unix_ms) {
  int y, mo, d, h, mi;
  double s;
  char tail[16] = {0};
  std::string copy(text.substr(0, 64));
  int n = std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%15s", &y, &mo, &d, &h, &mi, &s, tail);
  if (n < 6) return false;
  std::string_view zone(tail);
  if (zone != "Z" && zone != "z" && zone != "+00:00") return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s < 0 || s >= 61) return false;
  // Days from civil (Howard Hinnant's algorithm).
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  *unix_ms = ((days * 24 + h) * 60 + mi) * 60000 + static_cast<int64_t>(s * 1000 + 0.5);
  return true;
}

Result<Submission> ParseSubmission(std::string_view body, const config::Config& config,
                                   int64_t now_unix_ms, const HostResolver& resolver) {
  tmpl::Limits limits = LimitsOf(config);
  tmpl::Limits body_limits = limits;
  body_limits.template_bytes = std::max<int64_t>(config.max_body_bytes, limits.template_bytes);
  auto parsed = tmpl::ParseJson(body, "request body", body_limits);
  if (!parsed.ok()) {
    if (parsed.error().code() == ErrorCode::kLimitExceeded) {
      return Status(ErrorCode::kInvalidJson, parsed.error().message());
    }
    return parsed.error();
  }
  nlohmann::json request = std::move(*parsed);
  if (!request.is_object()) {
    return Status(ErrorCode::kInvalidJson, "The request body must be a JSON object.");
  }

  nlohmann::json template_json;
  bool has_template = request.contains("template") && !request["template"].is_null();
  bool has_id = request.contains("templateId") && !request["templateId"].is_null();
  if (has_template == has_id) {
    return BadArgument("Give exactly one of \"template\" and \"templateId\".");
  }
  if (has_template) {
    if (!request["template"].is_object()) return BadArgument("\"template\" must be an object.");
    template_json = std::move(request["template"]);
  } else {
    if (!request["templateId"].is_string()) return BadArgument("\"templateId\" must be a string.");
    VG_ASSIGN_OR_RETURN(
        template_json,
        ReadStoredTemplate(config, request["templateId"].get<std::string>(), limits));
    if (!template_json.is_object()) return BadArgument("The stored template is not an object.");
  }
  // The limit is on the template's compact JSON. An inline template's compact form is at most
  // kMaxDumpGrowth times its text in the body (only number literals grow: "1e9" dumps as
  // "1000000000.0"), so a body that small cannot hold one over the limit: no dump() needed.
  const bool surely_small =
      has_template &&
      static_cast<int64_t>(body.size()) <= limits.template_bytes / kMaxDumpGrowth;
  if (!surely_small && static_cast<int64_t>(template_json.dump().size()) > limits.template_bytes) {
    return Status(ErrorCode::kLimitExceeded,
                  fmt::format("The template is larger than {} bytes.", limits.template_bytes),
                  {{"template", "too large"}});
  }

  Submission out;
  nlohmann::json input = nlohmann::json::object();
  if (request.contains("input") && !request["input"].is_null()) {
    if (!request["input"].is_object()) return BadArgument("\"input\" must be an object.");
    input = std::move(request["input"]);
  }
  if (request.contains("output") && !request["output"].is_null()) {
    if (!request["output"].is_object()) return BadArgument("\"output\" must be an object.");
    if (!template_json.contains("output") || !template_json["output"].is_object()) {
      template_json["output"] = nlohmann::json::object();
    }
    for (const auto& [k, v] : request["output"].items()) template_json["output"][k] = v;
    out.job_data["output"] = request["output"];
  }

  std::string webhook_url;
  if (request.contains("webhookUrl") && !request["webhookUrl"].is_null()) {
    if (!request["webhookUrl"].is_string()) return BadArgument("\"webhookUrl\" must be a string.");
    webhook_url = request["webhookUrl"].get<std::string>();
    std::string lower = webhook_url.substr(0, 8);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string host;
    if (!(lower.starts_with("http://") || lower.starts_with("https://")) ||
        webhook_url.size() > kMaxUrlBytes || !UrlHost(webhook_url, &host)) {
      return BadArgument("\"webhookUrl\" must be an http or https URL.");
    }
    if (!config.allow_private_urls) {
      auto resolved = resolver(host);
      if (!resolved.ok()) return BadArgument("\"webhookUrl\"'s host cannot be resolved.");
      for (bool is_private : *resolved) {
        if (is_private) {
          return BadArgument("\"webhookUrl\" points to a private, loopback or link-local address.");
        }
      }
    }
    out.job_data["webhookUrl"] = webhook_url;
  }

  if (request.contains("priority") && !request["priority"].is_null()) {
    const auto& p = request["priority"];
    if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() > kMaxPriority) {
      return BadArgument(
          fmt::format("\"priority\" must be an integer from 0 to {}.", kMaxPriority));
    }
    out.priority = static_cast<int>(p.get<int64_t>());
  }
  bool has_delay = request.contains("delay") && !request["delay"].is_null();
  bool has_run_at = request.contains("runAt") && !request["runAt"].is_null();
  if (has_delay && has_run_at) return BadArgument("Give \"delay\" or \"runAt\", not both.");
  if (has_delay) {
    const auto& d = request["delay"];
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > kMaxDelayMs) {
      return BadArgument("\"delay\" must be a whole number of milliseconds from 0 to one year.");
    }
    out.delay_ms = d.get<int64_t>();
  }
  if (has_run_at) {
    int64_t at = 0;
    if (!request["runAt"].is_string() || !ParseIsoTime(request["runAt"].get<std::string>(), &at)) {
      return BadArgument("\"runAt\" must be an ISO-8601 UTC time such as 2026-01-31T12:00:00Z.");
    }
    out.delay_ms = std::clamp<int64_t>(at - now_unix_ms, 0, kMaxDelayMs);
  }
  if (request.contains("metadata") && !request["metadata"].is_null()) {
    if (!request["metadata"].is_object()) return BadArgument("\"metadata\" must be an object.");
    if (request["metadata"].dump().size() > kMaxMetadataBytes) {
      return BadArgument(fmt::format("\"metadata\" must be at most {} bytes.", kMaxMetadataBytes));
    }
    out.job_data["metadata"] = std::move(request["metadata"]);
  }

  VG_ASSIGN_OR_RETURN(out.tmpl, tmpl::Load(template_json, input, limits));
  std::vector<ErrorDetail> problems;
  CheckAssets(out.tmpl, config, resolver, &problems);
  if (!problems.empty()) {
    return Status(ErrorCode::kInvalidTemplate,
                  problems.size() == 1
                      ? "An asset source is not allowed."
                      : fmt::format("{} asset sources are not allowed.", problems.size()),
                  std::move(problems));
  }
  out.job_data["template"] = std::move(template_json);
  out.job_data["input"] = std::move(input);
  return out;
}

}  // namespace vg::api

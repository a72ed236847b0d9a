// Submission: the body of POST /api/video/generate and /validate turned into a validated job
// (API.md "POST /api/video/generate"): the template (inline or `templateId` from
// TEMPLATES_DIR) with the `output` overrides merged, resolved and validated with tmpl exactly
// as the CLI does under the config's limits; then the submission-time checks the worker
// relies on: asset sources (scheme, SSRF on http(s) hosts, local paths inside ASSET_DIR),
// webhookUrl, priority, delay/runAt and metadata. Nothing is fetched or queued here.
//
// Pure apart from reading TEMPLATES_DIR files, checking ASSET_DIR paths and resolving host
// names; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "tmpl/template.h"

namespace vg::api {

// Resolves a host name to its addresses' private-ness: returns for each resolved address
// whether it is private (net::IsPrivateAddress). kNotFound when the name does not resolve.
// Swappable for tests; the default uses getaddrinfo.
using HostResolver = std::function<Result<std::vector<bool>>(const std::string& host)>;
HostResolver SystemHostResolver();

struct Submission {
  nlohmann::json job_data;  // {template, input, output?, webhookUrl?, metadata?} (no owner yet)
  tmpl::Template tmpl;      // the validated template
  int priority = 0;
  int64_t delay_ms = 0;
};

// Parses and checks a request body. Errors: kInvalidJson (not JSON or not an object),
// kInvalidArgument (bad field types, priority, delay/runAt, webhookUrl, templateId),
// kNotFound→kInvalidArgument for an unknown templateId, kInvalidTemplate / kLimitExceeded with
// details (template and input problems, refused asset sources).
Result<Submission> ParseSubmission(std::string_view body, const config::Config& config,
                                   int64_t now_unix_ms, const HostResolver& resolver);

// The tmpl limits of the config.
tmpl::Limits LimitsOf(const config::Config& config);

// Splits "scheme://[user@]host[:port]/..." into its host (IPv6 without brackets); false if
// there is no host.
bool UrlHost(std::string_view url, std::string* host);

// Parses an ISO-8601 UTC time ("2026-11-25T18:40:11Z", fraction and "+00:00" allowed) to Unix
// ms; false when it does not parse.
bool ParseIsoTime(std::string_view text, int64_t* unix_ms);

}  // namespace vg::api

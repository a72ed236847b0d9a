// URL redaction over libcurl's URL parser, so the host and path we log are the ones curl uses.
#include "net/url.h"

#include <curl/curl.h>

#include <cctype>

#include "base/c_handle.h"

namespace vg::net {
namespace {

using CurlUrl = CHandle<CURLU, curl_url_cleanup>;

// One part of a parsed URL, or "" when absent.
std::string UrlPart(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, 0) != CURLUE_OK || text == nullptr) return "";
  std::string out(text);
  curl_free(text);
  return out;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  CurlUrl parsed(curl_url());
  if (!parsed) return "<unparsable url>";
  const std::string copy(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) {
    return "<unparsable url>";
  }
  std::string out = UrlPart(parsed.get(), CURLUPART_SCHEME);
  out += "://";
  out += UrlPart(parsed.get(), CURLUPART_HOST);
  const std::string port = UrlPart(parsed.get(), CURLUPART_PORT);
  if (!port.empty()) out += ":" + port;
  const std::string path = UrlPart(parsed.get(), CURLUPART_PATH);
  out += path.empty() ? "/" : path;
  return out;
}

bool HasHttpScheme(std::string_view url) {
  return StartsWithIgnoreCase(url, "http://") || StartsWithIgnoreCase(url, "https://");
}

}  // namespace vg::net

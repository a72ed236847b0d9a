// CurlHttpClient: the real HttpClient, over libcurl's easy interface with one handle per
// request (no shared connection pool). It enforces, per request: http/https only (redirects
// too), a total and a connect timeout, at most `max_redirects` hops, a body limit checked on
// Content-Length first and then on every received byte, and the SSRF guard, which inspects
// the address curl is about to connect to (after DNS, on every hop) and refuses private ones
// unless allowed. Proxies from the environment are ignored, so the guard sees the real peer.
// Only scheme://host/path of URLs is logged.
#pragma once

#include <memory>
#include <vector>

#include "net/http_client.h"

namespace vg::net {

struct CurlHttpClientOptions {
  // false (service default): connections to private, loopback, link-local, CGNAT, multicast
  // and unspecified addresses are refused (IsPrivateAddress). true: anything goes (CLI,
  // ALLOW_PRIVATE_URLS=true).
  bool allow_private_addresses = false;
  // Tests only, never from configuration: loopback connections to these ports count as
  // public, so one loopback test server can stand for a public host that redirects to a
  // private one.
  std::vector<int> public_loopback_ports_for_testing;
  std::string user_agent = "vidgen/0.1";
};

// Thread-safe: any number of threads may call Get/Post/Send at once (each call has its own
// handle). The calls of one client share a connection cache, TLS sessions and resolved names
// (a libcurl share handle): a connection left open by one request is reused by the next to the
// same host, so a multipart upload or a run of webhooks to one receiver pays one TCP and TLS
// handshake, not one per request. Connections are only ever opened through the address guard;
// clients with different options never share.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpResult Get(const HttpRequest& request) override;
  HttpResult Post(const HttpRequest& request) override;
  HttpResult Send(const HttpRequest& request) override;

 private:
  enum class Method { kGet, kPost, kSend };
  HttpResult Perform(const HttpRequest& request, Method method);

  struct Share;  // the libcurl share handle and its locks
  CurlHttpClientOptions options_;
  std::unique_ptr<Share> share_;
};

}  // namespace vg::net

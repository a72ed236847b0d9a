// A tiny blocking HTTP/1.1 client over a loopback socket for the API tests: sends the bytes
// it is given (so tests can send malformed requests) and reads one response. Not thread-safe
// per call site; each call uses its own connection.
#pragma once

#include <map>
#include <string>

namespace vg::api::testing {

struct HttpResponse {
  int status = 0;                              // 0 = no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// Sends `raw` to 127.0.0.1:port and reads one response (until Content-Length or close). With
// `piece_bytes` > 0 the request goes out in pieces of that size, `pause_ms` apart (a slow
// client).
HttpResponse SendRaw(int port, const std::string& raw, int timeout_ms = 10000,
                     size_t piece_bytes = 0, int pause_ms = 0);

// A well-formed request with Connection: close. `headers` are "Name: value" lines joined with
// "\r\n" (may be empty).
HttpResponse Request(int port, const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& headers = "");

}  // namespace vg::api::testing

// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 for tests (linked into test binaries
// only, as vg_net_testing). It binds port 0, serves each connection on its own thread with
// `Connection: close` (or, with set_keep_alive(true), answers requests on a connection until the
// client closes it), counts requests per path and connections, and can misbehave on purpose: stream
// a chunked body forever, stall after the headers, or delay its answer. Never listens beyond
// loopback.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "net/http_client.h"

namespace vg::net::testing {

struct TestRequest {
  std::string method;
  std::string target;  // path with query, as sent
  std::string path;    // without the query
  std::vector<HttpHeader> headers;
  std::string body;
};

struct TestReply {
  enum class Body {
    kFixed,           // `body` with a Content-Length
    kChunkedForever,  // chunked, 64 KiB chunks until the client goes away or Stop()
    kStall,           // headers (Content-Length: 1000000) and `body`, then nothing
  };
  int status = 200;
  std::vector<HttpHeader> headers;
  std::string body;
  Body mode = Body::kFixed;
  int delay_ms = 0;  // wait this long before answering
  // Sends this Content-Length instead of the real one (a lying header), when ≥ 0.
  long long claimed_content_length = -1;
};

using TestHandler = std::function<TestReply(const TestRequest&)>;

// Thread-safe: the handler runs on connection threads (it must be thread-safe itself);
// hits() and port() may be called from any thread.
class TestHttpServer {
 public:
  explicit TestHttpServer(TestHandler handler);
  ~TestHttpServer();  // Stop()
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Binds 127.0.0.1:0 and starts accepting. Errors: kInternal with errno text.
  Status Start();
  // Stops accepting, aborts open connections and joins every thread.
  void Stop();

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>"
  std::string Url(const std::string& path) const;
  // Requests received for `path` (without query) so far.
  int hits(const std::string& path) const;
  // Connections accepted so far.
  int connections() const { return connections_.load(); }
  // Before Start(): keep connections open between kFixed answers (HTTP/1.1 keep-alive).
  void set_keep_alive(bool keep_alive) { keep_alive_ = keep_alive; }
  // Before Start(): answer as if keeping the connection (no `Connection: close`), then close it
  // anyway: a server that drops idle connections, which a client reusing them must survive.
  void set_drop_after_reply(bool drop) { drop_after_reply_ = drop; }

 private:
  void AcceptLoop();
  void Serve(int fd);

  TestHandler handler_;
  bool keep_alive_ = false;
  bool drop_after_reply_ = false;
  std::atomic<int> connections_{0};
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  mutable std::mutex mutex_;
  std::vector<std::thread> connection_threads_;
  std::vector<int> connection_fds_;
  std::map<std::string, int> hits_;
};

// SilentListener: listens on 127.0.0.1:0 and never accepts, reads or answers. Connections still
// complete (the kernel queues them) and the data sent fills the socket buffers, then nothing
// moves: a server that stopped reading mid-upload. Not thread-safe; the destructor closes it.
class SilentListener {
 public:
  SilentListener() = default;
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  Status Start();
  int port() const { return port_; }
  std::string Url(const std::string& path) const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace vg::net::testing

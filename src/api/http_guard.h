// HTTP guard: gives malformed requests an HTTP answer. RESTinio 0.6 closes a connection whose
// bytes http_parser rejects (a garbage request line, control bytes in a header, headers over
// http_parser's 80 KiB, or over one of RESTinio's own limits) without writing anything:
// connection_t::consume_data() goes straight to trigger_error_and_close(), and neither the
// parser settings nor the connection-state listener can write to the socket. The one hook
// that sees the bytes first is the stream socket type in the server's traits
// (Traits::stream_socket_t, the same hook RESTinio's TLS support uses). GuardedSocket wraps the
// TCP socket: a RequestScanner (a second http_parser with the same limits as RESTinio's) reads
// every byte before RESTinio does. When it finds a bad request it hands RESTinio only the
// complete requests before it (they are answered first, in order), waits until RESTinio's
// writes are done, writes `400 Bad Request` / `414 URI Too Long` / `431 Request Header Fields
// Too Large` with the documented error JSON and `Connection: close`, shuts down sending and then
// ends RESTinio's read with EOF, so RESTinio closes the connection as before. After an Upgrade
// request (WebSocket) the guard steps aside: the rest of the stream is not HTTP.
//
// Internal to the api module (server.cc); RESTinio and Asio types appear here on purpose.
//
// Thread safety: a GuardedSocket is used on its connection's strand, like the socket it wraps;
// its state is touched only from handlers bound to that strand. RequestScanner is not
// thread-safe (one per connection). HttpGuardSettings are read-only once serving starts.
#pragma once

#include <http_parser.h>

#include <asio.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <restinio/asio_include.hpp>
#include <restinio/compiler_features.hpp>
#include <restinio/impl/sendfile_operation.hpp>
#include <restinio/tls_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>

namespace vg::api {

// The limits RESTinio is configured with (server.cc passes the same numbers to both), plus a
// total for all header fields of one request.
struct RequestLimits {
  size_t max_url_bytes = 8192;
  size_t max_field_name_bytes = 1024;
  size_t max_field_value_bytes = 65536;  // as RESTinio: a value reaching this size is refused
  size_t max_field_count = 100;
  size_t max_header_bytes = 16384;  // names + values of all fields of one request
  // Mirrors the server's parser hook for oversized bodies (server.cc): a Content-Length over
  // this skips the body, so both parsers see the same message boundaries.
  uint64_t max_body_bytes = 2097152;
};

// What a bad request is answered with.
struct Rejection {
  int status = 400;     // 400, 414 or 431
  std::string error;    // the API's error code: invalid_argument, uri_too_long,
                        // headers_too_large
  std::string message;  // a plain sentence
  // The full HTTP answer: status line, Content-Type, Content-Length, Connection: close, body.
  std::string Response() const;
};

// A second http_parser over a connection's bytes, with RESTinio's limits. Not thread-safe.
class RequestScanner {
 public:
  explicit RequestScanner(RequestLimits limits);
  RequestScanner(const RequestScanner&) = delete;
  RequestScanner& operator=(const RequestScanner&) = delete;

  struct Verdict {
    // Offset just past the last request that ended in these bytes, if one did.
    std::optional<size_t> last_request_end;
    // The first bad request, if these bytes hold one; the scanner stays failed after it.
    std::optional<Rejection> rejection;
  };
  // Scans the connection's next bytes.
  Verdict Feed(const char* data, size_t size);
  // True once a request asked for an Upgrade: the rest of the stream is not HTTP.
  bool upgraded() const { return upgraded_; }

 private:
  enum class Limit { kNone, kUrl, kHeaders };
  static int OnMessageBegin(http_parser* parser);
  static int OnUrl(http_parser* parser, const char* at, size_t length);
  static int OnHeaderField(http_parser* parser, const char* at, size_t length);
  static int OnHeaderValue(http_parser* parser, const char* at, size_t length);
  static int OnHeadersComplete(http_parser* parser);
  static int OnMessageComplete(http_parser* parser);

  const RequestLimits limits_;
  http_parser_settings settings_{};
  http_parser parser_{};
  bool failed_ = false;
  bool upgraded_ = false;
  // Per request.
  Limit exceeded_ = Limit::kNone;
  size_t url_bytes_ = 0;
  size_t field_name_bytes_ = 0;
  size_t field_value_bytes_ = 0;
  size_t field_count_ = 0;
  size_t header_bytes_ = 0;
  bool last_was_value_ = true;
};

// The guard's settings.
struct HttpGuardSettings {
  RequestLimits limits;
  // Called on the connection's strand for each bad request, before it is answered.
  std::function<void(const Rejection&)> on_reject;
};

// Where every GuardedSocket of a server finds its settings: an Asio service of the server's
// io_context (RESTinio constructs sockets from the io_context alone). A socket on an
// io_context without it is not guarded.
class HttpGuardService final : public asio::execution_context::service {
 public:
  inline static asio::execution_context::id id;  // Asio's type tag for the service

  explicit HttpGuardService(asio::execution_context& context) : service(context) {}
  HttpGuardSettings settings;  // set before the server starts; read-only afterwards

 private:
  void shutdown() override {}
};

namespace internal {

// The guard's per-connection state, shared with the handlers in flight.
struct GuardState {
  GuardState(const HttpGuardSettings& guard, asio::ip::tcp::socket& tcp)
      : settings(guard), scanner(guard.limits), socket(&tcp), parked(tcp.get_executor()) {}

  const HttpGuardSettings& settings;
  RequestScanner scanner;
  asio::ip::tcp::socket* socket;  // the GuardedSocket's; updated when it moves
  std::optional<Rejection> rejection;
  std::string answer;        // rejection->Response()
  int writes_in_flight = 0;  // RESTinio's async_write_some calls not yet completed
  bool read_parked = false;  // RESTinio's read waits on `parked` for the answer
  bool answer_started = false;
  bool read_cancelled = false;  // cancel()/close() came while the read was parked
  // A parked read waits on this timer (never expiring; cancel() wakes it), so its handler
  // always lives in Asio's queues and is destroyed with the io_context if never run.
  asio::steady_timer parked;
};

}  // namespace internal

// The stream socket type of the server's traits: an asio TCP socket plus the guard.
class GuardedSocket {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;

  explicit GuardedSocket(asio::io_context& io) : socket_(io), settings_(GuardSettingsOf(io)) {}
  GuardedSocket(GuardedSocket&& other) noexcept
      : socket_(std::move(other.socket_)),
        settings_(other.settings_),
        state_(std::move(other.state_)) {
    if (state_) state_->socket = &socket_;
  }
  GuardedSocket& operator=(GuardedSocket&& other) noexcept {
    socket_ = std::move(other.socket_);
    settings_ = other.settings_;
    state_ = std::move(other.state_);
    if (state_) state_->socket = &socket_;
    return *this;
  }
  GuardedSocket(const GuardedSocket&) = delete;
  GuardedSocket& operator=(const GuardedSocket&) = delete;

  asio::ip::tcp::socket& lowest_layer() { return socket_; }
  const asio::ip::tcp::socket& lowest_layer() const { return socket_; }
  executor_type get_executor() { return socket_.get_executor(); }
  auto remote_endpoint() const { return socket_.remote_endpoint(); }
  bool is_open() const { return socket_.is_open(); }

  template <typename... Args>
  void cancel(Args&&... args) {
    socket_.cancel(std::forward<Args>(args)...);
    WakeParkedRead();
  }
  template <typename... Args>
  void shutdown(Args&&... args) {
    socket_.shutdown(std::forward<Args>(args)...);
  }
  template <typename... Args>
  void close(Args&&... args) {
    socket_.close(std::forward<Args>(args)...);
    WakeParkedRead();
  }

  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (!state_ && settings_ != nullptr) {
      state_ = std::make_shared<internal::GuardState>(*settings_, socket_);
    }
    if (!state_ || state_->scanner.upgraded()) {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
      return;
    }
    if (state_->rejection) {
      ParkAndAnswer(state_, std::forward<Handler>(handler));
      return;
    }
    auto executor = asio::get_associated_executor(handler, socket_.get_executor());
    socket_.async_read_some(
        buffers,
        asio::bind_executor(executor, [state = state_, buffers, h = std::forward<Handler>(handler)](
                                          const asio::error_code& ec, size_t n) mutable {
          if (ec || state->scanner.upgraded()) {
            h(ec, n);
            return;
          }
          const size_t clean = Scan(*state, buffers, n);
          if (!state->rejection) {
            h(ec, n);
          } else if (clean > 0) {
            h(ec, clean);  // the complete requests first; the next read gets the answer
          } else {
            ParkAndAnswer(state, std::move(h));
          }
        }));
  }

  template <typename ConstBuffers, typename Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (!state_ || state_->scanner.upgraded()) {
      socket_.async_write_some(buffers, std::forward<Handler>(handler));
      return;
    }
    ++state_->writes_in_flight;
    auto executor = asio::get_associated_executor(handler, socket_.get_executor());
    socket_.async_write_some(
        buffers, asio::bind_executor(executor, [state = state_, h = std::forward<Handler>(handler)](
                                                   const asio::error_code& ec, size_t n) mutable {
          h(ec, n);  // a composed write starts its next piece in here, before the count drops
          if (--state->writes_in_flight == 0 && state->read_parked) state->parked.cancel();
        }));
  }

  // Counts a write that bypasses async_write_some (RESTinio's zero-copy sendfile of /files
  // downloads, below) until `done` runs, so an answer is never written in the middle of it.
  template <typename Callback>
  auto TrackWrite(Callback done) {
    if (state_) ++state_->writes_in_flight;
    return [state = state_, done = std::move(done)](const asio::error_code& ec, auto transferred) {
      done(ec, transferred);
      if (state && --state->writes_in_flight == 0 && state->read_parked) state->parked.cancel();
    };
  }

 private:
  static const HttpGuardSettings* GuardSettingsOf(asio::io_context& io) {
    if (!asio::has_service<HttpGuardService>(io)) return nullptr;
    return &asio::use_service<HttpGuardService>(io).settings;
  }

  // Feeds the first `n` bytes of `buffers` to the scanner; on a bad request records it and
  // returns how many bytes end the last complete request before it (n when all is well).
  template <typename MutableBuffers>
  static size_t Scan(internal::GuardState& state, const MutableBuffers& buffers, size_t n) {
    size_t base = 0;
    size_t clean = 0;
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && base < n; ++it) {
      const asio::mutable_buffer piece(*it);
      const size_t size = std::min(piece.size(), n - base);
      RequestScanner::Verdict verdict =
          state.scanner.Feed(static_cast<const char*>(piece.data()), size);
      if (verdict.last_request_end) clean = base + *verdict.last_request_end;
      if (verdict.rejection) {
        state.rejection = std::move(verdict.rejection);
        state.answer = state.rejection->Response();
        if (state.settings.on_reject) state.settings.on_reject(*state.rejection);
        return clean;
      }
      if (state.scanner.upgraded()) return n;
      base += size;
    }
    return n;
  }

  // Parks RESTinio's read until its writes are done, then writes the answer and ends the read
  // with EOF (RESTinio then closes the connection).
  template <typename Handler>
  static void ParkAndAnswer(std::shared_ptr<internal::GuardState> state, Handler&& handler) {
    auto executor = asio::get_associated_executor(handler, state->socket->get_executor());
    state->read_parked = true;
    state->parked.expires_at(asio::steady_timer::time_point::max());
    state->parked.async_wait(asio::bind_executor(
        executor,
        [state, executor, h = std::forward<Handler>(handler)](const asio::error_code&) mutable {
          state->read_parked = false;
          if (state->read_cancelled || !state->socket->is_open()) {
            state->read_cancelled = false;
            h(asio::error::operation_aborted, size_t{0});
            return;
          }
          if (state->writes_in_flight > 0) {  // a write began after the wake-up: wait again
            ParkAndAnswer(state, std::move(h));
            return;
          }
          state->answer_started = true;
          asio::async_write(
              *state->socket, asio::buffer(state->answer),
              asio::bind_executor(
                  executor, [state, h = std::move(h)](const asio::error_code&, size_t) mutable {
                    asio::error_code ignored;
                    state->socket->shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                    h(asio::error::eof, size_t{0});
                  }));
        }));
    if (state->writes_in_flight == 0) state->parked.cancel();  // nothing to wait for
  }

  // cancel()/close() by RESTinio: a parked read ends as aborted (as a real read would).
  void WakeParkedRead() {
    if (state_ && state_->read_parked && !state_->answer_started) {
      state_->read_cancelled = true;
      state_->parked.cancel();
    }
  }

  asio::ip::tcp::socket socket_;
  const HttpGuardSettings* settings_;  // null: no guard (a plain io_context)
  std::shared_ptr<internal::GuardState> state_;
};

// RESTinio picks these per socket type by argument-dependent lookup (connection.hpp has the
// ones for asio's TCP socket; tls.hpp the TLS ones): no preparation, no TLS socket to show.
template <typename Connection, typename StartReadCallback, typename FailedCallback>
void prepare_connection_and_start_read(GuardedSocket&, Connection&, StartReadCallback start_read,
                                       FailedCallback) {
  start_read();
}
inline restinio::impl::tls_socket_t* make_tls_socket_pointer_for_state_listener(
    GuardedSocket&) noexcept {
  return nullptr;
}

}  // namespace vg::api

namespace restinio::impl {

// /files downloads keep Linux sendfile() (RESTinio's runner for a plain TCP socket, on the
// socket inside the guard) instead of the generic read-and-write runner with its 1 MiB
// buffer per download; the guard counts the transfer as a write in flight.
template <>
class sendfile_operation_runner_t<vg::api::GuardedSocket> final : public sendfile_operation_base_t {
 public:
  sendfile_operation_runner_t(const sendfile_t& file, default_asio_executor executor,
                              vg::api::GuardedSocket& socket, after_sendfile_cb_t after)
      : runner_(std::make_shared<sendfile_operation_runner_t<asio::ip::tcp::socket>>(
            file, std::move(executor), socket.lowest_layer(),
            after_sendfile_cb_t(socket.TrackWrite(std::move(after))))) {}
  void start() override { runner_->start(); }

 private:
  std::shared_ptr<sendfile_operation_runner_t<asio::ip::tcp::socket>> runner_;
};

}  // namespace restinio::impl

// Loopback HTTP server for tests: blocking POSIX sockets, one thread per connection.
#include "net/test_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/result.h"

namespace vg::net::testing {
namespace {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 307:
      return "Temporary Redirect";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Reads one request (headers, then a Content-Length body). False on EOF or garbage.
bool ReadRequest(int fd, TestRequest* request) {
  std::string data;
  char buffer[4096];
  size_t header_end = std::string::npos;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > 64 * 1024) return false;
    const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data.append(buffer, static_cast<size_t>(got));
  }
  const std::string head = data.substr(0, header_end);
  std::string rest = data.substr(header_end + 4);
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t first_space = request_line.find(' ');
  const size_t second_space = request_line.find(' ', first_space + 1);
  if (first_space == std::string::npos || second_space == std::string::npos) return false;
  request->method = request_line.substr(0, first_space);
  request->target = request_line.substr(first_space + 1, second_space - first_space - 1);
  request->path = request->target.substr(0, request->target.find('?'));
  size_t content_length = 0;
  while (line_end != std::string::npos) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(
        line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      request->headers.push_back({line.substr(0, colon), value});
      if (strcasecmp(line.substr(0, colon).c_str(), "content-length") == 0) {
        content_length = std::stoul(value);
      }
    }
    line_end = next;
  }
  while (rest.size() < content_length) {
    const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    rest.append(buffer, static_cast<size_t>(got));
  }
  request->body = rest.substr(0, content_length);
  return true;
}

// A listening socket on 127.0.0.1 with a free port: its fd (kept even on failure, for the
// owner to close) and port.
Status ListenOnLoopback(int backlog, int* fd, int* port) {
  *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*fd < 0) return Error(ErrorCode::kInternal, std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(*fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(*fd, backlog) != 0) {
    return Error(ErrorCode::kInternal, std::string("bind/listen: ") + std::strerror(errno));
  }
  socklen_t length = sizeof(address);
  getsockname(*fd, reinterpret_cast<sockaddr*>(&address), &length);
  *port = ntohs(address.sin_port);
  return Status::Ok();
}

}  // namespace

TestHttpServer::TestHttpServer(TestHandler handler) : handler_(std::move(handler)) {}

TestHttpServer::~TestHttpServer() { Stop(); }

Status TestHttpServer::Start() {
  VG_RETURN_IF_ERROR(ListenOnLoopback(64, &listen_fd_, &port_));
  if (pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    return Error(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void TestHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_pipe_[1] >= 0) {
    const char byte = 1;
    static_cast<void>(write(wake_pipe_[1], &byte, 1));
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : connection_fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(connection_threads_);
  }
  for (std::thread& thread : threads) thread.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  for (int& fd : wake_pipe_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  listen_fd_ = -1;
}

std::string TestHttpServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

int TestHttpServer::hits(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = hits_.find(path);
  return it == hits_.end() ? 0 : it->second;
}

void TestHttpServer::AcceptLoop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mutex_);
    connection_fds_.push_back(fd);
    connection_threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void TestHttpServer::Serve(int fd) {
  TestRequest request;
  while (!stopping_ && ReadRequest(fd, &request)) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++hits_[request.path];
    }
    const TestReply reply = handler_(request);
    // Waits in small steps so Stop() is never held up for long.
    const auto wait = [this](int ms) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    };
    wait(reply.delay_ms);
    const bool keep = keep_alive_ && !drop_after_reply_ && reply.mode == TestReply::Body::kFixed;
    const bool say_close = !keep && !drop_after_reply_;
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + Reason(reply.status) +
                       (say_close ? "\r\nConnection: close\r\n" : "\r\n");
    for (const HttpHeader& header : reply.headers) {
      head += header.name + ": " + header.value + "\r\n";
    }
    bool ok = true;
    switch (reply.mode) {
      case TestReply::Body::kFixed: {
        const long long length = reply.claimed_content_length >= 0
                                     ? reply.claimed_content_length
                                     : static_cast<long long>(reply.body.size());
        head += "Content-Length: " + std::to_string(length) + "\r\n\r\n";
        ok = SendAll(fd, head) && (request.method == "HEAD" || SendAll(fd, reply.body));
        break;
      }
      case TestReply::Body::kChunkedForever: {
        head += "Transfer-Encoding: chunked\r\n\r\n";
        ok = SendAll(fd, head);
        const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
        while (ok && !stopping_) ok = SendAll(fd, chunk);
        break;
      }
      case TestReply::Body::kStall: {
        head += "Content-Length: 1000000\r\n\r\n";
        ok = SendAll(fd, head) && SendAll(fd, reply.body);
        // Hold the connection until the client gives up (EOF) or the server stops.
        char byte;
        while (ok && !stopping_) {
          pollfd pfd{fd, POLLIN, 0};
          if (poll(&pfd, 1, 20) > 0 && recv(fd, &byte, 1, 0) <= 0) break;
        }
        break;
      }
    }
    if (!ok || !keep) break;
    request = TestRequest();
  }
  shutdown(fd, SHUT_WR);
  // Drain briefly so the client sees our FIN rather than a reset.
  char buffer[256];
  pollfd pfd{fd, POLLIN, 0};
  while (poll(&pfd, 1, 50) > 0 && recv(fd, buffer, sizeof(buffer), 0) > 0) {
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = connection_fds_.begin(); it != connection_fds_.end(); ++it) {
    if (*it == fd) {
      connection_fds_.erase(it);
      break;
    }
  }
  close(fd);
}

SilentListener::~SilentListener() {
  if (fd_ >= 0) close(fd_);
}

Status SilentListener::Start() { return ListenOnLoopback(16, &fd_, &port_); }

std::string SilentListener::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace vg::net::testing

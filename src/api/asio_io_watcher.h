// AsioIoWatcher: lends the API's asio I/O threads to the queue's asynchronous Redis calls
// (queue::IoWatcher), so a Redis reply is read, and the HTTP answer it completes written, by the
// same I/O thread, with no hop through a thread of the queue's.
//
// Thread safety: every member may be called from any thread. The io_context must outlive the
// watcher; callbacks run on the threads that run the io_context.
#pragma once

#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "queue/io_watcher.h"

namespace vg::api {

class AsioIoWatcher final : public queue::IoWatcher {
 public:
  explicit AsioIoWatcher(asio::io_context& io) : io_(io) {}
  ~AsioIoWatcher() override;

  void Watch(int fd, Event event, std::function<void()> ready) override;
  void Defer(std::function<void()> task) override;
  void Forget(int fd) override;

 private:
  asio::io_context& io_;
  std::mutex mutex_;
  // Borrowed descriptors (released, never closed, when forgotten). Guarded by mutex_.
  std::map<int, std::unique_ptr<asio::posix::stream_descriptor>> descriptors_;
};

}  // namespace vg::api

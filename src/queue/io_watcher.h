// IoWatcher: how the queue's asynchronous Redis calls learn that their socket can be read or
// written, from the caller's own event loop (the API's asio I/O threads), so that a reply is
// read and handed out by the thread that will write the HTTP answer, with no thread of the
// queue's in between. Without one, the queue runs a small poll() thread of its own.
//
// Thread safety: implementations are called from any thread, concurrently.
#pragma once

#include <functional>

namespace vg::queue {

class IoWatcher {
 public:
  enum class Event { kReadable, kWritable };

  virtual ~IoWatcher() = default;

  // Runs `ready` once, on a loop thread and with no lock of the watcher held, when `fd` is
  // ready for `event` (or has failed: the callee finds out by reading or writing). At most one
  // wait per fd and event is outstanding at a time.
  virtual void Watch(int fd, Event event, std::function<void()> ready) = 0;
  // Runs `task` soon on a loop thread, after the work the loop already has ready (so the calls
  // that work makes are written to Redis together).
  virtual void Defer(std::function<void()> task) = 0;
  // Drops the waits on `fd` before the caller closes it. A `ready` already on its way may
  // still run after this returns: callers check that it is still current.
  virtual void Forget(int fd) = 0;
};

}  // namespace vg::queue

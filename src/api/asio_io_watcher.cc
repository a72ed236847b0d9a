// AsioIoWatcher (see the header): one borrowed stream_descriptor per socket, waited on with
// async_wait; a cancelled wait (the socket forgotten) runs nothing.
#include "api/asio_io_watcher.h"

#include <utility>

namespace vg::api {

AsioIoWatcher::~AsioIoWatcher() {
  std::lock_guard lock(mutex_);
  for (auto& [fd, descriptor] : descriptors_) {
    asio::error_code ignored;
    descriptor->cancel(ignored);
    descriptor->release();  // the owner of the socket closes it
  }
}

void AsioIoWatcher::Watch(int fd, Event event, std::function<void()> ready) {
  std::lock_guard lock(mutex_);
  auto& descriptor = descriptors_[fd];
  if (!descriptor) descriptor = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  descriptor->async_wait(event == Event::kReadable ? asio::posix::stream_descriptor::wait_read
                                                   : asio::posix::stream_descriptor::wait_write,
                         [ready = std::move(ready)](const asio::error_code& error) {
                           // Any other error (a failed socket) is for the owner to find.
                           if (error != asio::error::operation_aborted) ready();
                         });
}

void AsioIoWatcher::Defer(std::function<void()> task) { asio::post(io_, std::move(task)); }

void AsioIoWatcher::Forget(int fd) {
  std::lock_guard lock(mutex_);
  auto it = descriptors_.find(fd);
  if (it == descriptors_.end()) return;
  asio::error_code ignored;
  it->second->cancel(ignored);
  it->second->release();
  descriptors_.erase(it);
}

}  // namespace vg::api

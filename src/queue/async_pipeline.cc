// AsyncPipeline (see the header) and PollWatcher, the poll() loop it runs when the caller has
// no event loop to lend it.
#include "queue/async_pipeline.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "obs/log.h"
#include "queue/lua_scripts.h"

namespace vg::queue::internal {

// One thread polling the sockets it was asked about, plus an eventfd to notice new requests.
class PollWatcher final : public IoWatcher {
 public:
  PollWatcher() : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "vg-redis-poll");
      Loop();
    });
  }
  ~PollWatcher() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    Wake();
    thread_.join();
    close(wake_fd_);
  }

  void Watch(int fd, Event event, std::function<void()> ready) override {
    {
      std::lock_guard lock(mutex_);
      Waits& waits = waits_[fd];
      (event == Event::kReadable ? waits.readable : waits.writable) = std::move(ready);
    }
    Wake();
  }
  void Defer(std::function<void()> task) override {
    {
      std::lock_guard lock(mutex_);
      deferred_.push_back(std::move(task));
    }
    Wake();
  }
  void Forget(int fd) override {
    {
      std::lock_guard lock(mutex_);
      waits_.erase(fd);
    }
    Wake();
  }

 private:
  struct Waits {
    std::function<void()> readable;
    std::function<void()> writable;
  };

  void Wake() {
    const uint64_t one = 1;
    static_cast<void>(write(wake_fd_, &one, sizeof one));
  }

  void Loop() {
    std::vector<pollfd> fds;
    std::vector<std::function<void()>> deferred;
    for (;;) {
      fds.clear();
      fds.push_back({wake_fd_, POLLIN, 0});
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        deferred.swap(deferred_);
      }
      for (auto& task : deferred) task();  // before the waits are read: tasks add some
      deferred.clear();
      {
        std::lock_guard lock(mutex_);
        for (const auto& [fd, waits] : waits_) {
          const short events =
              static_cast<short>((waits.readable ? POLLIN : 0) | (waits.writable ? POLLOUT : 0));
          if (events != 0) fds.push_back({fd, events, 0});
        }
      }
      if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
      if (fds[0].revents != 0) {
        uint64_t count = 0;
        static_cast<void>(read(wake_fd_, &count, sizeof count));
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        const short revents = fds[i].revents;
        if (revents == 0) continue;
        const bool failed = (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
        std::function<void()> readable;
        std::function<void()> writable;
        {
          std::lock_guard lock(mutex_);
          auto it = waits_.find(fds[i].fd);
          if (it == waits_.end()) continue;
          if (failed || (revents & POLLIN)) readable = std::move(it->second.readable);
          if (failed || (revents & POLLOUT)) writable = std::move(it->second.writable);
        }
        if (readable) readable();
        if (writable) writable();
      }
    }
  }

  const int wake_fd_;
  std::mutex mutex_;
  std::map<int, Waits> waits_;                   // guarded by mutex_
  std::vector<std::function<void()>> deferred_;  // guarded by mutex_
  bool stopping_ = false;                        // guarded by mutex_
  std::thread thread_;
};

namespace {

constexpr size_t kCompactAfterBytes = 1 << 20;
// Calls sent together at most before the end of a loop pass (see Submit).
constexpr int kEagerFlushCalls = 12;

Status Unavailable(const RedisOptions& options) {
  return Error(ErrorCode::kQueueUnavailable, "Redis at " + options.Describe() + " is unavailable.");
}

}  // namespace

AsyncPipeline::AsyncPipeline(RedisOptions options, std::string client_name, IoWatcher* watcher)
    : options_(options),
      own_watcher_(watcher ? nullptr : std::make_unique<PollWatcher>()),
      watcher_(watcher ? watcher : own_watcher_.get()),
      connection_(std::move(options), std::move(client_name)) {
  supervisor_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "vg-redis-conn");
    Supervise();
  });
}

AsyncPipeline::~AsyncPipeline() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;  // nothing is armed, connected or sent from now on
  }
  supervisor_wake_.notify_all();
  supervisor_.join();
  const bool own_watcher = own_watcher_ != nullptr;
  own_watcher_.reset();  // its thread has run its last callback
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mutex_);
    if (fd_ >= 0) {
      if (!own_watcher) watcher_->Forget(fd_);
      connection_.Close();
      fd_ = -1;
    }
    const Status closing(ErrorCode::kQueueUnavailable, "The Redis client is closing.");
    for (Call& c : in_flight_) completions.push_back({std::move(c.done), closing});
    for (Call& c : waiting_) completions.push_back({std::move(c.done), closing});
    in_flight_.clear();
    waiting_.clear();
  }
  Run(completions);
}

void AsyncPipeline::Run(std::vector<Completion>& completions) {
  for (Completion& c : completions) {
    try {
      c.done(std::move(c.result));
    } catch (const std::exception& e) {
      obs::Log(obs::Level::kError, "queue.async_callback_failed", {{"error", e.what()}});
    } catch (...) {
      obs::Log(obs::Level::kError, "queue.async_callback_failed", {{"error", "unknown exception"}});
    }
  }
  completions.clear();
}

void AsyncPipeline::Submit(const LuaScript* script, std::vector<std::string> keys,
                           std::vector<std::string> args, Done done) {
  Call call{script, std::move(keys), std::move(args), std::move(done),
            std::chrono::steady_clock::now()};
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      completions.push_back({std::move(call.done),
                             Status(ErrorCode::kQueueUnavailable, "The Redis client is closing.")});
    } else if (state_ == State::kUp) {
      // Written by a deferred flush, with the calls the loop's other ready work makes.
      QueueLocked(std::move(call));
      // A loop pass that queues many calls sends them kEagerFlushCalls at a time, so Redis
      // runs the first while this thread still reads and parses the rest of the pass's requests
      // (with one send per pass, Redis and the I/O thread took turns and a core sat idle).
      // Only the send happens here: a failed socket is left for the deferred flush to find (so
      // calls are failed on the loop's thread), and that flush arms the read.
      if (++unflushed_ >= kEagerFlushCalls) {
        unflushed_ = 0;
        FlushLocked(completions, /*may_lose=*/false);
      }
      if (!flush_deferred_) {
        flush_deferred_ = true;
        watcher_->Defer([this, g = generation_] { OnFlush(g); });
      }
    } else if (state_ == State::kConnecting) {
      waiting_.push_back(std::move(call));
    } else if (call.submitted < retry_at_) {
      completions.push_back({std::move(call.done), Unavailable(options_)});
    } else {
      state_ = State::kConnecting;
      waiting_.push_back(std::move(call));
      supervisor_wake_.notify_one();
    }
  }
  Run(completions);
}

void AsyncPipeline::QueueLocked(Call call) {
  if (call.script == nullptr) {
    AppendCommand(out_, call.args);
  } else {
    AppendEvalCommand(out_, *call.script, call.keys, call.args, /*by_sha=*/!call.by_eval);
  }
  in_flight_.push_back(std::move(call));
}

void AsyncPipeline::OnFlush(uint64_t generation) {
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || stopping_) return;
    flush_deferred_ = false;
    unflushed_ = 0;
    FlushLocked(completions);
    if (state_ == State::kUp && !read_armed_ && !reading_ && !in_flight_.empty()) ArmReadLocked();
  }
  Run(completions);
}

void AsyncPipeline::FlushLocked(std::vector<Completion>& completions, bool may_lose) {
  while (out_sent_ < out_.size()) {
    const ssize_t n =
        send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (out_sent_ >= kCompactAfterBytes) {  // a slow Redis: do not keep what it has read
        out_.erase(0, out_sent_);
        out_sent_ = 0;
      }
      if (!write_armed_) {
        write_armed_ = true;
        watcher_->Watch(fd_, IoWatcher::Event::kWritable,
                        [this, g = generation_] { OnWritable(g); });
      }
      return;
    }
    if (may_lose) LoseLocked("write", std::strerror(errno), completions);
    return;
  }
  out_.clear();
  out_sent_ = 0;
}

void AsyncPipeline::ArmReadLocked() {
  read_armed_ = true;
  watcher_->Watch(fd_, IoWatcher::Event::kReadable, [this, g = generation_] { OnReadable(g); });
}

void AsyncPipeline::LoseLocked(const char* what, const std::string& detail,
                               std::vector<Completion>& completions) {
  obs::Log(obs::Level::kWarn, "queue.redis_connection_lost",
           {{"redis", options_.Describe()}, {"during", what}, {"error", detail}});
  watcher_->Forget(fd_);
  connection_.Close();
  fd_ = -1;
  state_ = State::kDown;
  ++generation_;
  out_.clear();
  out_sent_ = 0;
  reader_.reset();
  read_armed_ = false;
  write_armed_ = false;
  flush_deferred_ = false;
  const Status lost(ErrorCode::kQueueUnavailable,
                    "Lost the connection to Redis at " + options_.Describe() + ".");
  for (Call& c : in_flight_) completions.push_back({std::move(c.done), lost});
  in_flight_.clear();
}

void AsyncPipeline::OnReadable(uint64_t generation) {
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || state_ != State::kUp || stopping_) return;
    read_armed_ = false;
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) {
        reader_->Feed(buffer, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buffer) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      LoseLocked("read", n == 0 ? "connection closed" : std::strerror(errno), completions);
      break;
    }
    bool resent = false;
    while (state_ == State::kUp) {
      Result<std::optional<Reply>> next = reader_->Next();
      if (!next.ok()) {
        LoseLocked("read", next.error().message(), completions);
        break;
      }
      if (!next->has_value()) break;
      Reply& reply = **next;
      if (in_flight_.empty()) {
        LoseLocked("read", "a reply to no call", completions);
        break;
      }
      Call call = std::move(in_flight_.front());
      in_flight_.pop_front();
      if (reply.type == Reply::Type::kError) {
        if (call.script != nullptr && !call.by_eval && reply.text.starts_with("NOSCRIPT")) {
          call.by_eval = true;  // sent after the calls already out: only scripts reorder
          AppendEvalCommand(out_, *call.script, call.keys, call.args, /*by_sha=*/false);
          in_flight_.push_back(std::move(call));
          resent = true;
          continue;
        }
        obs::Log(obs::Level::kError, "queue.script_error",
                 {{"script", call.script ? call.script->name : std::string_view("-")},
                  {"error", reply.text}});
        completions.push_back({std::move(call.done), ErrorReplyStatus(reply)});
      } else {
        completions.push_back({std::move(call.done), std::move(reply)});
      }
    }
    if (resent && state_ == State::kUp) FlushLocked(completions);
    reading_ = true;  // no other thread reads until these callbacks have run, so they stay in order
  }
  Run(completions);
  {
    std::lock_guard lock(mutex_);
    reading_ = false;
    // Armed for the current connection, which may be a new one made while the callbacks ran.
    if (state_ == State::kUp && !stopping_ && !read_armed_ && !in_flight_.empty()) {
      ArmReadLocked();
    }
  }
}

void AsyncPipeline::OnWritable(uint64_t generation) {
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || state_ != State::kUp || stopping_) return;
    write_armed_ = false;
    FlushLocked(completions);
  }
  Run(completions);
}

void AsyncPipeline::Supervise() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) return;
    if (state_ == State::kConnecting) {
      lock.unlock();
      Status connected = connection_.Connect();
      int fd = connection_.socket_fd();
      if (connected.ok() && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        connected =
            Error(ErrorCode::kQueueUnavailable, "Cannot make the Redis socket non-blocking.");
        connection_.Close();
      }
      lock.lock();
      std::vector<Completion> completions;
      std::vector<Call> waiting;
      waiting.swap(waiting_);
      if (stopping_) {
        waiting_.swap(waiting);  // failed by the destructor
        if (connected.ok()) connection_.Close();
        return;
      }
      if (connected.ok()) {
        state_ = State::kUp;
        fd_ = fd;
        ++generation_;
        reader_ = std::make_unique<ReplyReader>();
        backoff_ms_ = 0;
        for (Call& call : waiting) QueueLocked(std::move(call));
        FlushLocked(completions);
        if (state_ == State::kUp && !in_flight_.empty() && !read_armed_ && !reading_) {
          ArmReadLocked();
        }
      } else {
        state_ = State::kDown;
        backoff_ms_ =
            std::clamp(backoff_ms_ * 2, options_.reconnect_min_ms, options_.reconnect_max_ms);
        retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms_);
        for (Call& call : waiting) completions.push_back({std::move(call.done), connected});
      }
      lock.unlock();
      Run(completions);
      lock.lock();
      continue;
    }
    if (state_ == State::kUp && !in_flight_.empty()) {
      // A reply later than the command timeout: Redis is hung or the network is gone.
      const auto deadline =
          in_flight_.front().submitted + std::chrono::milliseconds(options_.command_timeout_ms);
      if (std::chrono::steady_clock::now() >= deadline) {
        std::vector<Completion> completions;
        LoseLocked("read", "no reply within the command timeout", completions);
        lock.unlock();
        Run(completions);
        lock.lock();
        continue;
      }
      supervisor_wake_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                               std::chrono::milliseconds(250)));
      continue;
    }
    supervisor_wake_.wait_for(lock, std::chrono::milliseconds(250));
  }
}

}  // namespace vg::queue::internal

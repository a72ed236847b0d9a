// AsyncPipeline: script calls (and plain commands) on one Redis connection that never block
// their caller. Submit encodes the call; a flush the IoWatcher runs after the loop's ready work
// writes every call encoded meanwhile in one non-blocking send, and a pass that queues many calls
// sends every 12th at once with those before it, so Redis starts on them while the loop still
// works (what the socket does not take is written when it becomes writable); replies are read
// when an IoWatcher says the socket is readable, and each call's `done` runs, in submission
// order, on the thread that read it. With the API's asio watcher that is an I/O thread, so a
// status request costs no hop to a thread of the queue's and back. Internal to the queue module.
//
// Connection: made (and remade after a loss) by a supervisor thread of its own, which also fails
// the connection when a reply is later than command_timeout_ms; calls made while it connects
// wait for it, calls made while the backoff after a failed attempt runs fail at once with
// queue_unavailable. NOSCRIPT (a restarted or flushed Redis) is answered by resending the call
// as EVAL. A lost connection fails every call on it with queue_unavailable.
//
// Thread safety: Submit from any thread. Callbacks never run concurrently with each other.
// Destruction fails the calls still out (queue_unavailable); the watcher must have stopped
// running callbacks for this pipeline first (the API stops its I/O threads before).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "queue/io_watcher.h"
#include "queue/redis_connection.h"
#include "queue/redis_options.h"

namespace vg::queue::internal {

class PollWatcher;

class AsyncPipeline {
 public:
  using Done = std::function<void(Result<Reply>)>;

  // `watcher` (not owned, may be null: the pipeline then runs a poll() thread of its own) must
  // outlive the pipeline.
  AsyncPipeline(RedisOptions options, std::string client_name, IoWatcher* watcher = nullptr);
  ~AsyncPipeline();
  AsyncPipeline(const AsyncPipeline&) = delete;
  AsyncPipeline& operator=(const AsyncPipeline&) = delete;

  // `script` null: `args` is a plain command. `script` must stay valid (embedded scripts do).
  void Submit(const LuaScript* script, std::vector<std::string> keys, std::vector<std::string> args,
              Done done);

 private:
  enum class State { kDown, kConnecting, kUp };
  struct Call {
    const LuaScript* script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    Done done;
    std::chrono::steady_clock::time_point submitted;
    bool by_eval = false;  // resent as EVAL after NOSCRIPT
  };
  struct Completion {
    Done done;
    Result<Reply> result;
  };

  static void Run(std::vector<Completion>& completions);
  void Supervise();
  void OnReadable(uint64_t generation);
  void OnWritable(uint64_t generation);
  void OnFlush(uint64_t generation);
  // The helpers below run with mutex_ held; failed calls go to `completions`, to be run
  // once it is released.
  void QueueLocked(Call call);  // encodes the call into out_; a flush sends it
  // Sends what is encoded. A failed socket is lost (its calls failed into `completions`) unless
  // !may_lose, which leaves everything for a later flush.
  void FlushLocked(std::vector<Completion>& completions, bool may_lose = true);
  void ArmReadLocked();
  void LoseLocked(const char* what, const std::string& detail,
                  std::vector<Completion>& completions);

  RedisOptions options_;
  std::unique_ptr<PollWatcher> own_watcher_;  // when no watcher was given
  IoWatcher* watcher_;
  RedisConnection connection_;  // connected by the supervisor; its socket is then driven here

  std::mutex mutex_;
  std::condition_variable supervisor_wake_;
  State state_ = State::kDown;  // guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_
  int fd_ = -1;                 // guarded by mutex_
  uint64_t generation_ = 0;     // guarded by mutex_: bumped per connection, stale wakeups ignored
  std::string out_;             // guarded by mutex_: encoded calls the socket has not taken yet
  size_t out_sent_ = 0;         // guarded by mutex_: bytes of out_ already written
  std::deque<Call> in_flight_;  // guarded by mutex_: sent (or in out_), oldest first
  std::vector<Call> waiting_;   // guarded by mutex_: submitted while connecting
  std::unique_ptr<ReplyReader> reader_;  // guarded by mutex_
  bool read_armed_ = false;              // guarded by mutex_: a readable wait is outstanding
  bool reading_ = false;                 // guarded by mutex_: a thread is running callbacks
  bool write_armed_ = false;             // guarded by mutex_
  bool flush_deferred_ = false;          // guarded by mutex_: an OnFlush is on its way
  int unflushed_ = 0;                    // guarded by mutex_: calls queued since the last send
  int64_t backoff_ms_ = 0;               // guarded by mutex_
  std::chrono::steady_clock::time_point retry_at_{};  // guarded by mutex_
  std::thread supervisor_;
};

}  // namespace vg::queue::internal

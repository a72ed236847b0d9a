// RedisConnection: one synchronous hiredis connection with reconnect-and-backoff, pipelining
// and EVALSHA of the embedded scripts (EVAL on NOSCRIPT, e.g. after a Redis restart). Internal
// to the queue module; hiredis itself stays in the .cc.
//
// Thread safety: a connection is used by one thread at a time. Interrupt() is the exception:
// any thread may call it to break a blocking read (used by close).
// Signals: a thread that sends commands gets SIGPIPE blocked (once, for good), so a vanished
// peer is an EPIPE error rather than the end of the process.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "queue/redis_options.h"

struct redisContext;

namespace vg::queue::internal {

struct LuaScript;

// A decoded RESP2 reply. Status and error replies keep their text in `text`.
struct Reply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string text;
  int64_t integer = 0;
  std::vector<Reply> elements;

  bool IsNil() const { return type == Type::kNil; }
  // The integer value, or the text parsed as an integer (0 when neither).
  int64_t AsInteger() const;
};

// One EVALSHA of a batch; the pointers are borrowed for the duration of the call. With a null
// `script`, `args` is a plain command (e.g. ZADD key score member) and `keys` is unused.
struct EvalCall {
  const LuaScript* script;
  const std::vector<std::string>* keys;
  const std::vector<std::string>* args;
};

class RedisConnection {
 public:
  // `client_name` is set with CLIENT SETNAME on every (re)connect when not empty.
  RedisConnection(RedisOptions options, std::string client_name);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects now (otherwise the first command does). queue_unavailable when Redis is down.
  Status Connect();

  // Runs one command. Error replies become internal errors carrying Redis's text; I/O
  // failures become queue_unavailable and drop the connection (the next call reconnects, no
  // sooner than the backoff allows).
  Result<Reply> Command(const std::vector<std::string>& args);
  // Like Command, with a read timeout extended by `block_ms` (BZPOPMIN, XREAD BLOCK).
  Result<Reply> BlockingCommand(const std::vector<std::string>& args, int64_t block_ms);
  // Sends all commands in one write and reads all replies. One failed I/O fails the batch.
  Result<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

  // EVALSHA script keys args; on NOSCRIPT runs EVAL with the body (which caches it).
  Result<Reply> Eval(const LuaScript& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args);
  // Several EVALSHA calls in one pipeline (each call's NOSCRIPT is retried with EVAL).
  Result<std::vector<Reply>> EvalPipeline(const LuaScript& script,
                                          const std::vector<std::string>& keys,
                                          const std::vector<std::vector<std::string>>& args);

  // Any mix of scripts (and plain commands: EvalCall with a null script) in one pipeline, one
  // result per call (NOSCRIPT retried with EVAL, error replies as statuses). An I/O failure
  // fails every call of the batch.
  std::vector<Result<Reply>> EvalMany(const std::vector<EvalCall>& calls);

  // Breaks a blocking call in progress from another thread by shutting the socket down.
  void Interrupt();
  bool connected() const { return context_ != nullptr; }

 private:
  Status EnsureConnected();
  Status ConnectionLost(const char* what);
  Result<Reply> ReadReply();
  void Append(const std::vector<std::string>& args);
  void AppendEval(const LuaScript& script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args, bool by_sha);
  void SetReadTimeout(int64_t ms);

  RedisOptions options_;
  std::string client_name_;
  redisContext* context_ = nullptr;
  std::mutex fd_mutex_;  // guards fd_ for Interrupt()
  int fd_ = -1;
  bool interrupted_ = false;  // guarded by fd_mutex_: the next loss was asked for (quiet log)
  bool last_loss_interrupted_ = false;  // the last ConnectionLost was an Interrupt()
  int64_t backoff_ms_ = 0;
  std::chrono::steady_clock::time_point next_attempt_{};
};

// PipelinedConnection: one connection shared by several threads whose script calls are
// combined into pipelines. The first caller to find the connection idle becomes the leader: it
// sends every pending call in one write, reads the replies and hands them out; calls that
// arrive meanwhile form the next batch. So N job threads cost Redis one read and one write per
// batch instead of per call, and a single caller pays no extra thread hop. Each waiting caller
// is woken only when its call is done or when it is the next leader (no thundering herd).
// With several lanes, a caller that finds a lane idle leads on it while another batch is out.
// Thread-safe.
class PipelinedConnection {
 public:
  // `lanes` connections (at least 1): up to that many batches are on the wire at once, so
  // Redis works on one batch while the callers of the last one prepare the next.
  PipelinedConnection(RedisOptions options, std::string client_name, int lanes = 1);

  Result<Reply> Eval(const LuaScript& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args);

 private:
  struct Request {
    EvalCall call{};
    Result<Reply> result = Status(ErrorCode::kInternal, "not run");
    bool done = false;             // guarded by mutex_
    std::condition_variable wake;  // done, or a lane is free for it to lead
  };

  std::mutex mutex_;
  std::vector<Request*> pending_;  // guarded by mutex_
  std::vector<std::unique_ptr<RedisConnection>> lanes_;
  std::vector<RedisConnection*> idle_;  // guarded by mutex_: lanes no leader owns
};

// AsyncPipeline: script calls (and plain commands) that never block their caller. Submit queues
// the call and returns; the pipeline's own thread sends every call pending at that moment in
// one write on its own connection, reads the replies and runs each call's `done` with its
// result, in submission order. Calls that arrive while a batch is on the wire form the next
// batch, so under load many callers cost Redis one read and one write per batch. While Redis
// is down every call fails at once with queue_unavailable (the connection is retried with its
// backoff on the next batch); nothing waits for it.
//
// `done` runs on the pipeline's thread: keep it short (hand heavy work to another thread); it
// may Submit again (the call joins the next batch). Exceptions from `done` are logged and
// dropped. The destructor lets the calls already queued run (or fail), fails any call
// submitted after it began with queue_unavailable, and joins the thread.
// Thread safety: Submit is thread-safe.
class AsyncPipeline {
 public:
  using Done = std::function<void(Result<Reply>)>;

  AsyncPipeline(RedisOptions options, std::string client_name);
  ~AsyncPipeline();
  AsyncPipeline(const AsyncPipeline&) = delete;
  AsyncPipeline& operator=(const AsyncPipeline&) = delete;

  // `script` null: `args` is a plain command. `script` must stay valid (embedded scripts do).
  void Submit(const LuaScript* script, std::vector<std::string> keys,
              std::vector<std::string> args, Done done);

 private:
  struct Call {
    const LuaScript* script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    Done done;
  };
  static constexpr size_t kMaxBatch = 512;  // calls per write, to bound one batch's memory

  void Run();
  static void Finish(Call& call, Result<Reply> result);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Call> pending_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  RedisConnection connection_;  // used by thread_ only
  std::thread thread_;
};

}  // namespace vg::queue::internal

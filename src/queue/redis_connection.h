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
#include <optional>
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

// RESP encoding, appended to `out`: a plain command, or EVALSHA (by_sha) / EVAL of a script.
void AppendCommand(std::string& out, const std::vector<std::string>& args);
void AppendEvalCommand(std::string& out, const LuaScript& script,
                       const std::vector<std::string>& keys, const std::vector<std::string>& args,
                       bool by_sha);
// An error reply as a status: queue_unavailable while Redis loads or fails over, else internal.
Status ErrorReplyStatus(const Reply& reply);

// Decodes replies from bytes as they arrive (hiredis's reader). One thread at a time.
class ReplyReader {
 public:
  ReplyReader();
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  void Feed(const char* data, size_t size);
  // The next complete reply, nullopt until more bytes are fed, an error for a protocol error.
  Result<std::optional<Reply>> Next();

 private:
  void* reader_;  // redisReader
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
  // The connected socket, or -1, for a caller that drives it itself (AsyncPipeline: it reads
  // and writes the socket directly after Connect() and calls Close() when done with it).
  int socket_fd() const;
  // Closes the connection (no log); the next call reconnects.
  void Close();
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

}  // namespace vg::queue::internal

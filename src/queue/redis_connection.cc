// hiredis adapter: the only file of the queue module that includes hiredis.
#include "queue/redis_connection.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <thread>

#include "obs/log.h"
#include "queue/lua_scripts.h"

namespace vg::queue::internal {
namespace {

timeval ToTimeval(int64_t ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

// hiredis writes with write(): a peer that went away (Redis restarting, a socket shut down by
// Interrupt) would raise SIGPIPE and kill the process. SIGPIPE from write() goes to the writing
// thread, so blocking it on each thread that talks to Redis turns it into an EPIPE error.
void BlockSigpipeOnThisThread() {
  thread_local bool blocked = false;
  if (blocked) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  blocked = true;
}

bool IsUnavailableError(std::string_view text) {
  // A restarting server answers LOADING until its AOF is read; a replica may say MASTERDOWN.
  return text.starts_with("LOADING") || text.starts_with("MASTERDOWN") ||
         text.starts_with("TRYAGAIN");
}

void AppendBulk(std::string& out, std::string_view s) {
  fmt::format_to(std::back_inserter(out), "${}\r\n", s.size());
  out.append(s);
  out.append("\r\n");
}

}  // namespace

Status ErrorReplyStatus(const Reply& reply) {
  if (IsUnavailableError(reply.text)) {
    return Error(ErrorCode::kQueueUnavailable, "Redis is not ready: " + reply.text);
  }
  return Error(ErrorCode::kInternal, "Redis error: " + reply.text);
}

void AppendCommand(std::string& out, const std::vector<std::string>& args) {
  fmt::format_to(std::back_inserter(out), "*{}\r\n", args.size());
  for (const std::string& a : args) AppendBulk(out, a);
}

void AppendEvalCommand(std::string& out, const LuaScript& script,
                       const std::vector<std::string>& keys, const std::vector<std::string>& args,
                       bool by_sha) {
  fmt::format_to(std::back_inserter(out), "*{}\r\n", 3 + keys.size() + args.size());
  AppendBulk(out, by_sha ? "EVALSHA" : "EVAL");
  AppendBulk(out, by_sha ? script.sha1 : script.body);
  AppendBulk(out, std::to_string(keys.size()));
  for (const std::string& k : keys) AppendBulk(out, k);
  for (const std::string& a : args) AppendBulk(out, a);
}

ReplyReader::ReplyReader() : reader_(redisReaderCreate()) {}

ReplyReader::~ReplyReader() { redisReaderFree(static_cast<redisReader*>(reader_)); }

void ReplyReader::Feed(const char* data, size_t size) {
  redisReaderFeed(static_cast<redisReader*>(reader_), data, size);
}

Result<std::optional<Reply>> ReplyReader::Next() {
  void* raw = nullptr;
  auto* reader = static_cast<redisReader*>(reader_);
  if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
    return Error(ErrorCode::kQueueUnavailable,
                 fmt::format("Redis sent a malformed reply: {}", reader->errstr));
  }
  if (raw == nullptr) return std::optional<Reply>();
  Reply reply = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return std::optional<Reply>(std::move(reply));
}

int64_t Reply::AsInteger() const {
  if (type == Type::kInteger) return integer;
  int64_t value = 0;
  if (type == Type::kString || type == Type::kStatus) {
    std::from_chars(text.data(), text.data() + text.size(), value);
  }
  return value;
}

RedisConnection::RedisConnection(RedisOptions options, std::string client_name)
    : options_(std::move(options)), client_name_(std::move(client_name)) {}

RedisConnection::~RedisConnection() {
  std::lock_guard lock(fd_mutex_);
  fd_ = -1;
  if (context_) redisFree(context_);
}

Status RedisConnection::Connect() { return EnsureConnected(); }

Status RedisConnection::EnsureConnected() {
  BlockSigpipeOnThisThread();
  if (context_) return Status::Ok();
  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    return Error(ErrorCode::kQueueUnavailable,
                 fmt::format("Redis at {} is unavailable.", options_.Describe()));
  }
  auto fail = [&](const std::string& detail) {
    backoff_ms_ = std::clamp(backoff_ms_ * 2, options_.reconnect_min_ms, options_.reconnect_max_ms);
    next_attempt_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms_);
    obs::Log(obs::Level::kWarn, "queue.redis_connect_failed",
             {{"redis", options_.Describe()}, {"error", detail}, {"retry_ms", backoff_ms_}});
    return Error(ErrorCode::kQueueUnavailable,
                 fmt::format("Redis at {} is unavailable.", options_.Describe()));
  };
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                            ToTimeval(options_.connect_timeout_ms));
  if (c == nullptr) return fail("out of memory");
  if (c->err) {
    std::string detail = c->errstr;
    redisFree(c);
    return fail(detail);
  }
  redisSetTimeout(c, ToTimeval(options_.command_timeout_ms));
  {
    std::lock_guard lock(fd_mutex_);
    context_ = c;
    fd_ = c->fd;
  }
  // AUTH, SELECT and SETNAME in one round trip.
  std::vector<std::vector<std::string>> setup;
  if (!options_.password.empty()) {
    if (options_.username.empty()) {
      setup.push_back({"AUTH", options_.password});
    } else {
      setup.push_back({"AUTH", options_.username, options_.password});
    }
  }
  if (options_.db != 0) setup.push_back({"SELECT", std::to_string(options_.db)});
  if (!client_name_.empty()) setup.push_back({"CLIENT", "SETNAME", client_name_});
  for (const auto& args : setup) Append(args);
  for (size_t i = 0; i < setup.size(); ++i) {
    Result<Reply> reply = ReadReply();
    // A setup cut short by Interrupt() (a consumer closing) is not worth a warning.
    if (!reply.ok()) return last_loss_interrupted_ ? reply.error() : fail(reply.error().message());
    if (reply->type == Reply::Type::kError) {
      std::string text = reply->text;
      static_cast<void>(ConnectionLost("setup"));
      if (text.starts_with("WRONGPASS") || text.starts_with("NOAUTH") || text.starts_with("ERR")) {
        return Error(
            ErrorCode::kQueueUnavailable,
            fmt::format("Redis at {} refused the connection setup: {}", options_.Describe(), text));
      }
      return fail(text);
    }
  }
  if (backoff_ms_ != 0) {
    obs::Log(obs::Level::kInfo, "queue.redis_reconnected", {{"redis", options_.Describe()}});
  }
  backoff_ms_ = 0;
  return Status::Ok();
}

Status RedisConnection::ConnectionLost(const char* what) {
  std::string detail = context_ && context_->errstr[0] ? context_->errstr : "connection closed";
  bool interrupted = false;
  {
    std::lock_guard lock(fd_mutex_);
    fd_ = -1;
    if (context_) redisFree(context_);
    context_ = nullptr;
    interrupted = interrupted_;
    interrupted_ = false;
  }
  last_loss_interrupted_ = interrupted;
  obs::Log(interrupted ? obs::Level::kDebug : obs::Level::kWarn, "queue.redis_connection_lost",
           {{"redis", options_.Describe()}, {"during", what}, {"error", detail}});
  return Error(ErrorCode::kQueueUnavailable,
               fmt::format("Lost the connection to Redis at {}.", options_.Describe()));
}

// Encoded by the same functions the async pipeline uses, handed to hiredis as formatted bytes.
void RedisConnection::Append(const std::vector<std::string>& args) {
  std::string command;
  AppendCommand(command, args);
  redisAppendFormattedCommand(context_, command.data(), command.size());
}

void RedisConnection::AppendEval(const LuaScript& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args, bool by_sha) {
  std::string command;
  AppendEvalCommand(command, script, keys, args, by_sha);
  redisAppendFormattedCommand(context_, command.data(), command.size());
}

Result<Reply> RedisConnection::ReadReply() {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    return ConnectionLost("read");
  }
  Reply reply = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

void RedisConnection::SetReadTimeout(int64_t ms) {
  if (context_) redisSetTimeout(context_, ToTimeval(ms));
}

Result<Reply> RedisConnection::Command(const std::vector<std::string>& args) {
  VG_RETURN_IF_ERROR(EnsureConnected());
  Append(args);
  VG_ASSIGN_OR_RETURN(Reply reply, ReadReply());
  if (reply.type == Reply::Type::kError) return ErrorReplyStatus(reply);
  return reply;
}

Result<Reply> RedisConnection::BlockingCommand(const std::vector<std::string>& args,
                                               int64_t block_ms) {
  VG_RETURN_IF_ERROR(EnsureConnected());
  SetReadTimeout(options_.command_timeout_ms + block_ms);
  Append(args);
  Result<Reply> reply = ReadReply();
  SetReadTimeout(options_.command_timeout_ms);
  if (reply.ok() && reply->type == Reply::Type::kError) return ErrorReplyStatus(*reply);
  return reply;
}

Result<std::vector<Reply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  VG_RETURN_IF_ERROR(EnsureConnected());
  for (const auto& args : commands) Append(args);
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    VG_ASSIGN_OR_RETURN(Reply reply, ReadReply());
    replies.push_back(std::move(reply));
  }
  return replies;
}

Result<Reply> RedisConnection::Eval(const LuaScript& script, const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) {
  VG_RETURN_IF_ERROR(EnsureConnected());
  AppendEval(script, keys, args, /*by_sha=*/true);
  VG_ASSIGN_OR_RETURN(Reply reply, ReadReply());
  if (reply.type == Reply::Type::kError && reply.text.starts_with("NOSCRIPT")) {
    AppendEval(script, keys, args, /*by_sha=*/false);
    VG_ASSIGN_OR_RETURN(reply, ReadReply());
  }
  if (reply.type == Reply::Type::kError) {
    obs::Log(obs::Level::kError, "queue.script_error",
             {{"script", script.name}, {"error", reply.text}});
    return ErrorReplyStatus(reply);
  }
  return reply;
}

Result<std::vector<Reply>> RedisConnection::EvalPipeline(
    const LuaScript& script, const std::vector<std::string>& keys,
    const std::vector<std::vector<std::string>>& args) {
  VG_RETURN_IF_ERROR(EnsureConnected());
  for (const auto& a : args) AppendEval(script, keys, a, /*by_sha=*/true);
  std::vector<Reply> replies;
  replies.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    VG_ASSIGN_OR_RETURN(Reply reply, ReadReply());
    replies.push_back(std::move(reply));
  }
  // NOSCRIPT only happens for the whole batch (a fresh server), so retry those one by one.
  for (size_t i = 0; i < args.size(); ++i) {
    if (replies[i].type == Reply::Type::kError && replies[i].text.starts_with("NOSCRIPT")) {
      AppendEval(script, keys, args[i], /*by_sha=*/false);
      VG_ASSIGN_OR_RETURN(replies[i], ReadReply());
    }
    if (replies[i].type == Reply::Type::kError) return ErrorReplyStatus(replies[i]);
  }
  return replies;
}

std::vector<Result<Reply>> RedisConnection::EvalMany(const std::vector<EvalCall>& calls) {
  std::vector<Result<Reply>> results;
  results.reserve(calls.size());
  Status connected = EnsureConnected();
  if (!connected.ok()) {
    for (size_t i = 0; i < calls.size(); ++i) results.emplace_back(connected);
    return results;
  }
  for (const EvalCall& c : calls) {
    if (c.script != nullptr) {
      AppendEval(*c.script, *c.keys, *c.args, /*by_sha=*/true);
    } else {
      Append(*c.args);
    }
  }
  std::vector<Reply> replies;
  replies.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    Result<Reply> reply = ReadReply();
    if (!reply.ok()) {
      results.clear();
      for (size_t j = 0; j < calls.size(); ++j) results.emplace_back(reply.error());
      return results;
    }
    replies.push_back(std::move(reply).value());
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].script != nullptr && replies[i].type == Reply::Type::kError &&
        replies[i].text.starts_with("NOSCRIPT")) {
      AppendEval(*calls[i].script, *calls[i].keys, *calls[i].args, /*by_sha=*/false);
      Result<Reply> reply = ReadReply();
      if (!reply.ok()) {
        results.emplace_back(reply.error());
        continue;
      }
      replies[i] = std::move(reply).value();
    }
    if (replies[i].type == Reply::Type::kError) {
      obs::Log(obs::Level::kError, "queue.script_error",
               {{"script", calls[i].script ? calls[i].script->name : std::string_view("-")},
                {"error", replies[i].text}});
      results.emplace_back(ErrorReplyStatus(replies[i]));
    } else {
      results.emplace_back(std::move(replies[i]));
    }
  }
  return results;
}

PipelinedConnection::PipelinedConnection(RedisOptions options, std::string client_name,
                                         int lanes) {
  for (int i = 0; i < std::max(1, lanes); ++i) {
    lanes_.push_back(std::make_unique<RedisConnection>(options, client_name));
    idle_.push_back(lanes_.back().get());
  }
}

Result<Reply> PipelinedConnection::Eval(const LuaScript& script,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) {
  Request request;
  request.call = {&script, &keys, &args};
  std::unique_lock lock(mutex_);
  pending_.push_back(&request);
  while (!request.done) {
    if (idle_.empty()) {
      request.wake.wait(lock);
      continue;
    }
    // Lead on an idle lane: run everything pending (our own call included) as one pipeline.
    RedisConnection* lane = idle_.back();
    idle_.pop_back();
    std::vector<Request*> batch;
    batch.swap(pending_);
    lock.unlock();
    std::vector<EvalCall> calls;
    calls.reserve(batch.size());
    for (Request* r : batch) calls.push_back(r->call);
    std::vector<Result<Reply>> results = lane->EvalMany(calls);
    lock.lock();
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = std::move(results[i]);
      batch[i]->done = true;
      if (batch[i] != &request) batch[i]->wake.notify_one();
    }
    idle_.push_back(lane);
    // Calls that arrived meanwhile: the first caller leads the next batch.
    if (!pending_.empty()) pending_.front()->wake.notify_one();
  }
  return std::move(request.result);
}

int RedisConnection::socket_fd() const { return context_ ? context_->fd : -1; }

void RedisConnection::Close() {
  std::lock_guard lock(fd_mutex_);
  fd_ = -1;
  if (context_) redisFree(context_);
  context_ = nullptr;
}

void RedisConnection::Interrupt() {
  std::lock_guard lock(fd_mutex_);
  if (fd_ >= 0) {
    interrupted_ = true;
    ::shutdown(fd_, SHUT_RDWR);
  }
}

}  // namespace vg::queue::internal

// WsHub: WebSocket sessions, subscriptions, events fan-out and heartbeat (see ws_hub.h).
#include "api/ws_hub.h"

#include <pthread.h>

#include "obs/log.h"
#include "obs/metrics.h"

namespace vg::api {
namespace rws = restinio::websocket::basic;

WsHub::WsHub(JobsService& jobs, queue::RedisOptions redis, queue::QueueName queue,
             obs::Metrics* metrics, WsHubOptions options)
    : jobs_(jobs),
      reader_(std::move(redis), std::move(queue)),
      metrics_(metrics),
      options_(options) {}

WsHub::~WsHub() { Stop(); }

Status WsHub::Start() {
  // Nothing is read from Redis until a session subscribes (EventsLoop); a Redis outage then is
  // survived (the reader retries).
  started_ = true;
  events_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "vg-ws-events");
    EventsLoop();
  });
  beat_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "vg-ws-beat");
    HeartbeatLoop();
  });
  return Status::Ok();
}

void WsHub::Stop() {
  if (stopping_.exchange(true)) return;
  reader_.Interrupt();
  { std::lock_guard lock(mutex_); }
  events_cv_.notify_all();
  { std::lock_guard lock(beat_mutex_); }
  beat_cv_.notify_all();
  if (events_thread_.joinable()) events_thread_.join();
  if (beat_thread_.joinable()) beat_thread_.join();
  std::lock_guard lock(mutex_);
  for (auto& [id, session] : sessions_) {
    try {
      session.handle->send_message(rws::final_frame, rws::opcode_t::connection_close_frame,
                                   rws::status_code_to_bin(rws::status_code_t::going_away));
    } catch (const std::exception&) {
    }
  }
  sessions_.clear();
  UpdateGaugeLocked();
}

size_t WsHub::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void WsHub::Add(const rws::ws_handle_t& handle, std::string owner) {
  const Id id = handle->connection_id();  // read before anything moves the handle
  std::lock_guard lock(mutex_);
  sessions_[id] = Session{handle, std::move(owner), {}, false, std::chrono::steady_clock::now()};
  UpdateGaugeLocked();
}

void WsHub::UpdateGaugeLocked() {
  if (metrics_) {
    metrics_->gauge("vidgen_ws_clients", "Connected WebSocket clients")
        .Set(static_cast<double>(sessions_.size()));
  }
}

void WsHub::RemoveLocked(Id id, bool kill) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  if (kill) {
    try {
      it->second.handle->kill();
    } catch (const std::exception&) {
    }
  }
  sessions_.erase(it);
  UpdateGaugeLocked();
}

void WsHub::SendLocked(Id id, Session& session, const std::string& text) {
  try {
    session.handle->send_message(rws::final_frame, rws::opcode_t::text_frame,
                                 restinio::writable_item_t(text));
  } catch (const std::exception& e) {
    obs::Log(obs::Level::kDebug, "ws.send_failed",
             {{"connection", static_cast<unsigned long long>(id)}});
    session.handle.reset();  // RemoveLocked below must not touch it again
    sessions_.erase(id);
    UpdateGaugeLocked();
  }
}

void WsHub::SendTo(Id id, const nlohmann::json& message) {
  std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) SendLocked(id, it->second, text);
}

void WsHub::OnMessage(const rws::ws_handle_t& handle, const rws::message_handle_t& message) {
  const Id id = handle->connection_id();
  std::string owner;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    it->second.last_seen = std::chrono::steady_clock::now();
    owner = it->second.owner;
    switch (message->opcode()) {
      case rws::opcode_t::ping_frame: {
        try {
          it->second.handle->send_message(rws::final_frame, rws::opcode_t::pong_frame,
                                          restinio::writable_item_t(message->payload()));
        } catch (const std::exception&) {
          RemoveLocked(id, false);
        }
        return;
      }
      case rws::opcode_t::pong_frame:
        return;
      case rws::opcode_t::connection_close_frame: {
        try {
          it->second.handle->send_message(
              rws::final_frame, rws::opcode_t::connection_close_frame,
              rws::status_code_to_bin(rws::status_code_t::normal_closure));
        } catch (const std::exception&) {
        }
        RemoveLocked(id, false);
        return;
      }
      case rws::opcode_t::text_frame:
        break;
      default:
        SendLocked(id, it->second,
                   R"({"type":"error","message":"Only JSON text messages are accepted."})");
        return;
    }
  }
  HandleText(id, owner, message->payload());
}

void WsHub::HandleText(Id id, const std::string& owner, const std::string& text) {
  auto error = [&](const std::string& message) {
    SendTo(id, {{"type", "error"}, {"message", message}});
  };
  nlohmann::json msg = nlohmann::json::parse(text, nullptr, false);
  if (msg.is_discarded() || !msg.is_object() || !msg.contains("type") || !msg["type"].is_string()) {
    error("Messages are JSON objects with a \"type\".");
    return;
  }
  std::string type = msg["type"].get<std::string>();
  if (type == "subscribe" && msg.value("all", false) == true) {
    if (const uint64_t generation = WakeReader(); generation != 0) AwaitPositioned(generation);
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) it->second.all = true;
    return;
  }
  if ((type == "subscribe" || type == "unsubscribe") && msg.contains("jobId") &&
      msg["jobId"].is_string()) {
    std::string job_id = msg["jobId"].get<std::string>();
    if (type == "unsubscribe") {
      std::lock_guard lock(mutex_);
      auto it = sessions_.find(id);
      if (it != sessions_.end()) {
        it->second.jobs.erase(job_id);
        if (msg.value("all", false) == true) it->second.all = false;
      }
      return;
    }
    // The status must be read after the reader is positioned, so that it precedes every event
    // sent after it. The lookup comes first all the same: with Redis down it fails at once and
    // is the answer, and this I/O thread never waits on the reader.
    const uint64_t generation = WakeReader();
    auto job = jobs_.VisibleJob(owner, job_id);
    if (job.ok() && generation != 0 && AwaitPositioned(generation)) {
      job = jobs_.VisibleJob(owner, job_id);
    }
    if (!job.ok()) {
      error(job.error().code() == ErrorCode::kNotFound ? "There is no such job."
                                                       : "The job cannot be read right now.");
      return;
    }
    {
      std::lock_guard lock(mutex_);
      auto it = sessions_.find(id);
      if (it == sessions_.end()) return;
      if (it->second.jobs.size() >= 1000) {
        SendLocked(id, it->second, R"({"type":"error","message":"Too many subscriptions."})");
        return;
      }
      it->second.jobs.insert(job_id);
    }
    SendTo(id, {{"type", "status"}, {"jobId", job_id}, {"status", StatusOf(*job)}});
    return;
  }
  if (type == "unsubscribe" && msg.value("all", false) == true) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) it->second.all = false;
    return;
  }
  error(
      "Unknown message: send {\"type\":\"subscribe\",\"jobId\":\"…\"}, "
      "{\"type\":\"unsubscribe\",\"jobId\":\"…\"} or {\"type\":\"subscribe\",\"all\":true}.");
}

bool WsHub::HasSubscribersLocked() const {
  for (const auto& [id, session] : sessions_) {
    if (session.all || !session.jobs.empty()) return true;
  }
  return false;
}

namespace {
// How long the reader keeps following the stream after a subscribe request without any
// subscription recorded (covers the request between EnsureReading and its insert, and a
// client that unsubscribes and subscribes again).
constexpr std::chrono::seconds kLinger{5};
// The longest an I/O thread waits for the reader's positioning, once its own status lookup
// showed Redis answering (one round trip; a failed attempt ends the wait at once).
constexpr std::chrono::milliseconds kPositionWait{1000};
}  // namespace

uint64_t WsHub::WakeReader() {
  if (!started_) return 0;
  std::lock_guard lock(mutex_);
  linger_until_ = std::chrono::steady_clock::now() + kLinger;
  if (reading_) return 0;
  const uint64_t generation = ++wake_generation_;
  events_cv_.notify_all();
  return generation;
}

bool WsHub::AwaitPositioned(uint64_t generation) {
  if (!started_) return true;
  std::unique_lock lock(mutex_);
  events_cv_.wait_for(lock, kPositionWait, [&] {
    return reading_ || failed_generation_ >= generation || stopping_.load();
  });
  return reading_;
}

void WsHub::EventsLoop() {
  bool warned = false;
  while (!stopping_.load()) {
    bool position = false;
    {
      std::unique_lock lock(mutex_);
      auto wanted = [&] {
        return HasSubscribersLocked() || std::chrono::steady_clock::now() < linger_until_;
      };
      if (!wanted()) {
        reading_ = false;
        events_cv_.wait(lock, [&] { return stopping_.load() || wanted(); });
        if (stopping_.load()) return;
      }
      position = !reading_;
    }
    if (position) {
      // From now: a subscriber needs only the events after its subscription.
      uint64_t attempt = 0;  // the latest request this attempt serves
      {
        std::lock_guard lock(mutex_);
        attempt = wake_generation_;
      }
      Status opened = reader_.Open();
      if (!opened.ok()) {
        if (!warned)
          obs::Log(obs::Level::kWarn, "ws.events_unavailable", {{"error", opened.ToString()}});
        warned = true;
        std::unique_lock lock(mutex_);
        failed_generation_ = attempt;
        events_cv_.notify_all();  // a waiting subscriber answers from its own lookup
        // Back off, but a new request tries again at once (Redis may be back).
        events_cv_.wait_for(lock, std::chrono::milliseconds(500),
                            [&] { return stopping_.load() || wake_generation_ > attempt; });
        continue;
      }
      warned = false;
      {
        std::lock_guard lock(mutex_);
        reading_ = true;
      }
      events_cv_.notify_all();
    }
    auto events = reader_.Read(1000);
    if (!events.ok()) {
      std::unique_lock lock(beat_mutex_);
      beat_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_.load(); });
      continue;
    }
    for (const auto& event : *events) {
      if (stopping_.load()) return;
      try {
        Dispatch(event);
      } catch (const std::exception& e) {
        obs::Log(obs::Level::kWarn, "ws.dispatch_failed", {{"error", e.what()}});
      }
    }
  }
}

void WsHub::Dispatch(const queue::QueueEvent& event) {
  if (event.job_id.empty()) return;
  nlohmann::json message;
  bool needs_job = false;
  if (event.name == "progress") {
    nlohmann::json progress =
        nlohmann::json::parse(event.Field("data").value_or("null"), nullptr, false);
    if (progress.is_discarded()) progress = nullptr;
    message = {{"type", "progress"}, {"jobId", event.job_id}, {"progress", progress}};
  } else if (event.name == "completed") {
    nlohmann::json rv =
        nlohmann::json::parse(event.Field("returnvalue").value_or("null"), nullptr, false);
    if (rv.is_discarded()) rv = nullptr;
    message = {{"type", "completed"}, {"jobId", event.job_id}, {"result", jobs_.ResultJson(rv)}};
  } else if (event.name == "failed") {
    std::string reason = event.Field("failedReason").value_or("");
    if (reason == "cancelled") {
      message = {{"type", "cancelled"}, {"jobId", event.job_id}};
    } else {
      needs_job = true;  // for its error code
      message = {{"type", "failed"},
                 {"jobId", event.job_id},
                 {"error", {{"code", "render_failed"}, {"message", reason}}},
                 {"willRetry", false}};
    }
  } else if ((event.name == "delayed" || event.name == "waiting") &&
             event.Field("prev").value_or("") == "active") {
    needs_job = true;
    message = {{"type", "failed"},
               {"jobId", event.job_id},
               {"error", {{"code", "render_failed"}, {"message", ""}}},
               {"willRetry", true}};
  } else {
    return;
  }

  bool any_all = false;
  std::vector<Id> direct;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, session] : sessions_) {
      if (session.jobs.count(event.job_id))
        direct.push_back(id);
      else if (session.all)
        any_all = true;
    }
  }
  if (direct.empty() && !any_all) return;
  std::optional<queue::Job> job;
  if (needs_job || any_all) {
    auto fetched = jobs_.RawJob(event.job_id);
    if (fetched.ok()) job = std::move(*fetched);
  }
  if (job && message["type"] == "failed") {
    if (!job->error_code.empty()) message["error"]["code"] = job->error_code;
    if (!job->failed_reason.empty()) message["error"]["message"] = job->failed_reason;
    if (job->cancelled()) message = {{"type", "cancelled"}, {"jobId", event.job_id}};
  }
  std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  std::vector<Id> targets = direct;
  if (any_all && job) {
    for (auto& [id, session] : sessions_) {
      if (session.all && !session.jobs.count(event.job_id) &&
          jobs_.Visible(job->data, session.owner)) {
        targets.push_back(id);
      }
    }
  }
  for (Id id : targets) {
    auto it = sessions_.find(id);
    if (it != sessions_.end()) SendLocked(id, it->second, text);
  }
}

void WsHub::HeartbeatLoop() {
  std::unique_lock beat_lock(beat_mutex_);
  while (!stopping_.load()) {
    beat_cv_.wait_for(beat_lock, options_.ping_interval, [&] { return stopping_.load(); });
    if (stopping_.load()) return;
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    std::vector<Id> dead;
    for (auto& [id, session] : sessions_) {
      if (now - session.last_seen > options_.drop_after) {
        dead.push_back(id);
        continue;
      }
      try {
        session.handle->send_message(rws::final_frame, rws::opcode_t::ping_frame,
                                     restinio::writable_item_t(std::string("hb")));
      } catch (const std::exception&) {
        dead.push_back(id);
      }
    }
    for (Id id : dead) {
      obs::Log(obs::Level::kInfo, "ws.dropped",
               {{"connection", static_cast<unsigned long long>(id)}});
      RemoveLocked(id, true);
    }
  }
}

}  // namespace vg::api

// WsHub: the WebSocket side of the API (API.md "WebSocket"): the sessions of `/ws`, their
// subscriptions (one job, or every job of the owner), the queue's events stream fanned out to
// them (an EventsReader on its own thread, so a client on any API instance sees every job),
// and the heartbeat (a ping every 30 s; a peer silent for 60 s is dropped). Events of jobs a
// session's owner may not see are never sent. A bad message gets {type:"error"} and the
// connection stays.
//
// Threads: "vg-ws-events" reads the stream, "vg-ws-beat" pings; Add/OnMessage run on the
// server's I/O threads. Every send, close and kill happens under one mutex and catches
// RESTinio's exceptions, so a peer vanishing mid-send is harmless. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <restinio/all.hpp>
#include <restinio/websocket/websocket.hpp>
#include <set>
#include <string>
#include <thread>

#include "api/jobs.h"
#include "base/status.h"
#include "queue/events.h"
#include "queue/redis_options.h"

namespace vg::obs {
class Metrics;
}

namespace vg::api {

struct WsHubOptions {
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds drop_after{60000};
};

class WsHub {
 public:
  // `jobs` and `metrics` (may be null) are borrowed and must outlive the hub.
  WsHub(JobsService& jobs, queue::RedisOptions redis, queue::QueueName queue, obs::Metrics* metrics,
        WsHubOptions options = {});
  ~WsHub();
  WsHub(const WsHub&) = delete;
  WsHub& operator=(const WsHub&) = delete;

  // Starts the events and heartbeat threads. Redis being down is not an error (the reader
  // reconnects by itself).
  Status Start();
  // Closes every session and joins the threads. Idempotent.
  void Stop();

  // Registers an upgraded connection of `owner` (before it is activated).
  void Add(const restinio::websocket::basic::ws_handle_t& handle, std::string owner);
  // A frame from a session (RESTinio's message handler).
  void OnMessage(const restinio::websocket::basic::ws_handle_t& handle,
                 const restinio::websocket::basic::message_handle_t& message);

  size_t session_count() const;

 private:
  struct Session {
    restinio::websocket::basic::ws_handle_t handle;
    std::string owner;
    std::set<std::string> jobs;
    bool all = false;
    std::chrono::steady_clock::time_point last_seen;
  };
  using Id = restinio::connection_id_t;

  void HandleText(Id id, const std::string& owner, const std::string& text);
  void SendLocked(Id id, Session& session, const std::string& text);
  void SendTo(Id id, const nlohmann::json& message);
  void RemoveLocked(Id id, bool kill);
  void UpdateGaugeLocked();
  void EventsLoop();
  void HeartbeatLoop();
  void Dispatch(const queue::QueueEvent& event);

  JobsService& jobs_;
  queue::EventsReader reader_;
  obs::Metrics* metrics_;
  WsHubOptions options_;

  mutable std::mutex mutex_;  // guards sessions_ and every use of their handles
  std::map<Id, Session> sessions_;
  std::atomic<bool> stopping_{false};
  std::mutex beat_mutex_;
  std::condition_variable beat_cv_;
  std::thread events_thread_, beat_thread_;
  bool started_ = false;
};

}  // namespace vg::api

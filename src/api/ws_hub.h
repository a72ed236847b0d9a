// WsHub: the WebSocket side of the API (API.md "WebSocket"): the sessions of `/ws`, their
// subscriptions (one job, or every job of the owner), the queue's events stream fanned out to
// them (an EventsReader on its own thread, so a client on any API instance sees every job),
// and the heartbeat (a ping every 30 s; a peer silent for 60 s is dropped). Events of jobs a
// session's owner may not see are never sent. A bad message gets {type:"error"} and the
// connection stays.
//
// The events stream is read only while some session is subscribed (to a job or to all): with
// none, the events thread sleeps and Redis is not asked for anything. The first subscription
// wakes the events thread, which positions the reader at the stream's end ("now"); a subscriber
// gets the current status read after that positioning and then every event after it; events
// from before are not needed by anyone and are skipped. An I/O thread never waits on Redis being
// down: a subscription answers from its own status lookup (its error is the documented error
// message) and waits for the positioning only once that lookup showed Redis answering (about a
// round trip, bounded); the events thread reconnects by itself.
//
// Threads: "vg-ws-events" reads the stream, "vg-ws-beat" pings; Add/OnMessage run on the
// server's I/O threads. Every send, close and kill happens under one mutex and catches
// RESTinio's exceptions, so a peer vanishing mid-send is harmless. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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
  // Makes sure the events thread follows the stream from now on (positions the reader if it
  // was idle, at once even if it was backing off) and keeps it awake for kLinger even before the
  // subscription is recorded. Never waits. Returns 0 when the reader was positioned already,
  // else the generation of this request (for AwaitPositioned). Called without mutex_ held.
  uint64_t WakeReader();
  // Waits, bounded by kPositionWait, until the reader is positioned, a positioning attempt made
  // for request `generation` (or a later one) failed (Redis down: nothing to wait for), or the
  // hub stops. Returns whether it is positioned. Called without mutex_ held.
  bool AwaitPositioned(uint64_t generation);
  bool HasSubscribersLocked() const;

  JobsService& jobs_;
  queue::EventsReader reader_;
  obs::Metrics* metrics_;
  WsHubOptions options_;

  mutable std::mutex mutex_;  // guards sessions_ and every use of their handles
  std::map<Id, Session> sessions_;
  // With mutex_: the events thread waits here while idle; EnsureReading waits for reading_.
  std::condition_variable events_cv_;
  bool reading_ = false;  // guarded by mutex_: the reader is positioned and following the stream
  // Guarded by mutex_: generations of WakeReader requests, and the request generation seen by the
  // latest positioning attempt that failed.
  uint64_t wake_generation_ = 0;
  uint64_t failed_generation_ = 0;
  std::chrono::steady_clock::time_point linger_until_;  // guarded by mutex_
  std::atomic<bool> stopping_{false};
  std::mutex beat_mutex_;
  std::condition_variable beat_cv_;
  std::thread events_thread_, beat_thread_;
  bool started_ = false;
};

}  // namespace vg::api

// ConnectionPool: a fixed set of Redis clients (queue::Producer, queue::OwnerIndex) shared by
// the API's blocking-route threads (server.h), so concurrent requests make their Redis round trips in parallel
// instead of queueing on one connection. A caller leases one member for one call; the lease
// gives it back when it goes out of scope. Members connect lazily (on their first call), so an
// idle API holds one connection and a busy one at most size(). The most recently returned
// member is handed out first, which keeps few connections warm under light load.
//
// Thread safety: Acquire() may be called from any thread; it blocks while every member is
// leased. A Lease is used by the thread that holds it. Ownership: the members are borrowed
// and must outlive the pool; the pool must outlive its leases.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "base/check.h"

namespace vg::api {

template <typename T>
class ConnectionPool {
 public:
  // `members` must not be empty and must not hold null.
  explicit ConnectionPool(std::vector<T*> members) : idle_(std::move(members)) {
    VG_CHECK(!idle_.empty());
    size_ = idle_.size();
  }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), member_(other.member_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->Return(member_);
    }
    T* operator->() const { return member_; }
    T& operator*() const { return *member_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, T* member) : pool_(pool), member_(member) {}
    ConnectionPool* pool_;
    T* member_;
  };

  // A member for the caller's exclusive use until the lease ends. Use it for one call (or a
  // short sequence of calls) and let it go: a lease held across slow work starves others.
  Lease Acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    T* member = idle_.back();
    idle_.pop_back();
    return Lease(this, member);
  }

  size_t size() const { return size_; }

 private:
  void Return(T* member) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(member);
    }
    available_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<T*> idle_;  // guarded by mutex_
  size_t size_ = 0;
};

}  // namespace vg::api

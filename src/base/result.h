// vg::Result<T>: a value or a Status, shaped like C++23's std::expected so it can be swapped
// for it later. Access to value() on an error (or error() on a value) is a broken invariant
// and aborts via VG_CHECK.
#pragma once

#include <utility>
#include <variant>

#include "base/check.h"
#include "base/status.h"

namespace vg {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    VG_CHECK(!std::get<1>(state_).ok());
  }

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    VG_CHECK(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    VG_CHECK(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    VG_CHECK(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Status& error() const {
    VG_CHECK(!ok());
    return std::get<1>(state_);
  }
  // The status of this result: OK when it holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace vg

// Evaluates a Status expression and returns it from the enclosing function when not OK.
#define VG_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::vg::Status vg_status_ = (expr);       \
    if (!vg_status_.ok()) return vg_status_; \
  } while (0)

#define VG_CONCAT_INNER(a, b) a##b
#define VG_CONCAT(a, b) VG_CONCAT_INNER(a, b)
// VG_ASSIGN_OR_RETURN(auto x, Foo()): binds the value or returns the error.
#define VG_ASSIGN_OR_RETURN(decl, expr)                                  \
  auto VG_CONCAT(vg_result_, __LINE__) = (expr);                         \
  if (!VG_CONCAT(vg_result_, __LINE__).ok())                             \
    return VG_CONCAT(vg_result_, __LINE__).error();                      \
  decl = std::move(VG_CONCAT(vg_result_, __LINE__)).value()

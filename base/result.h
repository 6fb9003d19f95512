// The one error vocabulary of the control path: an ErrorCode whose words are the signaling
// protocol's and REST's stable snake_case codes, an Error (code plus a human-readable message),
// and Result<T>, which holds either a T or an Error. Header-only value types: no threads, no
// shared state; a Result owns its value or its error. Layers below keep their detailed errors
// where they carry more (SdpError's line numbers, ConfigError's file:line) and are turned into
// an Error at the boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sfu {

enum class ErrorCode : uint8_t {
  // Protocol and REST codes (docs/protocol.md): clients match on these words.
  bad_request,
  unauthorized,
  forbidden,
  not_found,
  method_not_allowed,
  conflict,
  room_full,
  server_full,
  too_many_rooms,
  too_many_tracks,
  already_joined,
  not_joined,
  overloaded,
  worker_timeout,
  message_too_large,
  too_many_errors,
  connection_lost,
  join_timeout,
  payload_too_large,
  length_required,
  internal_error,
  unsupported,
  resume_failed,
  // Start-up failures (logged, never sent to a client).
  bind_failed,
};

constexpr std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return "bad_request";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::method_not_allowed:
      return "method_not_allowed";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::room_full:
      return "room_full";
    case ErrorCode::server_full:
      return "server_full";
    case ErrorCode::too_many_rooms:
      return "too_many_rooms";
    case ErrorCode::too_many_tracks:
      return "too_many_tracks";
    case ErrorCode::already_joined:
      return "already_joined";
    case ErrorCode::not_joined:
      return "not_joined";
    case ErrorCode::overloaded:
      return "overloaded";
    case ErrorCode::worker_timeout:
      return "worker_timeout";
    case ErrorCode::message_too_large:
      return "message_too_large";
    case ErrorCode::too_many_errors:
      return "too_many_errors";
    case ErrorCode::connection_lost:
      return "connection_lost";
    case ErrorCode::join_timeout:
      return "join_timeout";
    case ErrorCode::payload_too_large:
      return "payload_too_large";
    case ErrorCode::length_required:
      return "length_required";
    case ErrorCode::unsupported:
      return "unsupported";
    case ErrorCode::resume_failed:
      return "resume_failed";
    case ErrorCode::internal_error:
      return "internal_error";
    case ErrorCode::bind_failed:
      return "bind_failed";
  }
  return "internal_error";
}

struct Error {
  ErrorCode code = ErrorCode::internal_error;
  std::string message;

  bool operator==(const Error&) const = default;
};

// A T or an Error. Implicit from either, so a function returns `value` or `Error{...}` alike.
template <class T>
class Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error)
      : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // Precondition: !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// An operation with nothing to return: success, or an Error.
template <>
class Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // Precondition: !ok().
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace sfu

// A minimal WebSocket client (RFC 6455) for the server's signaling endpoint (ws://host:port/v1/rtc)
// on a libuv loop: the HTTP/1.1 upgrade with a random Sec-WebSocket-Key and a checked
// Sec-WebSocket-Accept, masked text frames out, unmasked frames in (fragmented messages are
// reassembled), ping answered with pong, and the close handshake. Messages are JSON objects.
//
// Written by hand rather than with libwebsockets so that every byte on the wire is under the
// tests' control. Everything is bounded: the handshake, a reassembled message and the send queue.
// A server that breaks the protocol (masked frames, reserved bits, bad lengths, fragmented control
// frames, invalid UTF-8, non-JSON text) gets a close frame with the matching status code.
//
// Lives on one loop and is used only from that loop's thread. Callbacks may call send() and
// close(), and may destroy the client (nothing is touched after a callback that did).
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sfu::client {

class SignalingClient {
 public:
  struct Callbacks {
    std::function<void()> on_open;                                  // the upgrade succeeded
    std::function<void(const nlohmann::json& message)> on_message;  // one complete JSON message
    // Exactly once per connect() that was accepted, however the connection ended: `code` is the
    // status from the close frame (1006 when there was none, e.g. refused, reset or timed out),
    // `reason` says what happened.
    std::function<void(uint16_t code, const std::string& reason)> on_close;
  };
  struct Options {
    size_t max_handshake_bytes = size_t{16} * 1024;
    size_t max_message_bytes = size_t{1024} * 1024;  // a reassembled incoming message
    size_t max_send_queue_bytes = size_t{4} * 1024 * 1024;
    uint64_t connect_timeout_ms = 10'000;  // TCP connect plus upgrade
    uint64_t close_timeout_ms = 3'000;     // after our close frame, wait this long for the peer's
  };
  enum class State { Idle, Connecting, Open, Closing, Closed };

  struct Counters {
    uint64_t messages_sent = 0, messages_received = 0, pings_received = 0, protocol_errors = 0;
  };

  explicit SignalingClient(uv_loop_t* loop) : SignalingClient(loop, Options{}) {}
  SignalingClient(uv_loop_t* loop, Options options);
  ~SignalingClient();
  SignalingClient(const SignalingClient&) = delete;
  SignalingClient& operator=(const SignalingClient&) = delete;

  // Starts connecting. `host` is an IPv4 or IPv6 literal (or "localhost"). False with *error when
  // the address is invalid or the client was used already; on_close is not called then.
  bool connect(const std::string& host, uint16_t port, const std::string& path, Callbacks callbacks,
               std::string* error);
  // Queues one text message. False when not open or the send queue is full.
  bool send(const nlohmann::json& message);
  bool send_text(std::string_view text);
  // Starts the close handshake (or aborts a connection still being set up).
  void close(uint16_t code = 1000, std::string_view reason = {});
  // Ends the connection as a lost network does: no close frame, the TCP connection reset. on_close
  // follows at once with 1006.
  void drop();

  State state() const { return state_; }
  bool open() const { return state_ == State::Open; }
  const Counters& counters() const { return counters_; }

  // ---- exposed for unit tests ----
  // base64(SHA-1(key + RFC 6455 GUID)), the Sec-WebSocket-Accept a server must send for `key`.
  static std::string accept_key_for(std::string_view key);
  static bool valid_utf8(std::string_view text);

 private:
  struct Handle;  // the uv_tcp_t and its timer, which may outlive this object while closing

  void on_connected(int status);
  void on_read(const char* data, size_t size);
  void on_eof(int status);
  void on_timeout();
  bool handle_handshake();
  // Parses as many complete frames from rx_ as possible. False when the connection was closed
  // (or this object destroyed) while doing so.
  bool handle_frames();
  bool handle_frame(uint8_t opcode, bool fin, std::string_view payload);
  bool deliver_message();
  void send_frame(uint8_t opcode, std::string_view payload);
  void write_raw(std::string bytes);
  void fail(uint16_t code, const std::string& reason);  // protocol error: close frame, then drop
  void shutdown_transport();
  // Takes the socket and its timer from this client (reading and the timer stopped, callbacks no
  // longer reach us); nullptr when there is none. The caller closes them.
  Handle* detach_handle();
  // Calls on_close once; returns false if the callback destroyed this object.
  bool finish(uint16_t code, const std::string& reason);

  uv_loop_t* loop_;
  Options options_;
  Callbacks callbacks_;
  State state_ = State::Idle;
  Handle* handle_ = nullptr;
  std::shared_ptr<bool> alive_;
  std::string host_header_;
  std::string path_;
  std::string key_;
  std::string rx_;  // bytes read and not yet consumed
  bool handshake_done_ = false;
  std::string message_;  // fragments of the message being reassembled
  bool in_message_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
  uint16_t close_code_ = 1006;
  std::string close_reason_;
  Counters counters_;
};

}  // namespace sfu::client

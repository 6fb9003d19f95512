// One ICE-TCP connection (RFC 6544) on a libuv loop, accepted by a TcpServer or connected by a
// test client: RFC 4571 frames in (TcpFrameReader) and out.
//
// Sending is bounded and batched. Frames are built in place in one half of a double buffer;
// everything queued during a loop turn goes to the kernel in one write before the loop next
// blocks (a uv_prepare handle), or earlier when the half is full. What the kernel's socket buffer
// does not take stays in that half, in flight with a uv_write, while the other half fills; when
// the write completes the next one follows. Only with a write in flight and the other half full
// is a packet dropped (and counted): a slow peer costs at most the two halves, never more memory,
// and never blocks the loop. The buffers are allocated at the first send.
//
// Lifetime: close() tells the handler once (on_closed) and closes the handle; the object may be
// destroyed any time after that, but not from inside one of its own callbacks (the owner frees it
// at a safe point). The libuv handles live in a separate block that outlives the object until
// libuv has closed them.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/socket_address.h"
#include "net/tcp_frame_reader.h"

namespace sfu::net {

// Why a connection ended. The first ones are refusals the server decided on; /metrics exports
// them as sfu_ice_tcp_refused_total{reason}, the rest as sfu_ice_tcp_closed_total{reason}.
enum class TcpCloseReason : uint8_t {
  PendingLimit,       // refused at accept: rtc.tcp_max_pending connections not yet validated
  PendingPerAddress,  // refused at accept: rtc.tcp_max_pending_per_address from that IP address
  FrameTooLarge,      // a length field over TcpFrameReader::kMaxFrameSize
  NotIce,             // before a valid ICE check: something other than a STUN binding request
  UnknownUfrag,       // its first check names no live connection's ufrag
  CheckTimeout,       // no valid ICE check within rtc.tcp_pending_timeout_s
  PeerClosed,         // the peer closed its side (FIN)
  Error,              // a read or write error (e.g. a reset)
  Released,           // its owner let it go: the transport closed, or keeps newer paths
  Stopping,           // the server is stopping
  kCount
};
inline constexpr size_t kTcpRefusalReasons = 6;  // PendingLimit .. CheckTimeout
inline constexpr std::array<const char*, static_cast<size_t>(TcpCloseReason::kCount)> kTcpCloseReasonNames = {
    "pending_limit", "pending_per_address", "frame_too_large", "not_ice",  "unknown_ufrag",
    "check_timeout", "peer_closed",         "error",           "released", "stopping",
};

// Written by the loop's thread only, read by others (metrics): relaxed atomics.
struct TcpCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> open{0};     // gauge: connections open now, pending ones included
  std::atomic<uint64_t> pending{0};  // gauge: open and not yet validated by their owner
  std::atomic<uint64_t> rx_frames{0}, rx_bytes{0}, tx_frames{0}, tx_bytes{0};
  std::atomic<uint64_t> tx_dropped_queue_full{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(TcpCloseReason::kCount)> closed{};
};

class TcpConnection {
 public:
  // Bytes of one half of the send double buffer: what may wait while the kernel's buffer is full
  // and the other half's write is in flight.
  static constexpr size_t kSendHalfBytes = size_t{64} * 1024;

  class Handler {
   public:
    virtual ~Handler() = default;
    // One received frame (a packet), valid and writable during the call. The handler may close
    // the connection; its remaining frames are then not delivered.
    virtual void on_frame(TcpConnection& connection, uint8_t* data, size_t size) = 0;
    // After the frames of one read.
    virtual void on_frames_done(TcpConnection&) {}
    // The connection ended (once); nothing is sent or received on it any more.
    virtual void on_closed(TcpConnection& connection, TcpCloseReason reason) = 0;
  };

  TcpConnection(uv_loop_t* loop, Handler& handler, TcpCounters& counters);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Server side: takes the next connection from a listening handle and starts reading. False
  // (nothing to close) when there was none.
  bool accept(uv_stream_t* listener);
  // Client side: connects to `remote`. Frames may be queued at once; they go out once connected.
  bool connect(const SocketAddress& remote, std::string* error);

  const SocketAddress& remote_address() const { return remote_; }
  bool is_open() const { return state_ != State::Closed; }
  bool connected() const { return state_ == State::Open; }

  // A buffer of TcpFrameReader::kMaxFrameSize bytes to build one packet in; commit_send() queues
  // `size` bytes of it. Valid until commit_send() or the next acquire_send(). With the queue full
  // (or the connection closed) it is a scratch buffer, and commit_send() counts the drop.
  MutableByteSpan acquire_send();
  void commit_send(size_t size);
  // Copies and queues one packet.
  void send(ByteSpan packet);
  // Hands what is queued to the kernel now, unless a write is in flight (its completion writes
  // the rest). Called by itself before the loop blocks; a caller may flush earlier.
  void flush();

  // Ends the connection: on_closed(reason) at once, the handle closes with the next loop turn.
  void close(TcpCloseReason reason);

  // Free for the owner's use (the worker keeps the id of the transport it is bound to; 0 = none).
  uint64_t owner_id() const { return owner_id_; }
  void set_owner_id(uint64_t id) { owner_id_ = id; }

 private:
  enum class State : uint8_t { Idle, Connecting, Open, Closed };
  struct Io;  // the libuv handles and requests; see the file comment
  struct SendBuffers;

  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* request, int status);
  static void on_connect(uv_connect_t* request, int status);
  static void on_prepare(uv_prepare_t* prepare);
  bool start(std::string* error);
  void take_bytes(size_t count);
  void schedule_flush();
  void release_io();

  uv_loop_t* loop_;
  Handler& handler_;
  TcpCounters& counters_;
  Io* io_ = nullptr;
  State state_ = State::Idle;
  SocketAddress remote_;
  uint64_t owner_id_ = 0;
  TcpFrameReader reader_;
  std::unique_ptr<SendBuffers> send_;
};

}  // namespace sfu::net

// A UDP socket on a libuv loop that receives and sends in batches (recvmmsg/sendmmsg) with
// buffers allocated once at construction: nothing on the packet path allocates.
//
// Receiving: each readable event drains up to kBatch datagrams per recvmmsg and hands the whole
// batch to the owner, who may queue replies with acquire_send()/commit_send(); the socket flushes
// the send ring after the batch (one sendmmsg for all replies and forwards of that batch).
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/counter.h"
#include "base/socket_address.h"

namespace sfu::net {

// Counters written only by the socket's loop thread and read by others (metrics): relaxed atomics.
struct UdpSocketCounters {
  std::atomic<uint64_t> rx_packets{0}, rx_bytes{0}, rx_truncated{0}, rx_errors{0};
  std::atomic<uint64_t> tx_packets{0}, tx_bytes{0}, tx_dropped_ring_full{0}, tx_dropped_would_block{0},
      tx_errors{0};
};

class UdpSocket {
 public:
  static constexpr size_t kBatch = 64;         // datagrams per recvmmsg / sendmmsg
  static constexpr size_t kBufferSize = 2048;  // bigger than any datagram we accept (MTU + slack)
  static constexpr size_t kSendRing = 1024;    // datagrams queued between flushes

  struct Datagram {
    uint8_t* data;  // points into the socket's receive buffer, valid during the batch callback
    size_t size;
    SocketAddress from;
  };
  using BatchHandler = std::function<void(std::span<Datagram>)>;

  UdpSocket(uv_loop_t* loop, BatchHandler on_batch);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Opens, binds and starts reading. Port 0 picks a free port. Returns false with *error set.
  bool bind(const SocketAddress& address, uint32_t recv_buffer_bytes, uint32_t send_buffer_bytes,
            std::string* error);
  const SocketAddress& local_address() const { return local_; }

  // A buffer of kBufferSize bytes to fill with one datagram; commit_send() queues it. Flushes first
  // when the ring is full. Valid until commit_send() or the next acquire_send().
  MutableByteSpan acquire_send();
  void commit_send(size_t size, const SocketAddress& to);
  // Copies and queues one datagram (control traffic: STUN, DTLS, RTCP).
  void send(ByteSpan datagram, const SocketAddress& to);
  // Sends everything queued with as few sendmmsg calls as possible.
  void flush();

  // Stops reading and closes the handle; the socket must then be kept alive until the loop has run
  // once more (the owner's loop shutdown does that).
  void close();

  const UdpSocketCounters& counters() const { return counters_; }

 private:
  static void on_poll(uv_poll_t* handle, int status, int events);
  void drain();

  uv_loop_t* loop_;
  BatchHandler on_batch_;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;  // heap-allocated so that uv_close can outlive us safely
  SocketAddress local_;
  UdpSocketCounters counters_;

  struct RecvSlots;
  struct SendSlots;
  std::unique_ptr<RecvSlots> recv_;
  std::unique_ptr<SendSlots> send_;
};

}  // namespace sfu::net

// A UDP socket on a libuv loop that receives and sends in batches (recvmmsg/sendmmsg) with
// buffers allocated once at construction: nothing on the packet path allocates.
//
// Receiving: each readable event drains up to kBatch datagrams per recvmmsg and hands the whole
// batch to the owner, who may queue replies with acquire_send()/commit_send(); the socket flushes
// the send ring after the batch (one sendmmsg for all replies and forwards of that batch).
//
// Bound to a wildcard address (0.0.0.0, or :: which is always IPv6-only here), the socket learns
// the local address each datagram was sent to (IP_PKTINFO / IPV6_RECVPKTINFO) and sends a
// datagram from the source its caller names, so a reply leaves from the address the peer sent to
// on a host with several addresses. Bound to one address, both are that address.
//
// Each datagram carries the time the kernel received it (SO_TIMESTAMPNS), on the monotonic
// clock: what transport-cc feedback reports to a sender as its arrival time. The time the worker
// got to it would add the worker's own scheduling (a busy or descheduled thread reads a backlog
// late, all at once), which a sender's delay-based estimate takes for a queue on its path.
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
#include "net/flush_clock.h"

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
    // The local address (and port) it was sent to: the source of a reply. Not set (family 0) for
    // frames of an ICE-TCP connection, which answer on that connection.
    SocketAddress local{};
    // When the kernel received it: microseconds of CLOCK_MONOTONIC (uv_hrtime() / 1000). 0 when
    // unknown (an ICE-TCP frame, or a kernel without receive timestamps): the caller's clock then.
    int64_t arrival_us = 0;
  };
  using BatchHandler = std::function<void(std::span<Datagram>)>;

  // With `shared_counters` the socket counts into those (a worker's sockets share one set; all on
  // one loop thread); else into its own.
  UdpSocket(uv_loop_t* loop, BatchHandler on_batch, UdpSocketCounters* shared_counters = nullptr);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Opens, binds and starts reading. Port 0 picks a free port. Returns false with *error set.
  bool bind(const SocketAddress& address, uint32_t recv_buffer_bytes, uint32_t send_buffer_bytes,
            std::string* error);
  const SocketAddress& local_address() const { return local_; }
  // Bound to a wildcard address: datagrams carry their own local address, sends take a source.
  bool wildcard() const { return wildcard_; }

  // A buffer of kBufferSize bytes to fill with one datagram; commit_send() queues it. Flushes first
  // when the ring is full. Valid until commit_send() or the next acquire_send().
  MutableByteSpan acquire_send();
  // `from`: the source address (a Datagram::local of this socket); used by a wildcard socket,
  // nullptr = the kernel's choice.
  void commit_send(size_t size, const SocketAddress& to, const SocketAddress* from = nullptr);
  // Copies and queues one datagram (control traffic: STUN, DTLS, RTCP).
  void send(ByteSpan datagram, const SocketAddress& to, const SocketAddress* from = nullptr);
  // Sends everything queued with as few sendmmsg calls as possible; a flush that sent anything
  // records its time on the flush clock, when one is set.
  void flush();
  // The worker's clock of flushes (flush_clock.h), owned by the worker; nullptr: none.
  void set_flush_clock(FlushClock* clock) { flush_clock_ = clock; }

  // Stops reading and closes the handle; the socket must then be kept alive until the loop has run
  // once more (the owner's loop shutdown does that).
  void close();

  const UdpSocketCounters& counters() const { return *counters_; }

 private:
  static void on_poll(uv_poll_t* handle, int status, int events);
  void drain();
  bool enable_local_addresses(const SocketAddress& address);
  // Received datagram `i`'s control messages: its local address (from its IP_PKTINFO /
  // IPV6_PKTINFO, else local_) and its arrival time, the kernel's realtime stamp moved to the
  // monotonic clock by `realtime_minus_monotonic_ns` (0 without one).
  void read_controls(size_t i, int64_t realtime_minus_monotonic_ns, int64_t now_monotonic_ns,
                     SocketAddress& local, int64_t& arrival_us) const;
  // Points slot `i`'s header at its control buffer holding `from` as the source address.
  void attach_source(size_t i);

  uv_loop_t* loop_;
  BatchHandler on_batch_;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;  // heap-allocated so that uv_close can outlive us safely
  SocketAddress local_;
  bool wildcard_ = false;
  UdpSocketCounters own_counters_;
  UdpSocketCounters* counters_;
  FlushClock* flush_clock_ = nullptr;  // not owned

  struct RecvSlots;
  struct SendSlots;
  std::unique_ptr<RecvSlots> recv_;
  std::unique_ptr<SendSlots> send_;
};

// A worker's UDP sockets: at most one per address family (one IPv4, one IPv6), owned elsewhere.
struct UdpSockets {
  UdpSocket* v4 = nullptr;
  UdpSocket* v6 = nullptr;
  // The socket that reaches `peer`; nullptr when there is none of its family.
  UdpSocket* for_peer(const SocketAddress& peer) const { return peer.is_v6() ? v6 : v4; }
  void flush() const {
    if (v4) v4->flush();
    if (v6) v6->flush();
  }
  void set_flush_clock(FlushClock* clock) const {
    if (v4) v4->set_flush_clock(clock);
    if (v6) v6->set_flush_clock(clock);
  }
};

}  // namespace sfu::net

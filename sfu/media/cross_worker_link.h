// One direction between two workers of a room that spans workers (docs/protocol.md, "Rooms across
// workers"): an SpscRing of fixed-size packet slots from the producer worker's thread to the
// consumer worker's thread, and the consumer's doorbell.
//
// What crosses, one slot each:
//   - media of a published track, as plain RTP after SRTP unprotect (and after RTX unwrapping),
//     with its arrival time and the track's export reference; and repairs of it (the same, sent
//     again because the other worker's subscribers NACKed a packet it never got);
//   - the publisher's sender reports (NTP/RTP clock), so the other worker's subscribers get them
//     rewritten into their own spaces and keep lip sync;
//   - back from a subscribers' worker: a keyframe request (already collapsed there), NACKs for
//     packets that worker's buffer did not hold, and (dynacast) the simulcast layers that worker's
//     subscribers need.
// Receiver reports, REMB and transport-cc are terminated per hop, as on one worker: the publisher's
// worker reports its own reception to the publisher, a subscriber's describe only its own hop.
// (The same split as mediasoup's pipe transports between routers: the pipe consumer answers a
// pipe's NACK from the origin's buffer and turns a pipe's PLI into a keyframe request.)
//
// push_*() never allocate, lock or block: a full ring drops the message and counts it
// (sfu_worker_ring_dropped_total{reason="full"}). They only mark the consumer to be woken; the
// producer worker calls wake_consumer() for each of its links once per loop turn, so a burst
// costs one uv_async_send, not one per packet.
//
// Relay mode (rooms spanning cluster nodes, relay_peer.h): a link from this worker to a worker of
// another node has no ring: each slot is filled in one scratch slot and sealed into one datagram
// of the worker's relay socket at once (its sends are flushed once per loop turn, like a doorbell).
// The same push_*() calls, so the room shard, proxies and tables treat a remote shard like any peer.
//
// Thread: push_*() and wake_consumer() on the producer worker's thread, drain() on the consumer's.
// A relay-mode link is made and used on its worker's thread only. Otherwise created on the control
// thread and shared (shared_ptr) by the two workers' CrossWorkerHubs; the
// counters and the doorbell it points at belong to the workers and outlive it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/bytes.h"
#include "base/counter.h"
#include "sfu/media/cross_worker_routes.h"
#include "sfu/media/worker_ring.h"

namespace sfu {

enum class CrossWorkerKind : uint8_t {
  kMedia,            // publisher's worker -> subscribers' worker: an RTP packet of the track
  kRepair,           // the same, resent answering a kNack
  kSenderReport,     // publisher's worker -> subscribers' worker: ntp + rtp_timestamp
  kKeyframeRequest,  // subscribers' worker -> publisher's worker
  kNack,             // subscribers' worker -> publisher's worker: data holds uint16_t sequence numbers
  kLayerDemand,      // subscribers' worker -> publisher's worker: the layers its subscribers need
};

// One ring slot. Fixed size: the ring is preallocated, and nothing is allocated per packet.
struct CrossWorkerPacket {
  // Larger RTP than a 1,500-byte MTU carries is dropped (reason too_large), never split.
  static constexpr size_t kMaxBytes = 1500;
  static constexpr size_t kMaxNackItems = kMaxBytes / sizeof(uint16_t);

  CrossWorkerKind kind = CrossWorkerKind::kMedia;
  uint8_t layer = 0;           // the track's simulcast layer (0 without simulcast)
  uint16_t size = 0;           // bytes of `data` in use
  CrossWorkerTrackRef track;   // the track, by its export on the publisher's worker
  uint64_t arrival_ms = 0;     // media: when its publisher's packet arrived (the worker's loop clock)
  uint64_t ntp = 0;            // sender report
  uint32_t rtp_timestamp = 0;  // sender report
  uint32_t layers = 0;         // layer demand: bit i, layer i is needed (dynacast.h)
  std::array<uint8_t, kMaxBytes> data;
};

// One worker's ring traffic, for /metrics: written by that worker's thread only.
struct CrossWorkerCounters {
  std::atomic<uint64_t> packets_out{0};   // slots this worker queued to others
  std::atomic<uint64_t> packets_in{0};    // slots this worker took from others
  std::atomic<uint64_t> wakeups{0};       // doorbells this worker rang (at most one per link and loop turn)
  std::atomic<uint64_t> dropped_full{0};  // its push found the ring to that worker full
  std::atomic<uint64_t> dropped_too_large{0};
  std::atomic<uint64_t> dropped_stale{
      0};  // a slot for a track this worker no longer has (unpublished meanwhile)
  std::atomic<uint64_t> keyframe_requests_in{0};  // from other workers' subscribers, for its publishers
  std::atomic<uint64_t> repairs_sent{0};          // ... answered from its buffer
  std::atomic<uint64_t> repairs_missed{0};        // ... not (or no longer) in its buffer
  std::atomic<uint64_t> repairs_duplicate{0};     // ... resent to that worker within 100 ms already
};

// How a link wakes its consumer worker (CrossWorkerHub: uv_async_send on the consumer's loop).
class RingDoorbell {
 public:
  virtual ~RingDoorbell() = default;
  virtual void ring() = 0;  // any thread

 protected:
  RingDoorbell() = default;
  RingDoorbell(const RingDoorbell&) = default;
  RingDoorbell& operator=(const RingDoorbell&) = default;
};

class RelayPeer;

class CrossWorkerLink {
 public:
  CrossWorkerLink(uint32_t from_worker, uint32_t to_worker, size_t packets, CrossWorkerCounters& producer,
                  CrossWorkerCounters& consumer, RingDoorbell& consumer_doorbell);
  // Relay mode: to a remote shard's peer index `to_peer`, through `relay`.
  CrossWorkerLink(uint32_t from_worker, uint32_t to_peer, RelayPeer& relay, CrossWorkerCounters& producer);
  ~CrossWorkerLink();
  CrossWorkerLink(const CrossWorkerLink&) = delete;
  CrossWorkerLink& operator=(const CrossWorkerLink&) = delete;

  uint32_t from_worker() const { return from_; }
  uint32_t to_worker() const { return to_; }
  bool relayed() const { return relay_ != nullptr; }
  size_t capacity() const { return ring_.capacity(); }

  // ---- producer worker ----
  // kMedia or kRepair: a copy of `rtp`, a packet of the track's `layer`. False when dropped (counted).
  bool push_rtp(CrossWorkerKind kind, CrossWorkerTrackRef track, size_t layer, ByteSpan rtp,
                uint64_t arrival_ms);
  bool push_sender_report(CrossWorkerTrackRef track, size_t layer, uint64_t ntp, uint32_t rtp_timestamp);
  bool push_keyframe_request(CrossWorkerTrackRef track, size_t layer);
  // At most kMaxNackItems sequence numbers of `layer` (the rest are left out).
  bool push_nack(CrossWorkerTrackRef track, size_t layer, std::span<const uint16_t> sequence_numbers);
  // Bit i of `layers`: layer i of the track is needed by this (producing) worker's subscribers.
  bool push_layer_demand(CrossWorkerTrackRef track, uint32_t layers);
  // Rings the consumer's doorbell if anything was pushed since the last call.
  void wake_consumer();

  // ---- consumer worker ----
  // Hands the queued slots, oldest first, to `consume(CrossWorkerPacket&)` (valid during the call).
  template <typename Consume>
  size_t drain(Consume&& consume) {
    size_t taken = ring_.drain(ring_.capacity(), consume);
    bump(consumer_.packets_in, taken);
    return taken;
  }

 private:
  // The next slot, or nullptr (counted) when the ring is full.
  CrossWorkerPacket* claim(CrossWorkerKind kind, CrossWorkerTrackRef track, size_t layer);
  void publish();

  const uint32_t from_;
  const uint32_t to_;
  SpscRing<CrossWorkerPacket> ring_;
  CrossWorkerCounters& producer_;
  CrossWorkerCounters& consumer_;
  RingDoorbell& doorbell_;
  bool wake_pending_ = false;                   // producer thread only
  RelayPeer* relay_ = nullptr;                  // relay mode
  std::unique_ptr<CrossWorkerPacket> scratch_;  // relay mode: the slot being filled
};

// Publisher's worker, packet path: a copy of `rtp` (of the track's `layer`) to every worker
// `routes` lists.
inline void hand_to_other_workers(const CrossWorkerRoutes& routes, size_t layer, ByteSpan rtp,
                                  uint64_t arrival_ms) {
  for (CrossWorkerLink* link : routes.links)
    link->push_rtp(CrossWorkerKind::kMedia, routes.ref, layer, rtp, arrival_ms);
}

}  // namespace sfu

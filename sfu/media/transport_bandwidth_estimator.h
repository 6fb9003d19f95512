// The send-side bandwidth estimate of one subscribe connection, wired to its transport: every RTP
// packet the server sends there gets the server's own transport-wide sequence number (in the
// transport-cc header extension the subscriber accepted) and is recorded with its send time and
// size; the subscriber's transport-cc feedback and REMB, read from its RTCP, feed the estimator
// (rtp::SendSideBwe, in the way of libwebrtc's GoogCC). The estimate is what the subscriber's link
// can carry; nothing acts on it yet (no allocator or pacer), it is exposed for stats and metrics.
//
// Thread: the transport's worker. Owned by its WebRtcTransport, created when the subscriber's
// answer accepted media (with extension id 0 the subscriber sends only REMB, nothing is stamped).
// No allocation, lock or log per packet: the send history is allocated here, once.
//
// Send times: a packet queued on a worker's UDP socket leaves with the socket's next flush (after
// the datagram batch or timer that queued it), and its send time is that flush's, read once per
// flush from the worker's FlushClock, not the time it was queued: a loop turn that is slow or
// preempted between the two would otherwise add its delay to every packet it queued, which the
// delay-based estimate reads as a queue building on the path (on a loaded machine it over-used
// links that had no limit at all). The packets queued since the last flush are held as one range
// and given their time when the estimator is next touched (a send after that flush, feedback,
// the tick), always before their feedback is read.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "net/flush_clock.h"
#include "rtp/send_side_bwe.h"
#include "sfu/media/bwe_counters.h"
#include "sfu/media/room_events.h"

namespace sfu {

class TransportBandwidthEstimator {
 public:
  // What the link carries beyond the SRTP packet: IPv4 and UDP headers (the estimate is of the
  // link's capacity, so they count).
  static constexpr uint32_t kPacketOverheadBytes = 28;

  // `flush_clock`: the worker's (outlives this); nullptr: packets take the time they were queued.
  TransportBandwidthEstimator(uint8_t extension_id, BweCounters& counters,
                              const net::FlushClock* flush_clock = nullptr);

  uint8_t extension_id() const { return extension_id_; }

  // Packet path, before SRTP: writes the next transport-wide sequence number into the RTP packet
  // at the start of `slot` (which may grow it by up to 8 bytes); returns the packet's new size.
  // A packet that cannot carry one keeps its size and is counted (it is sent, unmeasured).
  size_t stamp(MutableByteSpan slot, size_t size);
  // The packet stamp() last wrote was protected (`protected_size` bytes) and queued on a UDP
  // socket: it leaves with the socket's next flush, at the time the flush clock records. Without
  // a clock, at `now_us()` (read only then).
  template <typename Clock>
  void on_queued(size_t protected_size, Clock now_us) {
    if (!stamped_) return;
    if (!flush_clock_) return on_sent(protected_size, now_us());
    stamped_ = false;
    queue_for_flush(static_cast<uint32_t>(protected_size + kPacketOverheadBytes));
  }
  // The packet stamp() last wrote was protected (`protected_size` bytes) and sent at `now_us`
  // (ICE-TCP: written to the connection's buffer).
  void on_sent(size_t protected_size, int64_t now_us);

  // A decrypted RTCP compound from the subscriber: its transport-cc feedback and REMB.
  void on_rtcp(ByteSpan compound, int64_t now_us);
  // The worker's tick: lets the estimate rise between feedbacks.
  void on_tick(int64_t now_us) {
    settle_send_times();
    bwe_.on_timer(now_us);
  }

  // A probe cluster (bandwidth_controller.h): the next packet stamped is its first; the last one
  // stamped was its last.
  void begin_probe(bool verifying) { bwe_.start_probe(next_sequence_, verifying); }
  void end_probe() { bwe_.end_probe(next_sequence_ - 1); }
  // Gives the packets queued for a flush that has happened that flush's time (see the top).
  void settle_send_times();
  // Whether packets get transport-wide sequence numbers (probes are measured by them).
  bool stamps() const { return extension_id_ != 0; }

  const rtp::SendSideBwe& estimator() const { return bwe_; }
  // For the REST room view (not the packet path: it allocates).
  BandwidthSnapshot snapshot() const;

 private:
  void harvest_overuse();
  void queue_for_flush(uint32_t size);

  rtp::SendSideBwe bwe_;
  BweCounters& counters_;
  const uint8_t extension_id_;
  int64_t next_sequence_ = 0;
  bool stamped_ = false;  // stamp() wrote next_sequence_ into the packet not yet sent
  uint64_t overuse_counted_ = 0;
  // The packets queued for flush number pending_flush_ of flush_clock_: pending_count_ of them
  // from sequence pending_first_ on.
  const net::FlushClock* flush_clock_;  // not owned
  int64_t pending_first_ = 0;
  int64_t pending_count_ = 0;
  uint64_t pending_flush_ = 0;
};

}  // namespace sfu

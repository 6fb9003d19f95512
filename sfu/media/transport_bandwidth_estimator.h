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
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "rtp/send_side_bwe.h"
#include "sfu/media/bwe_counters.h"
#include "sfu/media/room_events.h"

namespace sfu {

class TransportBandwidthEstimator {
 public:
  // What the link carries beyond the SRTP packet: IPv4 and UDP headers (the estimate is of the
  // link's capacity, so they count).
  static constexpr uint32_t kPacketOverheadBytes = 28;

  TransportBandwidthEstimator(uint8_t extension_id, BweCounters& counters);

  uint8_t extension_id() const { return extension_id_; }

  // Packet path, before SRTP: writes the next transport-wide sequence number into the RTP packet
  // at the start of `slot` (which may grow it by up to 8 bytes); returns the packet's new size.
  // A packet that cannot carry one keeps its size and is counted (it is sent, unmeasured).
  size_t stamp(MutableByteSpan slot, size_t size);
  // The packet stamp() last wrote was protected (`protected_size` bytes) and queued at `now_us`.
  void on_sent(size_t protected_size, int64_t now_us);

  // A decrypted RTCP compound from the subscriber: its transport-cc feedback and REMB.
  void on_rtcp(ByteSpan compound, int64_t now_us);
  // The worker's tick: lets the estimate rise between feedbacks.
  void on_tick(int64_t now_us) { bwe_.on_timer(now_us); }

  // A probe cluster (bandwidth_controller.h): the next packet stamped is its first; the last one
  // stamped was its last.
  void begin_probe() { bwe_.start_probe(next_sequence_); }
  void end_probe() { bwe_.end_probe(next_sequence_ - 1); }
  // Whether packets get transport-wide sequence numbers (probes are measured by them).
  bool stamps() const { return extension_id_ != 0; }

  const rtp::SendSideBwe& estimator() const { return bwe_; }
  // For the REST room view (not the packet path: it allocates).
  BandwidthSnapshot snapshot() const;

 private:
  void harvest_overuse();

  rtp::SendSideBwe bwe_;
  BweCounters& counters_;
  const uint8_t extension_id_;
  int64_t next_sequence_ = 0;
  bool stamped_ = false;  // stamp() wrote next_sequence_ into the packet not yet sent
  uint64_t overuse_counted_ = 0;
};

}  // namespace sfu

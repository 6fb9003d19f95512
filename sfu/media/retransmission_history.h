// The recent packets of one published video track, kept to answer subscribers' NACKs: a
// RetransmissionBuffer that exists only once media flows and is sized by the track's packet rate.
//
// A track published and never sent holds no buffer at all (audit row 8: 768 KB per silent track
// when the buffer came with the publish). The first packet allocates a small ring; the room's
// timer then measures the packet rate over each second and, when a second of packets (the
// buffer's max age: what a NACK can still ask for) no longer fits, grows the ring to it, rounded
// up to a power of two and at most kMaxPackets, at most kMaxGrowths times. Growth keeps what is
// held. Only the first store() and on_timer() allocate; nothing allocates per packet after that.
//
// Thread: its track's worker. Owned by its PublishedTrack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "rtp/retransmission_buffer.h"

namespace sfu {

class RetransmissionHistory {
 public:
  // About 0.4 s of a 2.5 Mbps camera (~300 packets per second): enough to repair losses until
  // the rate is known, at 192 KB.
  static constexpr size_t kInitialPackets = 128;
  // One second at ~10 Mbps in 1,200-byte packets (1.5 MB): a screen share at full motion.
  static constexpr size_t kMaxPackets = 1024;
  // 128 -> 1024 in doublings, or fewer larger steps.
  static constexpr uint32_t kMaxGrowths = 3;
  // The rate is measured over this long: the history a NACK may ask for
  // (RetransmissionBuffer::kDefaultMaxAgeMs).
  static constexpr uint64_t kRateWindowMs = rtp::RetransmissionBuffer::kDefaultMaxAgeMs;

  // Packet path: keeps a copy of `packet`; the first call allocates the initial ring.
  void store(ByteSpan packet, uint16_t seq, uint64_t now_ms);
  // Timer (every ~20 ms): measures the packet rate and grows the ring when it is too small.
  void on_timer(uint64_t now_ms);

  std::optional<ByteSpan> get(uint16_t seq, uint64_t now_ms) {
    return buffer_ ? buffer_->get(seq, now_ms) : std::nullopt;
  }
  bool holds(uint16_t seq) const { return buffer_ && buffer_->holds(seq); }
  // See RetransmissionBuffer::resent_recently() and mark_resent(): per packet and recipient.
  bool resent_recently(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) const {
    return buffer_ && buffer_->resent_recently(seq, now_ms, min_interval_ms, recipient);
  }
  bool mark_resent(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) {
    return buffer_ && buffer_->mark_resent(seq, now_ms, min_interval_ms, recipient);
  }

  // Packets the ring holds (0 before the first packet) and how often it grew.
  size_t capacity() const { return buffer_ ? buffer_->capacity() : 0; }
  uint32_t growths() const { return growths_; }

 private:
  std::unique_ptr<rtp::RetransmissionBuffer> buffer_;
  uint64_t window_start_ms_ = 0;
  uint64_t window_packets_ = 0;
  uint32_t growths_ = 0;
};

}  // namespace sfu

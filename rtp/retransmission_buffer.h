// The last N packets of one published stream (decrypted, plain RTP bytes), kept so the server can
// answer NACKs from its subscribers itself (RFC 4585 section 6.2.1, RFC 4588) instead of passing
// them on to the publisher.
//
// Storage is allocated in the constructor (and again only by grow()): a ring of `capacity`
// fixed-size slots indexed by sequence number modulo the capacity. The packet bytes are not
// zero-filled: a slot's bytes are read only after a packet was copied into them, so memory pages
// become resident as packets arrive, not when the buffer is made. store(), get() and
// mark_resent() are O(1); nothing allocates or takes a lock outside the constructor and grow().
// The buffer belongs to the worker thread of its track.
//
// Sequence numbers are extended to 64 bits internally (SequenceNumberUnwrapper), so a slot only
// answers for the exact packet stored in it: not for an older packet that happened to share the
// slot, and not for the same 16-bit number one wrap (65536 packets) earlier.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "rtp/sequence_number.h"

namespace sfu::rtp {

class RetransmissionBuffer {
 public:
  static constexpr uint32_t kDefaultMaxAgeMs = 1000;
  // A ring larger than the sequence number space could not hold more distinct packets.
  static constexpr size_t kMaxCapacity = 65536;

  struct Counters {
    uint64_t stored = 0;            // packets copied into the buffer
    uint64_t oversize = 0;          // not stored: larger than max_packet_size
    uint64_t duplicates = 0;        // not stored: that exact packet is already held
    uint64_t too_old = 0;           // not stored: older than everything the ring can hold
    uint64_t restarts = 0;          // sequence numbers jumped far back twice in a row: buffer reset
    uint64_t hits = 0;              // get() found the packet
    uint64_t misses = 0;            // get() found nothing, or only an older packet in the slot
    uint64_t expired = 0;           // get() found the packet but it was older than max_age_ms
    uint64_t resend_throttled = 0;  // mark_resent() refused: resent too recently
  };

  // `capacity` is rounded up to a power of two (1 .. kMaxCapacity). Allocates
  // capacity * max_packet_size bytes (not zero-filled).
  explicit RetransmissionBuffer(size_t capacity, size_t max_packet_size = 1500);

  // Re-allocates a larger ring (`capacity` rounded as above) and moves every held packet into it
  // with its resend state; nothing held is lost. A capacity not larger than the current one does
  // nothing. Allocates: call from a timer, never per packet.
  void grow(size_t capacity);

  // Copies `packet` (the whole RTP packet) into the slot of `seq`, replacing what was there.
  // Not stored (and counted) when larger than max_packet_size, when the same packet is already
  // held, or when the slot holds a newer packet (a late arrival older than the ring's window).
  void store(ByteSpan packet, uint16_t seq, uint64_t now_ms);

  // The stored packet with exactly this sequence number, if it was stored less than max_age_ms
  // ago. The view stays valid until the slot is overwritten by a later store().
  std::optional<ByteSpan> get(uint16_t seq, uint64_t now_ms);
  // Whether the packet with exactly this sequence number is held, whatever its age (not counted).
  bool holds(uint16_t seq) const { return find(seq) != nullptr; }

  // Call before resending `seq` to `recipient` (any id the caller uses for a receiver; 0 when
  // there is only one). Returns true (and records `now_ms` and the recipient) when the packet is
  // held and was not resent to that recipient in the last `min_interval_ms`; false otherwise.
  // With min_interval_ms about one RTT this answers a storm of NACKs for the same packet from one
  // receiver (one NACK repeating an item, or a NACK repeated) only once per RTT. The slot
  // remembers only the last recipient, so another receiver's repair is never refused.
  bool mark_resent(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient = 0);
  // Whether mark_resent() would refuse `seq` for `recipient` now as resent too recently (false
  // for a packet not held). Counts nothing and records nothing.
  bool resent_recently(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient = 0) const;

  void set_max_age_ms(uint32_t max_age_ms) { max_age_ms_ = max_age_ms; }
  uint32_t max_age_ms() const { return max_age_ms_; }

  size_t capacity() const { return slots_.size(); }
  size_t max_packet_size() const { return max_packet_size_; }
  const Counters& counters() const { return counters_; }

  // Forgets every packet (for example when the publisher's stream is replaced). Allocates nothing.
  void clear();

 private:
  struct Slot {
    int64_t extended_seq = 0;
    uint64_t stored_ms = 0;
    uint64_t resent_ms = 0;
    uint32_t size = 0;
    uint32_t resent_to = 0;
    bool used = false;
    bool resent = false;
  };

  // The slot holding exactly `seq`, or nullptr.
  const Slot* find(uint16_t seq) const;
  Slot* find(uint16_t seq) { return const_cast<Slot*>(std::as_const(*this).find(seq)); }
  static bool too_recent(const Slot& slot, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient);
  uint8_t* slot_data(size_t index) { return storage_.get() + index * max_packet_size_; }

  const size_t max_packet_size_;
  std::vector<Slot> slots_;
  std::unique_ptr<uint8_t[]> storage_;
  size_t mask_ = 0;
  uint32_t max_age_ms_ = kDefaultMaxAgeMs;
  SequenceNumberUnwrapper unwrapper_;
  // RFC 3550 appendix A.1 style restart detection: a packet far behind the window is remembered;
  // if the next such packet directly follows it, the stream has restarted at a new sequence number.
  std::optional<uint16_t> restart_candidate_;
  Counters counters_;
};

}  // namespace sfu::rtp

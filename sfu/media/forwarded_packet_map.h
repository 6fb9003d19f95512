// Which source packet each of a subscriber's recent sequence numbers carried, and with which
// VP8 picture id offset, for a down-track that drops packets of layers the subscriber does not
// get (SvcFilter): each drop moves the sequence and picture id offsets, so the offsets in force
// now no longer map a NACKed sequence number back to its source packet, nor rewrite a resend the
// way it was first sent. Recorded per forwarded packet, keyed by source sequence number in a ring
// of kSize; older packets (and dropped ones) are not resent.
//
// Pure state, one per video down-track; allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace sfu {

class ForwardedPacketMap {
 public:
  static constexpr size_t kSize = 512;

  struct Entry {
    uint16_t source_seq = 0;
    uint16_t subscriber_seq = 0;
    uint16_t picture_id_offset = 0;
    bool marker = false;  // as sent (SvcFilter::marker)
    bool valid = false;
  };

  void record(uint16_t source_seq, uint16_t subscriber_seq, uint16_t picture_id_offset, bool marker) {
    entries_[source_seq % kSize] = {source_seq, subscriber_seq, picture_id_offset, marker, true};
  }
  // The entry of a forwarded source packet still in the ring; nullptr otherwise.
  const Entry* find(uint16_t source_seq) const {
    const Entry& e = entries_[source_seq % kSize];
    return e.valid && e.source_seq == source_seq ? &e : nullptr;
  }
  // The source packet a subscriber sequence number carried. `guess` (by the offsets in force)
  // is tried first; the ring is searched otherwise (on the NACK path only, never per packet).
  std::optional<uint16_t> source_of(uint16_t subscriber_seq, uint16_t guess) const {
    if (const Entry* e = find(guess); e && e->subscriber_seq == subscriber_seq) return guess;
    for (const Entry& e : entries_)
      if (e.valid && e.subscriber_seq == subscriber_seq) return e.source_seq;
    return std::nullopt;
  }
  void clear() { entries_.fill(Entry{}); }

 private:
  std::array<Entry, kSize> entries_{};
};

}  // namespace sfu

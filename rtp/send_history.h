// What was sent to one peer, by transport-wide sequence number (draft-holmer-rmcat-transport-wide-
// cc-extensions-01): the send time and size of each packet, so that the peer's feedback, which
// names packets by that number and tells when they arrived, can be turned into pairs of (send
// time, arrival time) for the delay-based estimator and into bytes acknowledged.
//
// A ring of `capacity` entries allocated at construction: packets older than the newest
// `capacity` are forgotten (their feedback then finds nothing). Nothing allocates afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sfu::rtp {

class SendHistory {
 public:
  struct Packet {
    int64_t sequence = -1;  // extended (never wraps)
    int64_t send_us = 0;
    uint32_t size = 0;          // bytes on the wire as the estimator counts them
    bool acknowledged = false;  // reported received once already: later reports are ignored
  };

  static constexpr size_t kDefaultCapacity = 2048;

  explicit SendHistory(size_t capacity = kDefaultCapacity);

  // Packet path: the packet with the next extended sequence number (`sequence` must be one more
  // than the previous one's; a jump forgets what lies between).
  void on_sent(int64_t sequence, int64_t send_us, uint32_t size);

  // Packets `first`..`last` (extended, inclusive) left at `send_us`: sets the send time of those
  // still held. For a sender that learns when a batch left after queueing it (net/flush_clock.h).
  void set_send_time(int64_t first, int64_t last, int64_t send_us);

  // The extended sequence number of a 16-bit one from feedback: the nearest at or before the
  // newest sent (feedback only names packets already sent). nullopt before anything was sent.
  std::optional<int64_t> unwrap(uint16_t sequence) const;
  // The packet, while still held; nullptr when never sent or already forgotten.
  Packet* find(int64_t sequence);
  const Packet* find(int64_t sequence) const { return const_cast<SendHistory*>(this)->find(sequence); }

  int64_t newest() const { return newest_; }  // -1 before the first
  size_t capacity() const { return packets_.size(); }

 private:
  std::vector<Packet> packets_;  // by sequence % capacity
  int64_t newest_ = -1;
};

}  // namespace sfu::rtp

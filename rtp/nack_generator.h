// Finds the missing sequence numbers of one incoming RTP stream and decides when to ask the sender
// for them again with generic NACKs (RFC 4585 section 6.2.1; build them with build_generic_nack).
//
// Timing of a missing packet:
// - It is first NACKed reorder_delay_ms (default 5 ms) after the gap was seen, so a packet that is
//   merely reordered by the network does not trigger a useless retransmission. 0 NACKs at once.
// - Then again every max(rtt_ms, min_retry_interval_ms) (default 20 ms), at most max_retries
//   times (default 10) in all; when the next retry falls due after the last one it is dropped
//   and counted as given up.
// - A packet that arrives while missing is removed and counted as recovered.
//
// Bounds: a gap of more than max_gap packets, or more missing packets than max_missing, is not
// worth recovering packet by packet: the list is cleared and keyframe_needed() turns true until
// clear_keyframe_needed(), so the caller sends a PLI instead.
//
// A packet far behind the newest (more than max(3000, max_gap + 1)) that is not one being waited
// for is ignored, unless the next such packet directly follows it: then the sender restarted its
// sequence numbers (RFC 3550 appendix A.1) and the generator starts afresh from there.
//
// All storage (a ring of max_missing entries kept in sequence order) is allocated in the
// constructor. on_packet() is O(1) for an in-order packet without a gap, O(gap) with one, and
// O(log max_missing) for a late packet; collect() is O(number missing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace sfu::rtp {

class NackGenerator {
 public:
  struct Config {
    size_t max_missing = 500;
    size_t max_gap = 500;
    uint32_t max_retries = 10;
    uint32_t min_retry_interval_ms = 20;
    uint32_t reorder_delay_ms = 5;
  };

  NackGenerator() : NackGenerator(Config{}) {}
  explicit NackGenerator(const Config& config);

  void on_packet(uint16_t seq, uint64_t now_ms);

  // Writes the sequence numbers to NACK now into `out`, oldest first, and returns how many. When
  // `out` is too small the rest stay due and come out on the next call. Entries that exhausted
  // their retries are dropped here.
  size_t collect(uint64_t now_ms, uint32_t rtt_ms, std::span<uint16_t> out);

  bool keyframe_needed() const { return keyframe_needed_; }
  void clear_keyframe_needed() { keyframe_needed_ = false; }

  // Forgets the stream: no missing packets, the next packet starts afresh. Counters and
  // keyframe_needed() are kept.
  void reset();

  size_t missing_count() const { return live_; }
  uint64_t recovered() const { return recovered_; }
  uint64_t given_up() const { return given_up_; }
  uint64_t nacks_sent() const { return nacks_sent_; }
  // Times the list was cleared for an oversized gap or an overflow.
  uint64_t overflows() const { return overflows_; }
  uint64_t restarts() const { return restarts_; }
  const Config& config() const { return config_; }

 private:
  struct Entry {
    int64_t extended_seq = 0;
    uint64_t due_ms = 0;  // when it may be NACKed next
    uint32_t sent = 0;
    bool live = false;
  };

  Entry& at(size_t position) { return entries_[(head_ + position) % entries_.size()]; }
  void add_missing(int64_t from, int64_t to, uint64_t now_ms);  // [from, to)
  void remove_missing(int64_t extended);
  void drop_dead_head();
  void compact();
  void overflow();

  Config config_;
  std::vector<Entry> entries_;
  size_t head_ = 0;
  size_t count_ = 0;  // entries in the ring, including dead ones not yet dropped
  size_t live_ = 0;
  bool started_ = false;
  int64_t highest_ = 0;
  std::optional<uint16_t> restart_candidate_;
  bool keyframe_needed_ = false;
  uint64_t recovered_ = 0;
  uint64_t given_up_ = 0;
  uint64_t nacks_sent_ = 0;
  uint64_t overflows_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace sfu::rtp

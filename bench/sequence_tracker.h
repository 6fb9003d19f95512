// Which sequence numbers of one stream a receiver has seen: counts distinct packets, duplicates
// and reordering with a fixed bitmap of the most recent kWindow sequence numbers (no allocation).
// Sequence numbers are the stamp's 32-bit per-stream counters, which start at 0 and never wrap
// during a run.
#pragma once

#include <array>
#include <cstdint>

namespace sfu::bench {

class SequenceTracker {
 public:
  static constexpr uint32_t kWindow = 4096;
  enum class Outcome { kNew, kDuplicate, kTooOld };

  Outcome on_sequence(uint32_t sequence);

  bool empty() const { return received_ == 0; }
  uint64_t received() const { return received_; }  // distinct sequence numbers
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }  // arrived after a higher one
  uint64_t too_old() const { return too_old_; }      // more than kWindow behind the highest
  uint32_t lowest() const { return lowest_; }
  uint32_t highest() const { return highest_; }
  // Gaps between the lowest and the highest sequence seen.
  uint64_t lost() const;

 private:
  bool test(uint32_t sequence) const { return (bits_[(sequence % kWindow) / 64] >> (sequence % 64)) & 1u; }
  void set(uint32_t sequence) { bits_[(sequence % kWindow) / 64] |= uint64_t{1} << (sequence % 64); }
  void reset(uint32_t sequence) { bits_[(sequence % kWindow) / 64] &= ~(uint64_t{1} << (sequence % 64)); }

  std::array<uint64_t, kWindow / 64> bits_{};
  uint64_t received_ = 0, duplicates_ = 0, reordered_ = 0, too_old_ = 0;
  uint32_t lowest_ = 0, highest_ = 0;
};

}  // namespace sfu::bench

#include "bench/sequence_tracker.h"

namespace sfu::bench {

SequenceTracker::Outcome SequenceTracker::on_sequence(uint32_t sequence) {
  if (received_ == 0) {
    lowest_ = highest_ = sequence;
    set(sequence);
    ++received_;
    return Outcome::kNew;
  }
  if (sequence > highest_) {
    // Forget what falls out of the window as it slides forward.
    if (sequence - highest_ >= kWindow) {
      bits_.fill(0);
    } else {
      for (uint32_t s = highest_ + 1; s != sequence; ++s) reset(s);
    }
    highest_ = sequence;
    set(sequence);
    ++received_;
    return Outcome::kNew;
  }
  if (highest_ - sequence >= kWindow) {
    ++too_old_;
    return Outcome::kTooOld;
  }
  if (test(sequence)) {
    ++duplicates_;
    return Outcome::kDuplicate;
  }
  set(sequence);
  ++received_;
  ++reordered_;
  if (sequence < lowest_) lowest_ = sequence;
  return Outcome::kNew;
}

uint64_t SequenceTracker::lost() const {
  if (received_ == 0) return 0;
  uint64_t span = uint64_t{highest_} - lowest_ + 1;
  return span > received_ ? span - received_ : 0;
}

}  // namespace sfu::bench

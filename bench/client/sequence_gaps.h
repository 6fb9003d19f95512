// Which RTP sequence numbers of one received stream are missing: every number between the first
// packet seen and the highest that has not arrived (yet). A late packet or a repair fills its gap;
// a duplicate changes nothing. The integration tests use it to prove a stream arrived without loss,
// and to NACK exactly what is missing. Sequence numbers are 16-bit and unwrapped against the
// highest seen. Test and load-generator code: it allocates (a set of the missing numbers, at most
// kMaxTracked; beyond that they are only counted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace sfu::client {

class SequenceGaps {
 public:
  static constexpr size_t kMaxTracked = 4096;

  void on_packet(uint16_t seq) {
    if (!started_) {
      started_ = true;
      highest_ = seq;
      return;
    }
    auto delta = static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(highest_)));
    int64_t extended = static_cast<int64_t>(highest_) + delta;
    if (extended > highest_) {
      for (int64_t missing = highest_ + 1; missing < extended; ++missing) {
        if (missing_.size() < kMaxTracked)
          missing_.insert(missing);
        else
          ++untracked_;
      }
      highest_ = extended;
    } else {
      missing_.erase(extended);  // late or repaired (a duplicate is not in the set)
    }
  }

  uint64_t missing() const { return missing_.size() + untracked_; }
  // The missing numbers, oldest first, at most `max`.
  std::vector<uint16_t> missing_sequence_numbers(size_t max) const {
    std::vector<uint16_t> out;
    for (int64_t seq : missing_) {
      if (out.size() >= max) break;
      out.push_back(static_cast<uint16_t>(seq));
    }
    return out;
  }

 private:
  bool started_ = false;
  int64_t highest_ = 0;  // unwrapped; starts at the first packet's number
  std::set<int64_t> missing_;
  uint64_t untracked_ = 0;
};

}  // namespace sfu::client

// Per-SSRC replay state of SRTP (RFC 3711 §3.3.2) and SRTCP (§3.4), with the semantics libsrtp
// gives them, so that both backends accept, refuse and estimate exactly alike:
//
// - SrtpReplayWindow: the 48-bit packet index (ROC << 16 | SEQ) is estimated from the sequence
//   number and the highest index seen (RFC 3711 Appendix A; while that is at most 2^15 the ROC is
//   taken as 0, as libsrtp does, so a stream starting near 0 never guesses ROC -1), and the last
//   kSize indices are remembered. The initial state is "highest index 0, nothing seen".
// - SrtcpReplayWindow: the 31-bit SRTCP index travels in the packet; 128 indices from the window
//   start are remembered (libsrtp's fixed SRTCP window).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

namespace sfu::rtp {

enum class ReplayCheck { Ok, Old, Replayed };

class SrtpReplayWindow {
 public:
  static constexpr int32_t kSize = 1024;

  struct Estimate {
    uint64_t index = 0;  // ROC << 16 | SEQ
    int32_t delta = 0;   // index - highest index seen
    uint32_t roc() const { return static_cast<uint32_t>(index >> 16); }
  };

  Estimate estimate(uint16_t seq) const {
    constexpr int32_t kHalf = 1 << 15;
    constexpr int32_t kSeqSpace = 1 << 16;
    if (highest_ <= static_cast<uint64_t>(kHalf))
      return {seq, static_cast<int32_t>(seq - static_cast<int64_t>(highest_))};
    const auto local_seq = static_cast<int32_t>(highest_ & 0xffff);
    const auto local_roc = static_cast<uint32_t>(highest_ >> 16);
    const int32_t diff = static_cast<int32_t>(seq) - local_seq;
    uint32_t roc = local_roc;
    int32_t delta = diff;
    if (local_seq < kHalf) {
      if (diff > kHalf) {
        roc = local_roc - 1;
        delta = diff - kSeqSpace;
      }
    } else if (local_seq - kHalf > static_cast<int32_t>(seq)) {
      roc = local_roc + 1;
      delta = diff + kSeqSpace;
    }
    return {(static_cast<uint64_t>(roc) << 16) | seq, delta};
  }

  ReplayCheck check(int32_t delta) const {
    if (delta > 0) return ReplayCheck::Ok;
    if (delta <= -kSize) return ReplayCheck::Old;
    return seen(highest_ + static_cast<uint64_t>(static_cast<int64_t>(delta))) ? ReplayCheck::Replayed
                                                                               : ReplayCheck::Ok;
  }

  // Records an index that passed check() (and, inbound, authentication).
  void add(const Estimate& estimate) {
    if (estimate.delta > 0) {
      // Forget the indices that leave the window: the ones the new top reuses the bits of.
      clear_after_highest(static_cast<uint32_t>(estimate.delta));
      highest_ += static_cast<uint64_t>(estimate.delta);
    }
    mark(highest_ + static_cast<uint64_t>(static_cast<int64_t>(std::min(estimate.delta, 0))));
  }

  uint64_t highest() const { return highest_; }

 private:
  static constexpr uint64_t kMask = kSize - 1;
  static constexpr uint32_t kWords = kSize / 64;

  bool seen(uint64_t index) const { return (bits_[(index & kMask) / 64] >> (index % 64)) & 1U; }
  void mark(uint64_t index) { bits_[(index & kMask) / 64] |= uint64_t{1} << (index % 64); }

  // Clears the bits of indices highest_ + 1 .. highest_ + count (all of them once count >= kSize).
  void clear_after_highest(uint32_t count) {
    if (count >= static_cast<uint32_t>(kSize)) {
      bits_.fill(0);
      return;
    }
    uint64_t index = highest_ + 1;
    while (count > 0) {
      const uint64_t bit = index & kMask;
      if (bit % 64 == 0 && count >= 64) {
        bits_[bit / 64] = 0;
        index += 64;
        count -= 64;
      } else {
        bits_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
        ++index;
        --count;
      }
    }
  }

  static_assert((kSize & (kSize - 1)) == 0 && kSize % 64 == 0, "the bitmap is indexed modulo kSize");
  uint64_t highest_ = 0;
  std::array<uint64_t, kWords>
      bits_{};  // bit (i mod kSize): index i seen, for i in (highest_ - kSize, highest_]
};

class SrtcpReplayWindow {
 public:
  static constexpr uint32_t kSize = 128;
  static constexpr uint32_t kMaxIndex = 0x7fffffff;

  ReplayCheck check(uint32_t index) const {
    if (uint64_t{index} >= uint64_t{start_} + kSize) return ReplayCheck::Ok;
    if (index < start_) return ReplayCheck::Old;
    return bit(index - start_) ? ReplayCheck::Replayed : ReplayCheck::Ok;
  }

  void add(uint32_t index) {
    if (index < start_) return;
    uint32_t offset = index - start_;
    if (offset >= kSize) {
      const uint32_t shift = offset - (kSize - 1);
      shift_down(shift);
      start_ += shift;
      offset = kSize - 1;
    }
    bits_[offset / 64] |= uint64_t{1} << (offset % 64);
  }

 private:
  bool bit(uint32_t offset) const { return (bits_[offset / 64] >> (offset % 64)) & 1U; }

  // Bit i moves to bit i - shift; bits that fall off the bottom are forgotten.
  void shift_down(uint32_t shift) {
    if (shift >= kSize) {
      bits_ = {};
    } else if (shift >= 64) {
      bits_ = {bits_[1] >> (shift - 64), 0};
    } else if (shift > 0) {
      bits_ = {(bits_[0] >> shift) | (bits_[1] << (64 - shift)), bits_[1] >> shift};
    }
  }

  uint32_t start_ = 0;
  std::array<uint64_t, 2> bits_{};  // bit i: index start_ + i seen
};

}  // namespace sfu::rtp

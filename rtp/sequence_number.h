// Wrap-around arithmetic for RTP sequence numbers (16-bit) and timestamps (32-bit), and an
// unwrapper that extends them to 64 bits (RFC 3550 appendix A.1 keeps "cycles" the same way).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace sfu::rtp {

// True when `a` comes after `b` in modular order, i.e. the forward distance b -> a is less than
// half the number space. At exactly half the space the numerically larger value wins, so that for
// a != b exactly one of newer(a, b) and newer(b, a) holds.
template <typename T>
constexpr bool wrap_newer(T a, T b) {
  static_assert(std::is_unsigned_v<T>);
  constexpr T kHalf = static_cast<T>(T{1} << (std::numeric_limits<T>::digits - 1));
  const T forward = static_cast<T>(a - b);
  if (forward == kHalf) return a > b;
  return forward != 0 && forward < kHalf;
}

constexpr bool seq_newer(uint16_t a, uint16_t b) { return wrap_newer<uint16_t>(a, b); }
constexpr bool timestamp_newer(uint32_t a, uint32_t b) { return wrap_newer<uint32_t>(a, b); }

// Signed shortest distance from `from` to `to`: positive when `to` is newer. The ambiguous
// half-way point (32768 apart) maps to -32768.
constexpr int16_t seq_distance(uint16_t from, uint16_t to) {
  const uint16_t forward = static_cast<uint16_t>(to - from);
  return forward < 0x8000 ? static_cast<int16_t>(forward)
                          : static_cast<int16_t>(static_cast<int32_t>(forward) - 0x10000);
}

// Extends a wrapping counter to 64 bits. The first value unwraps to itself; later values are
// placed at the shortest signed distance from the newest value seen so far, so reordering of up
// to half the number space is handled. A value older than the first one unwraps to a negative
// number (e.g. 65535 right after a first value of 0 gives -1), which callers can treat as
// "before the stream started".
template <typename T>
class WrapAroundUnwrapper {
  static_assert(std::is_unsigned_v<T> && sizeof(T) < sizeof(int64_t));

 public:
  int64_t unwrap(T value) {
    if (!last_) {
      last_ = value;
      highest_ = static_cast<int64_t>(value);
      return highest_;
    }
    const int64_t extended = highest_ + distance(*last_, value);
    if (extended > highest_) {
      highest_ = extended;
      last_ = value;
    }
    return extended;
  }

  // Same mapping as unwrap() without recording the value.
  int64_t peek(T value) const {
    if (!last_) return static_cast<int64_t>(value);
    return highest_ + distance(*last_, value);
  }

  bool has_value() const { return last_.has_value(); }
  int64_t highest() const { return highest_; }
  void reset() {
    last_.reset();
    highest_ = 0;
  }

 private:
  static int64_t distance(T from, T to) {
    constexpr int64_t kSpace = int64_t{1} << std::numeric_limits<T>::digits;
    const int64_t forward = static_cast<T>(to - from);
    return wrap_newer<T>(to, from) || forward == 0 ? forward : forward - kSpace;
  }

  std::optional<T> last_;
  int64_t highest_ = 0;
};

using SequenceNumberUnwrapper = WrapAroundUnwrapper<uint16_t>;
using TimestampUnwrapper = WrapAroundUnwrapper<uint32_t>;

}  // namespace sfu::rtp

// When a worker's queued datagrams actually left: every UdpSocket::flush that sends something (the
// sendmmsg calls of one batch) reads the clock once, just before its first call, and records the
// time under the next flush number. A sender that must know when its packet left asks next() when it
// queues the packet and time_of() that number later. The send-side bandwidth estimator does: a
// packet queued at T and sent at T + 15 ms, after a loop turn that was slow or preempted, would
// otherwise look like 15 ms of queueing on the path (libwebrtc records the time the packet is
// handed to the socket, for the same reason).
//
// One per worker, shared by its sockets (a flush of either socket counts: the worker flushes both
// together). Single-threaded (the worker's loop). A fixed ring of kRing times, held inline:
// nothing allocates. Times are microseconds of uv_hrtime().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace sfu::net {

class FlushClock {
 public:
  // Flushes remembered: the estimator settles its packets' times every worker tick (100 ms),
  // far fewer flushes than this apart at any rate the worker sustains.
  static constexpr size_t kRing = 4096;

  // The number of the flush a datagram queued now goes out with.
  uint64_t next() const { return count_ + 1; }
  // Flushes done so far.
  uint64_t count() const { return count_; }
  // When flush `flush` left; nullopt when it has not happened yet or is too old to be held.
  std::optional<int64_t> time_of(uint64_t flush) const {
    if (flush == 0 || flush > count_ || count_ - flush >= kRing) return std::nullopt;
    return times_[flush % kRing];
  }
  // The latest flush's time (0 before any).
  int64_t last_us() const { return times_[count_ % kRing]; }

  // A socket's flush sent its datagrams at `now_us`.
  void on_flushed(int64_t now_us) {
    ++count_;
    times_[count_ % kRing] = now_us;
  }

 private:
  std::array<int64_t, kRing> times_{};
  uint64_t count_ = 0;
};

}  // namespace sfu::net

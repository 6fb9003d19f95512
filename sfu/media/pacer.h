// Paces one subscriber's RTP packets at its send-side bandwidth estimate times a pacing factor, in
// the way of libwebrtc's PacingController: a media budget that refills at the pacing rate (capped
// at kBurstMs of it, the burst allowance) lets packets out while it is positive; what the budget
// holds back waits in a fixed-capacity queue that the worker's pacer timer drains, retransmissions
// before new video. Audio and padding (probe clusters run at their own rate) are never held; audio
// spends the budget, so the total stays near the rate. RTCP never comes here.
//
// Bounded latency: a full queue drops its oldest video packet for a new one (counted, the
// subscriber NACKs it), and a queue whose oldest packet has waited longer than max_delay_ms, or
// that holds more than max_delay_ms of data at the pacing rate, is flushed: sent at once (counted).
//
// Pure: no clock of its own (times are passed in, microseconds of one monotonic clock), no event
// loop, no sockets; the owner (WebRtcTransport) sends what drain() hands it. The packet buffers
// are allocated once, at the first packet held, so a subscriber that is never held back costs
// nothing; nothing is allocated, locked or logged per packet after that.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "sfu/media/media_sink.h"

namespace sfu {

// bandwidth.pacing_factor, .pacer_queue_packets, .pacer_max_delay_ms.
struct PacerOptions {
  double pacing_factor = 2.5;
  size_t queue_packets = 512;
  uint64_t max_delay_ms = 500;
};

// What a pacer did, cumulative (the transport moves them into the worker's counters).
struct PacerStats {
  uint64_t paced_packets = 0;    // held in the queue, then sent by drain()
  uint64_t dropped_packets = 0;  // the oldest video (or retransmission) dropped for a full queue
  uint64_t flushed_packets = 0;  // sent at once because the queue exceeded max_delay_ms
};

class Pacer {
 public:
  // Room for one packet (an RTP packet of a 1500-byte MTU path); a bigger one is not held.
  static constexpr size_t kPacketBytes = 1500;
  // The burst allowance: what the budget may save up while the queue is idle.
  static constexpr int64_t kBurstUs = 40'000;

  explicit Pacer(const PacerOptions& options);

  // The subscriber's estimate (bit/s); 0 stops pacing (drain() then sends everything queued).
  void set_estimate(double estimate_bps, int64_t now_us);
  bool pacing() const { return rate_bytes_per_us_ > 0; }
  double pacing_rate_bps() const { return rate_bytes_per_us_ * 8e6; }

  // Packet path: true when a packet of `kind` and `size` bytes may go out now (the budget is
  // spent for it); false when it must wait: the caller hands it to enqueue().
  bool admit(MediaClass kind, size_t size, int64_t now_us);
  // Keeps a copy of `packet` until drain() sends it. False when it cannot be held (bigger than
  // kPacketBytes): the caller sends it at once.
  bool enqueue(MediaClass kind, ByteSpan packet, int64_t now_us);

  // The pacer timer: calls send(ByteSpan packet) for each packet the budget lets out now,
  // retransmissions first, then video, each in arrival order (all of them for a flush).
  template <typename Send>
  void drain(int64_t now_us, Send&& send) {
    refill(now_us);
    const bool flush = !pacing() || over_delay(now_us);
    while (!empty() && (flush || budget_bytes_ > 0)) {
      const uint32_t index = pop_next();
      const Slot& slot = slots_[index];
      send(ByteSpan(buffers_[index].data(), slot.size));
      budget_bytes_ -= static_cast<double>(slot.size);
      ++(flush ? stats_.flushed_packets : stats_.paced_packets);
      queued_bytes_ -= slot.size;
      free_.push_back(index);
    }
    if (budget_bytes_ < -max_debt_bytes()) budget_bytes_ = -max_debt_bytes();
  }

  bool empty() const { return retransmissions_.empty() && video_.empty(); }
  size_t queued_packets() const { return retransmissions_.size() + video_.size(); }
  size_t queued_bytes() const { return queued_bytes_; }
  const PacerStats& stats() const { return stats_; }

 private:
  // A fixed-capacity FIFO of slot indices.
  class IndexRing {
   public:
    void reset(size_t capacity) {
      items_.assign(capacity, 0);
      head_ = size_ = 0;
    }
    bool empty() const { return size_ == 0; }
    size_t size() const { return size_; }
    uint32_t front() const { return items_[head_]; }
    void push(uint32_t value) { items_[(head_ + size_++) % items_.size()] = value; }
    uint32_t pop() {
      const uint32_t value = items_[head_];
      head_ = (head_ + 1) % items_.size();
      --size_;
      return value;
    }

   private:
    std::vector<uint32_t> items_;
    size_t head_ = 0, size_ = 0;
  };
  struct Slot {
    int64_t queued_us = 0;
    uint16_t size = 0;
  };

  void allocate();
  void refill(int64_t now_us);
  bool over_delay(int64_t now_us) const;
  uint32_t pop_next() { return retransmissions_.empty() ? video_.pop() : retransmissions_.pop(); }
  // Frees the oldest video slot (or, with none, the oldest retransmission) for a new packet.
  void drop_oldest();
  double burst_bytes() const { return rate_bytes_per_us_ * kBurstUs; }
  // Audio sent while the budget is spent may push it this far below zero, no further, so a long
  // audio-only stretch does not starve the video after it.
  double max_debt_bytes() const { return burst_bytes() + kPacketBytes; }

  const PacerOptions options_;
  double rate_bytes_per_us_ = 0;
  double budget_bytes_ = 0;
  int64_t last_refill_us_ = 0;
  size_t queued_bytes_ = 0;
  PacerStats stats_;
  // Allocated by allocate(), once: options_.queue_packets buffers and their bookkeeping.
  std::unique_ptr<std::array<uint8_t, kPacketBytes>[]> buffers_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;  // indices of free slots (a stack, capacity queue_packets)
  IndexRing retransmissions_, video_;
};

}  // namespace sfu

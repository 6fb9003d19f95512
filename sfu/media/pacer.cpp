#include "sfu/media/pacer.h"

#include <algorithm>
#include <cstring>

namespace sfu {

Pacer::Pacer(const PacerOptions& options) : options_(options) {}

void Pacer::set_estimate(double estimate_bps, int64_t now_us) {
  refill(now_us);  // what the old rate earned until now
  rate_bytes_per_us_ = std::max(0.0, estimate_bps * options_.pacing_factor / 8e6);
  budget_bytes_ = std::min(budget_bytes_, burst_bytes());
}

void Pacer::refill(int64_t now_us) {
  const int64_t elapsed = now_us - last_refill_us_;
  last_refill_us_ = now_us;
  if (elapsed <= 0) return;
  budget_bytes_ = std::min(budget_bytes_ + rate_bytes_per_us_ * static_cast<double>(elapsed), burst_bytes());
}

bool Pacer::admit(MediaClass kind, size_t size, int64_t now_us) {
  if (!pacing() || kind == MediaClass::kPadding) return true;
  refill(now_us);
  // Audio is never held; it spends the budget so that video makes room for it.
  if (kind == MediaClass::kAudio) {
    budget_bytes_ = std::max(budget_bytes_ - static_cast<double>(size), -max_debt_bytes());
    return true;
  }
  // Video behind queued video waits its turn; a retransmission goes ahead of queued video but not
  // of queued retransmissions.
  const bool behind = kind == MediaClass::kRetransmission ? !retransmissions_.empty() : !empty();
  if (behind || budget_bytes_ <= 0) return false;
  budget_bytes_ -= static_cast<double>(size);
  return true;
}

bool Pacer::enqueue(MediaClass kind, ByteSpan packet, int64_t now_us) {
  if (packet.size() > kPacketBytes || options_.queue_packets == 0) return false;
  if (!buffers_) allocate();
  if (free_.empty()) drop_oldest();
  const uint32_t index = free_.back();
  free_.pop_back();
  std::memcpy(buffers_[index].data(), packet.data(), packet.size());
  slots_[index] = Slot{.queued_us = now_us, .size = static_cast<uint16_t>(packet.size())};
  queued_bytes_ += packet.size();
  (kind == MediaClass::kRetransmission ? retransmissions_ : video_).push(index);
  return true;
}

void Pacer::allocate() {
  const size_t capacity = options_.queue_packets;
  buffers_ = std::make_unique<std::array<uint8_t, kPacketBytes>[]>(capacity);
  slots_.assign(capacity, Slot{});
  free_.reserve(capacity);
  for (size_t i = capacity; i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
  retransmissions_.reset(capacity);
  video_.reset(capacity);
}

void Pacer::drop_oldest() {
  const uint32_t index = video_.empty() ? retransmissions_.pop() : video_.pop();
  queued_bytes_ -= slots_[index].size;
  free_.push_back(index);
  ++stats_.dropped_packets;
}

bool Pacer::over_delay(int64_t now_us) const {
  const auto limit_us = static_cast<int64_t>(options_.max_delay_ms) * 1000;
  if (static_cast<double>(queued_bytes_) > rate_bytes_per_us_ * static_cast<double>(limit_us)) return true;
  for (const IndexRing* ring : {&retransmissions_, &video_})
    if (!ring->empty() && now_us - slots_[ring->front()].queued_us > limit_us) return true;
  return false;
}

}  // namespace sfu

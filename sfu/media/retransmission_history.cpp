#include "sfu/media/retransmission_history.h"

#include <algorithm>
#include <bit>

namespace sfu {

void RetransmissionHistory::store(ByteSpan packet, uint16_t seq, uint64_t now_ms) {
  if (!buffer_) {
    // Once per track, on its first media packet.
    buffer_ = std::make_unique<rtp::RetransmissionBuffer>(kInitialPackets);
    window_start_ms_ = now_ms;
  }
  ++window_packets_;
  buffer_->store(packet, seq, now_ms);
}

void RetransmissionHistory::on_timer(uint64_t now_ms) {
  if (!buffer_ || now_ms < window_start_ms_ + kRateWindowMs) return;
  const uint64_t elapsed_ms = now_ms - window_start_ms_;
  // Packets the buffer must hold to answer for its whole max age at the rate just measured.
  const uint64_t wanted = (window_packets_ * kRateWindowMs + elapsed_ms - 1) / elapsed_ms;
  window_start_ms_ = now_ms;
  window_packets_ = 0;
  if (growths_ >= kMaxGrowths || wanted <= buffer_->capacity()) return;
  const size_t capacity = std::bit_ceil(static_cast<size_t>(std::min<uint64_t>(wanted, kMaxPackets)));
  if (capacity <= buffer_->capacity()) return;
  buffer_->grow(capacity);
  ++growths_;
}

}  // namespace sfu

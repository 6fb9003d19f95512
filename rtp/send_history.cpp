#include "rtp/send_history.h"

#include <algorithm>

namespace sfu::rtp {

SendHistory::SendHistory(size_t capacity) : packets_(capacity == 0 ? 1 : capacity) {}

void SendHistory::on_sent(int64_t sequence, int64_t send_us, uint32_t size) {
  if (sequence < 0) return;
  Packet& slot = packets_[static_cast<size_t>(sequence) % packets_.size()];
  slot = Packet{sequence, send_us, size, false};
  if (sequence > newest_) newest_ = sequence;
}

void SendHistory::set_send_time(int64_t first, int64_t last, int64_t send_us) {
  // Only the newest `capacity` packets are held: older ones are gone, the loop stays bounded.
  first = std::max(first, last - static_cast<int64_t>(packets_.size()) + 1);
  for (int64_t sequence = first; sequence <= last; ++sequence)
    if (Packet* packet = find(sequence)) packet->send_us = send_us;
}

std::optional<int64_t> SendHistory::unwrap(uint16_t sequence) const {
  if (newest_ < 0) return std::nullopt;
  const auto behind = static_cast<uint16_t>(static_cast<uint16_t>(newest_) - sequence);
  return newest_ - behind;
}

SendHistory::Packet* SendHistory::find(int64_t sequence) {
  if (sequence < 0 || sequence > newest_) return nullptr;
  Packet& slot = packets_[static_cast<size_t>(sequence) % packets_.size()];
  return slot.sequence == sequence ? &slot : nullptr;
}

}  // namespace sfu::rtp

#include "rtp/retransmission_buffer.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

namespace sfu::rtp {
namespace {

// A packet this far behind the newest one is not a late arrival (retransmissions give up long
// before), so two such packets in a row mean the publisher restarted its sequence numbers.
constexpr int64_t kRestartDistance = 8192;

size_t round_capacity(size_t capacity) {
  return std::bit_ceil(std::clamp<size_t>(capacity, 1, RetransmissionBuffer::kMaxCapacity));
}

}  // namespace

RetransmissionBuffer::RetransmissionBuffer(size_t capacity, size_t max_packet_size)
    : max_packet_size_(max_packet_size),
      slots_(round_capacity(capacity)),
      storage_(std::make_unique_for_overwrite<uint8_t[]>(slots_.size() * max_packet_size)),
      mask_(slots_.size() - 1) {}

void RetransmissionBuffer::grow(size_t capacity) {
  const size_t rounded = round_capacity(capacity);
  if (rounded <= slots_.size()) return;
  const std::vector<Slot> old_slots = std::exchange(slots_, std::vector<Slot>(rounded));
  const std::unique_ptr<uint8_t[]> old_storage =
      std::exchange(storage_, std::make_unique_for_overwrite<uint8_t[]>(rounded * max_packet_size_));
  mask_ = rounded - 1;
  // The old ring held distinct extended numbers within one old capacity of each other, so each
  // lands in its own slot of the larger ring.
  for (size_t i = 0; i < old_slots.size(); ++i) {
    const Slot& slot = old_slots[i];
    if (!slot.used) continue;
    const size_t index = static_cast<size_t>(static_cast<uint64_t>(slot.extended_seq) & mask_);
    slots_[index] = slot;
    if (slot.size > 0) std::memcpy(slot_data(index), old_storage.get() + i * max_packet_size_, slot.size);
  }
}

void RetransmissionBuffer::store(ByteSpan packet, uint16_t seq, uint64_t now_ms) {
  if (packet.size() > max_packet_size_) {
    ++counters_.oversize;
    return;
  }
  if (unwrapper_.has_value()) {
    const int64_t behind = unwrapper_.highest() - unwrapper_.peek(seq);
    if (behind > kRestartDistance) {
      if (restart_candidate_ != seq) {
        restart_candidate_ = static_cast<uint16_t>(seq + 1);
        ++counters_.too_old;
        return;
      }
      clear();
      ++counters_.restarts;
    }
  }
  const int64_t extended = unwrapper_.unwrap(seq);
  const size_t index = static_cast<size_t>(static_cast<uint64_t>(extended) & mask_);
  Slot& slot = slots_[index];
  if (slot.used && slot.extended_seq == extended) {
    ++counters_.duplicates;
    return;
  }
  if (slot.used && slot.extended_seq > extended) {
    ++counters_.too_old;
    return;
  }
  if (!packet.empty()) std::memcpy(slot_data(index), packet.data(), packet.size());
  slot.extended_seq = extended;
  slot.stored_ms = now_ms;
  slot.resent_ms = 0;
  slot.resent_to = 0;
  slot.size = static_cast<uint32_t>(packet.size());
  slot.used = true;
  slot.resent = false;
  ++counters_.stored;
}

const RetransmissionBuffer::Slot* RetransmissionBuffer::find(uint16_t seq) const {
  if (!unwrapper_.has_value()) return nullptr;
  const int64_t extended = unwrapper_.peek(seq);
  const Slot& slot = slots_[static_cast<size_t>(static_cast<uint64_t>(extended) & mask_)];
  if (!slot.used || slot.extended_seq != extended) return nullptr;
  return &slot;
}

std::optional<ByteSpan> RetransmissionBuffer::get(uint16_t seq, uint64_t now_ms) {
  const Slot* slot = find(seq);
  if (slot == nullptr) {
    ++counters_.misses;
    return std::nullopt;
  }
  const uint64_t age = now_ms > slot->stored_ms ? now_ms - slot->stored_ms : 0;
  if (age >= max_age_ms_) {
    ++counters_.expired;
    return std::nullopt;
  }
  ++counters_.hits;
  const size_t index = static_cast<size_t>(slot - slots_.data());
  return ByteSpan(slot_data(index), slot->size);
}

bool RetransmissionBuffer::too_recent(const Slot& slot, uint64_t now_ms, uint32_t min_interval_ms,
                                      uint32_t recipient) {
  if (!slot.resent || slot.resent_to != recipient) return false;
  const uint64_t elapsed = now_ms > slot.resent_ms ? now_ms - slot.resent_ms : 0;
  return elapsed < min_interval_ms;
}

bool RetransmissionBuffer::mark_resent(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms,
                                       uint32_t recipient) {
  Slot* slot = find(seq);
  if (slot == nullptr) return false;
  if (too_recent(*slot, now_ms, min_interval_ms, recipient)) {
    ++counters_.resend_throttled;
    return false;
  }
  slot->resent = true;
  slot->resent_ms = now_ms;
  slot->resent_to = recipient;
  return true;
}

bool RetransmissionBuffer::resent_recently(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms,
                                           uint32_t recipient) const {
  const Slot* slot = find(seq);
  return slot != nullptr && too_recent(*slot, now_ms, min_interval_ms, recipient);
}

void RetransmissionBuffer::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  unwrapper_.reset();
  restart_candidate_.reset();
}

}  // namespace sfu::rtp

#include "rtp/srtp_stream_table.h"

#include <algorithm>

namespace sfu::rtp {

std::vector<SrtpStreamTable::Entry>::iterator SrtpStreamTable::lower_bound(uint32_t ssrc) {
  return std::lower_bound(index_.begin(), index_.end(), ssrc,
                          [](const Entry& entry, uint32_t value) { return entry.ssrc < value; });
}

SrtpStreamState* SrtpStreamTable::find(uint32_t ssrc) {
  if (cached_ != nullptr && cached_ssrc_ == ssrc) return cached_;
  auto it = lower_bound(ssrc);
  if (it == index_.end() || it->ssrc != ssrc) return nullptr;
  cached_ssrc_ = ssrc;
  cached_ = &states_[it->slot];
  return cached_;
}

SrtpStreamState& SrtpStreamTable::insert(uint32_t ssrc, const SrtpStreamState& initial) {
  auto slot = static_cast<uint32_t>(states_.size());
  states_.push_back(initial);
  ssrc_of_slot_.push_back(ssrc);
  index_.insert(lower_bound(ssrc), Entry{ssrc, slot});
  // push_back may have moved every state: the cache points at the new one only.
  cached_ssrc_ = ssrc;
  cached_ = &states_.back();
  return states_.back();
}

void SrtpStreamTable::erase(uint32_t ssrc) {
  auto it = lower_bound(ssrc);
  if (it == index_.end() || it->ssrc != ssrc) return;
  const uint32_t slot = it->slot;
  index_.erase(it);
  // The last state takes the freed slot, so the states stay contiguous.
  const auto last = static_cast<uint32_t>(states_.size() - 1);
  if (slot != last) {
    states_[slot] = states_[last];
    ssrc_of_slot_[slot] = ssrc_of_slot_[last];
    lower_bound(ssrc_of_slot_[slot])->slot = slot;
  }
  states_.pop_back();
  ssrc_of_slot_.pop_back();
  cached_ = nullptr;
}

void SrtpStreamTable::reserve(size_t streams) {
  index_.reserve(streams);
  states_.reserve(streams);
  ssrc_of_slot_.reserve(streams);
}

}  // namespace sfu::rtp

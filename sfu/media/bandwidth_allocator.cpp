#include "sfu/media/bandwidth_allocator.h"

#include <algorithm>

namespace sfu {
namespace {

bool arrives(const AllocationTrack& track, int layer) {
  return layer >= 0 && layer < track.layer_count && (track.arriving >> layer & 1u) != 0;
}

int8_t lowest_arriving(const AllocationTrack& track) {
  for (int layer = 0; layer < track.layer_count; ++layer)
    if (arrives(track, layer)) return static_cast<int8_t>(layer);
  return -1;
}

double cost_of(const AllocationTrack& track, int8_t layer) {
  return layer < 0 ? 0.0 : static_cast<double>(track.layer_bps[static_cast<uint8_t>(layer)]);
}

// The state's layer as a number to compare with: unset counts as "no cap yet" (anything is a
// step down from it, so the first round applies at once).
int current_of(const AllocationState& state) {
  return state.layer == AllocationState::kUnset ? AllocationTrack::kMaxLayers : state.layer;
}

}  // namespace

int8_t best_wanted_layer(const AllocationTrack& track) {
  const int top = std::min<int>(track.max_layer, track.layer_count - 1);
  for (int layer = top; layer >= 0; --layer)
    if (arrives(track, layer)) return static_cast<int8_t>(layer);
  // Below the cap nothing arrives: the layer selector then takes the lowest above it.
  return lowest_arriving(track);
}

bool BandwidthAllocator::fits(const AllocationTrack& track, int8_t layer, double cost, double budget) const {
  // Up (or resuming) needs headroom: what the estimate allowed a moment ago must hold with margin.
  const bool up = layer > current_of(*track.state);
  return (up ? cost * (1.0 + options_.up_headroom) : cost) <= budget;
}

int8_t BandwidthAllocator::lowest_fitting(const AllocationTrack& track, double& budget,
                                          bool may_oversend) const {
  const int8_t lowest = lowest_arriving(track);
  if (lowest < 0) return AllocationState::kUnset;  // nothing arrives: nothing to decide
  const double cost = cost_of(track, lowest);
  const double needed = may_oversend ? cost * (1.0 - options_.lowest_layer_oversend) : cost;
  if (!fits(track, lowest, needed, budget)) return AllocationState::kPaused;
  budget -= cost;
  return lowest;
}

int8_t BandwidthAllocator::upgrade(const AllocationTrack& track, int8_t layer, double& budget) const {
  const double base = cost_of(track, layer);
  for (int8_t better = best_wanted_layer(track); better > layer; --better) {
    if (!arrives(track, better)) continue;
    const double cost = cost_of(track, better);
    // The share the lower layer took is given back for the better one.
    if (fits(track, better, cost, budget + base)) {
      budget -= cost - base;
      return better;
    }
  }
  return layer;
}

void BandwidthAllocator::apply(AllocationTrack& track, int8_t wanted, uint64_t now_ms, bool losing,
                               AllocationResult& result) const {
  AllocationState& state = *track.state;
  bool holding_pause = false;
  if (wanted == AllocationState::kPaused && state.layer != AllocationState::kPaused &&
      options_.pause_hold_ms > 0) {
    // Sending a layer (or about to: a new subscription): its lowest one until the pause is due.
    // A new one is not paused at once: until it has sent, the estimate has nothing of it to
    // measure and the prober no stream to pad (a single-layer video above the start estimate
    // would stay paused). Pending until the pause applies (the down-hold may still keep it):
    // restarting it meanwhile would hold the pause forever.
    if (!state.pause_pending) {
      state.pause_pending = true;
      state.pause_since_ms = now_ms;
    }
    if (now_ms - state.pause_since_ms < options_.pause_hold_ms) {
      wanted = lowest_arriving(track);
      holding_pause = true;
    }
  } else {
    state.pause_pending = false;
  }
  const int current = current_of(state);
  if (wanted >= current) state.down_pending = false;
  if (wanted == current) {
    state.up_pending = false;
    return;
  }
  if (wanted < current && !losing && state.layer >= 0 && options_.down_hold_ms > 0) {
    // Sending a layer and losing nothing: it stays until the step down is due.
    if (!state.down_pending) {
      state.down_pending = true;
      state.down_since_ms = now_ms;
    }
    state.up_pending = false;
    if (now_ms - state.down_since_ms < options_.down_hold_ms) return;
  }
  if (wanted < current) {
    state.down_pending = false;
    state.pause_pending = holding_pause;
    // Down (or paused) at once: the link is full now.
    if (wanted == AllocationState::kPaused) ++result.paused;
    if (state.layer != AllocationState::kUnset) ++result.down_switches;
    state.layer = wanted;
    state.up_pending = false;
    return;
  }
  if (!state.up_pending) {
    state.up_pending = true;
    state.up_since_ms = now_ms;
  }
  if (now_ms - state.up_since_ms < options_.up_hold_ms) return;
  if (state.layer == AllocationState::kPaused) ++result.resumed;
  ++result.up_switches;
  state.layer = wanted;
  state.up_pending = false;
}

AllocationResult BandwidthAllocator::allocate(double estimate_bps, uint64_t now_ms,
                                              std::span<AllocationTrack> tracks, bool losing) {
  AllocationResult result;
  double budget = estimate_bps;
  order_.clear();
  decision_.assign(tracks.size(), AllocationState::kUnset);
  for (size_t i = 0; i < tracks.size(); ++i) {
    AllocationTrack& track = tracks[i];
    if (track.subscriber_paused) continue;
    const int8_t best = best_wanted_layer(track);
    result.wanted_bps += static_cast<uint64_t>(cost_of(track, best));
    if (track.video) {
      order_.push_back(i);
      continue;
    }
    // Audio first, never paused: a call without video is still a call.
    budget -= cost_of(track, best);
    decision_[i] = best;
  }
  // Higher priority first, equal ones in track order. std::sort with the index as tie-break, not
  // std::stable_sort: that one takes a temporary buffer from the heap on every round.
  std::sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
    const auto pa = tracks[a].state->priority, pb = tracks[b].state->priority;
    return pa != pb ? pa > pb : a < b;
  });
  // Everyone's lowest layer before anyone's better one; the first video that has a layer may
  // oversend.
  bool oversend_left = options_.lowest_layer_oversend > 0;
  for (size_t i : order_) {
    decision_[i] = lowest_fitting(tracks[i], budget, oversend_left);
    if (decision_[i] != AllocationState::kUnset) oversend_left = false;
  }
  for (size_t i : order_)
    if (decision_[i] >= 0) decision_[i] = upgrade(tracks[i], decision_[i], budget);
  for (size_t i = 0; i < tracks.size(); ++i) {
    AllocationTrack& track = tracks[i];
    if (!track.video || track.subscriber_paused || decision_[i] == AllocationState::kUnset) continue;
    apply(track, decision_[i], now_ms, losing, result);
    result.allocated_bps += static_cast<uint64_t>(cost_of(track, track.state->layer));
  }
  for (size_t i = 0; i < tracks.size(); ++i)
    if (!tracks[i].video) result.allocated_bps += static_cast<uint64_t>(cost_of(tracks[i], decision_[i]));
  return result;
}

}  // namespace sfu

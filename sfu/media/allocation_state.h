// What the bandwidth allocator (bandwidth_allocator.h) decided for one down-track, kept with the
// down-track between its rounds: the layer it allows now (or paused), a pending up-switch waiting
// out its hold time, and the track's priority. Plain value; allocates nothing.
#pragma once

#include <cstdint>

namespace sfu {

struct AllocationState {
  static constexpr int8_t kUnset = -2;   // no round has decided yet: no cap
  static constexpr int8_t kPaused = -1;  // not even the lowest layer fits
  int8_t layer = kUnset;                 // the highest layer allowed
  // An up-switch (or a resume) the estimate allows since `up_since_ms`: applied after the hold.
  bool up_pending = false;
  uint64_t up_since_ms = 0;
  // A lower layer the estimate asks for since `down_since_ms` while the link loses nothing:
  // applied after the down-hold.
  bool down_pending = false;
  uint64_t down_since_ms = 0;
  // A pause the estimate asks for since `pause_since_ms` (the track meanwhile at its lowest layer).
  bool pause_pending = false;
  uint64_t pause_since_ms = 0;
  // Higher first (audio always comes first): set each round from the subscriber's track_settings
  // priority and the room's active speaker (BandwidthController::allocation_priority).
  uint8_t priority = 0;
};

}  // namespace sfu

// Which worker a new participant of a room goes to (docs/protocol.md, "Rooms across workers"),
// as a pure function of the policy (rooms.span_workers, rooms.span_margin) and the loads the
// control plane keeps. A participant never moves once placed.
//   - off: the room's home worker (chosen, least loaded, when the room was created): a room lives
//     on one worker.
//   - auto: the least loaded of the workers the room already uses, unless some other worker
//     carries at least `margin` fewer participants than that one: then that worker joins the room.
//     Small rooms on a balanced server thus stay on one worker (no copy between workers), and a
//     large room spreads over the workers as it grows.
//   - round_robin (tests only): the n-th participant of the room goes to worker n mod workers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "config/config.h"

namespace sfu {

struct PlacementRequest {
  config::SpanWorkers policy = config::SpanWorkers::Auto;
  uint32_t margin = 1;
  std::span<const size_t> worker_load;     // per worker: its participants (and rooms homed there)
  std::span<const uint32_t> room_workers;  // the workers the room uses already
  uint32_t room_home = 0;
  uint64_t room_joins = 0;  // participants placed in the room so far (round_robin)
};

uint32_t place_participant(const PlacementRequest& request);

}  // namespace sfu

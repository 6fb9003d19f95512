// GET /v1/rooms/{name} of a room that spans workers: every shard describes the participants it
// holds (RoomSnapshot) and, marked remote, the other shards' participants as it sees them (their
// tracks' `subscribers` counting only its own subscribers). merge_shard_snapshots() makes the one
// room the client sees: each participant once, from its own shard, with the subscribers every
// shard forwards its tracks to added up. Pure; runs on the control thread.
#pragma once

#include <string>
#include <vector>

#include "sfu/media/room_events.h"

namespace sfu {

// Participants sorted by id; remote entries whose participant no shard holds (it left meanwhile)
// are left out.
RoomSnapshot merge_shard_snapshots(const std::string& room, const std::vector<RoomSnapshot>& shards);

}  // namespace sfu

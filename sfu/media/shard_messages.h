// What the shards of a room that spans workers tell each other (room_shard.h), as typed values.
// A shard sends them to the control plane (RoomEvents::to_shards), which relays each, in order, to
// the room's other shards (or the one named): the control plane sees one room, and no worker
// touches another's objects. Built on a worker thread, read on others: plain values, copied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sfu/media/cross_worker_routes.h"
#include "sfu/media/published_track.h"

namespace sfu {

// A track a participant of the sending shard publishes, as the other shards' proxies need it.
struct ShardTrack {
  PublishedTrackSpec spec;
  CrossWorkerTrackRef ref;  // its export on the sending worker
};
struct ShardMember {
  std::string id;
  std::string name;
  std::vector<ShardTrack> tracks;
};

// The sending shard's participants and tracks, to a shard newly opened on another worker (which
// holds its joins until every other shard's state has arrived).
struct ShardState {
  std::vector<ShardMember> members;
  bool wants_media = false;
};
struct ShardJoined {
  std::string id;
  std::string name;
};
struct ShardLeft {
  std::string id;
  std::string reason;
};
struct ShardTrackPublished {
  std::string participant_id;
  ShardTrack track;
};
struct ShardTrackUnpublished {
  std::string participant_id;
  CrossWorkerTrackRef ref;
};
// Whether the sending shard has participants (then it receives every other shard's tracks).
struct ShardDemand {
  bool wants_media = false;
};

using ShardPayload =
    std::variant<ShardState, ShardJoined, ShardLeft, ShardTrackPublished, ShardTrackUnpublished, ShardDemand>;

struct ShardMessage {
  std::string room;
  uint32_t from_worker = 0;
  std::optional<uint32_t> to_worker;  // nullopt: every other shard of the room
  ShardPayload payload;
};

}  // namespace sfu

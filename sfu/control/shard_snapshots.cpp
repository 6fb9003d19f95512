#include "sfu/control/shard_snapshots.h"

#include <algorithm>
#include <map>

namespace sfu {

RoomSnapshot merge_shard_snapshots(const std::string& room, const std::vector<RoomSnapshot>& shards) {
  std::map<std::string, ParticipantSnapshot> own;  // by id, from the participant's own shard
  for (const RoomSnapshot& shard : shards)
    for (const ParticipantSnapshot& participant : shard.participants)
      if (!participant.remote) own[participant.id] = participant;
  for (const RoomSnapshot& shard : shards) {
    for (const ParticipantSnapshot& seen : shard.participants) {
      auto it = seen.remote ? own.find(seen.id) : own.end();
      if (it == own.end()) continue;
      for (const TrackSnapshot& proxy : seen.tracks) {
        auto track = std::find_if(it->second.tracks.begin(), it->second.tracks.end(),
                                  [&](const TrackSnapshot& t) { return t.id == proxy.id; });
        if (track != it->second.tracks.end()) track->subscribers += proxy.subscribers;
      }
    }
  }
  RoomSnapshot merged{room, {}};
  for (auto& [id, participant] : own) merged.participants.push_back(std::move(participant));
  return merged;
}

}  // namespace sfu

// What a PublishedTrack knows of the other workers of a room that spans workers (room_shard.h):
// on its publisher's worker, its export reference and the links of the workers that receive it
// (its packets are handed to each once, see cross_worker_link.h); on another worker, that it is a
// proxy of such a track, fed by the publisher's worker and asking it for keyframes and repairs.
// Empty on a room that lives on one worker.
//
// Thread: the track's worker. Changed by the room shard (negotiation time), read per packet.
#pragma once

#include <cstdint>
#include <vector>

namespace sfu {

class CrossWorkerLink;

// A track by its export on its publisher's worker: an id (reused after an unpublish) and the
// generation of that use, so a slot still in a ring for an earlier use is recognised and dropped.
struct CrossWorkerTrackRef {
  uint32_t export_id = 0;
  uint32_t generation = 0;
  bool operator==(const CrossWorkerTrackRef&) const = default;
};

// Publisher's worker, dynacast: what one receiving worker last said its subscribers need.
struct RemoteLayerDemand {
  uint32_t worker = 0;
  uint32_t layers = 0;  // bit i: layer i
  uint64_t at_ms = 0;   // when it arrived (the worker's loop clock)
};

struct CrossWorkerRoutes {
  CrossWorkerTrackRef ref;
  // Publisher's worker: the links to the workers whose participants receive the track.
  std::vector<CrossWorkerLink*> links;
  // Publisher's worker: the receiving workers' layer demands (dynacast.h), one entry per worker
  // that ever sent one (room shard reserves one per link, so an arrival allocates nothing).
  std::vector<RemoteLayerDemand> layer_demands;
  // Another worker: this track is a proxy; its publisher's worker NACKs the publisher, so the
  // proxy keeps a retransmission buffer (to answer its own subscribers) but no NACK state.
  bool proxied = false;
};

}  // namespace sfu

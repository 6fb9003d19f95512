// One worker's side of the tracks that cross workers (rooms spanning workers, room_shard.h): the
// tracks it exports (its publishers' tracks other workers receive, by export id) and the proxies it
// imports (other workers' tracks its subscribers receive, by the exporting worker and its export
// id), and what to do with a slot another worker sent (dispatch()):
//   - media or a repair of an imported track: into its proxy, through the proxy's room's router,
//     which fans it out to this worker's subscribers with their own down-tracks;
//   - a sender report of an imported track: rewritten to those subscribers;
//   - a keyframe request for an exported track: the router's request_keyframe (collapsed again
//     with this worker's own subscribers' requests, then a PLI to the publisher);
//   - a NACK for an exported track: each packet still in the track's buffer goes back as a repair
//     slot, at most once per 100 ms per packet and worker (the NACK responder's interval);
//   - a layer demand for an exported track: kept on the track for dynacast (note_layer_demand).
// A slot naming a track this worker no longer exports or imports (it was unpublished while the slot
// was in the ring) is dropped and counted (stale).
//
// Thread: the worker's. export/import change at negotiation time (they may allocate); dispatch()
// is the packet path and allocates nothing. Owned by the worker's CrossWorkerHub; the routers and
// tracks registered must be unregistered before they go (the room shard does).
#pragma once

#include <cstdint>
#include <vector>

#include "sfu/media/cross_worker_link.h"
#include "sfu/media/cross_worker_routes.h"

namespace sfu {

class PublishedTrack;
class Router;

class CrossWorkerTables {
 public:
  // The same interval the NACK responder keeps between two resends of a packet to one subscriber.
  static constexpr uint32_t kRepairIntervalMs = 100;

  explicit CrossWorkerTables(CrossWorkerCounters& counters) : counters_(counters) {}

  // A local track others may receive: its reference (a free id, the next generation of it).
  CrossWorkerTrackRef export_track(PublishedTrack& track, Router& router);
  void unexport(CrossWorkerTrackRef ref);
  // A proxy of `peer`'s exported track `ref`.
  void import_track(uint32_t peer, CrossWorkerTrackRef ref, PublishedTrack& proxy, Router& router);
  void unimport(uint32_t peer, CrossWorkerTrackRef ref);
  size_t exported() const;
  size_t imported() const;

  // Packet path: one slot from `peer`; `to_peer` is the link back (for repairs).
  void dispatch(uint32_t peer, CrossWorkerPacket& packet, CrossWorkerLink& to_peer, uint64_t now_ms);

 private:
  struct Entry {
    PublishedTrack* track = nullptr;
    Router* router = nullptr;
    uint32_t generation = 0;
  };
  Entry* exported_entry(CrossWorkerTrackRef ref);
  Entry* imported_entry(uint32_t peer, CrossWorkerTrackRef ref);
  void answer_nack(const Entry& exported, const CrossWorkerPacket& nack, uint32_t peer,
                   CrossWorkerLink& to_peer, uint64_t now_ms);

  CrossWorkerCounters& counters_;
  std::vector<Entry> exports_;  // by export id; an entry with no track is free
  std::vector<uint32_t> free_exports_;
  std::vector<std::vector<Entry>> imports_;  // by peer worker, then by its export id
};

}  // namespace sfu

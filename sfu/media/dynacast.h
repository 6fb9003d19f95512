// Dynacast: a simulcast publisher is told which of its layers anyone needs, so it stops encoding
// (and sending) the others and saves its CPU and uplink (docs/protocol.md, `publisher_layers`).
//
// needed_layers() is the one place that says what a track's subscribers need: for each active,
// unpaused down-track, the layer its subscriber's preferences cap it at (DownTrack::preferred_layer:
// `track_settings` and the tile's size; not the bandwidth allocator's cap, see below), its target
// and current layers, and always the lowest layer (a new subscriber starts at once). The
// cap alone would turn off the layer a subscriber falls back to while its cap's layer does not
// arrive (the publisher's own estimate keeps it off); the target alone follows the layers that
// arrive, so a layer turned off would never be asked back. Every layer below the highest needed
// one is needed too, so stepping down never waits for the publisher.
// A layer that a subscriber's downlink cannot carry now stays needed (as LiveKit's dynacast
// follows the subscribed quality, not the allocator's target): were it turned off, it would no
// longer arrive, the allocator could never pick it, its prober would never probe for it, and the
// subscriber would stay below it after its link recovered.
// A track whose packets also go to other workers (a room spanning workers) also needs what those
// workers' subscribers need: each such worker computes needed_layers() of its proxy of the track
// and sends it back (a kLayerDemand ring slot, at once when it changes and every
// kLayerDemandRefreshMs), and the publisher's worker ORs in every receiving worker's latest
// demand. A receiving worker not heard from within kLayerDemandStaleMs (it just started receiving,
// or its demands were lost to a full ring) counts as needing every layer.
//
// DynacastLayers debounces per track: a layer needed turns on at once, a layer unneeded turns
// off only after `off_delay_ms` without need (a tile resized back and forth does not make the
// publisher's encoder restart its layers). Pure state, allocates nothing.
// Thread: its room's worker.
#pragma once

#include <array>
#include <cstdint>

#include "sfu/media/cross_worker_routes.h"

namespace sfu {

class PublishedTrack;

constexpr uint64_t kLayerDemandRefreshMs = 1000;
constexpr uint64_t kLayerDemandStaleMs = 3000;

// Bit i: layer i is needed by some subscriber of `track`, on this worker or (for a track this
// worker exports) on the workers it goes to.
uint32_t needed_layers(PublishedTrack& track, uint64_t now_ms);

// Publisher's worker: `worker` says its subscribers need `layers` of the track `routes` belongs to.
// Ignored from a worker the track does not go to. Allocates nothing when the room shard reserved
// one entry per link (it does).
void note_layer_demand(CrossWorkerRoutes& routes, uint32_t worker, uint32_t layers, uint64_t now_ms);

class DynacastLayers {
 public:
  static constexpr uint8_t kMaxLayers = 4;

  // Timer: the layers needed now. True when active() changed (the publisher is to be told).
  bool update(uint32_t needed, uint8_t layer_count, uint64_t now_ms, uint64_t off_delay_ms);
  // Bit i: layer i is to be sent. Starts with every layer on (as the publisher starts).
  uint32_t active() const { return active_; }

  // On a proxy (another worker's track): true when `needed` is to be sent to the publisher's
  // worker now: it changed, or kLayerDemandRefreshMs passed since the last one.
  bool demand_due(uint32_t needed, uint64_t now_ms);

 private:
  uint32_t active_ = (1u << kMaxLayers) - 1;
  bool started_ = false;
  std::array<uint64_t, kMaxLayers> last_needed_ms_{};
  bool demanded_ = false;
  uint32_t last_demand_ = 0;
  uint64_t last_demand_ms_ = 0;
};

}  // namespace sfu

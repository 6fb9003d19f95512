#include "sfu/media/dynacast.h"

#include <algorithm>
#include <bit>

#include "sfu/media/cross_worker_link.h"
#include "sfu/media/down_track.h"
#include "sfu/media/published_track.h"

namespace sfu {

namespace {

// What the workers `routes` sends the track to need; every layer while one of them has not said.
uint32_t remote_needs(const CrossWorkerRoutes& routes, uint32_t all, uint64_t now_ms) {
  uint32_t needed = 0;
  for (const CrossWorkerLink* link : routes.links) {
    auto demand = std::find_if(routes.layer_demands.begin(), routes.layer_demands.end(),
                               [&](const RemoteLayerDemand& d) { return d.worker == link->to_worker(); });
    if (demand == routes.layer_demands.end() || now_ms - demand->at_ms > kLayerDemandStaleMs) return all;
    needed |= demand->layers;
  }
  return needed;
}

bool links_to(const CrossWorkerRoutes& routes, uint32_t worker) {
  return std::any_of(routes.links.begin(), routes.links.end(),
                     [&](const CrossWorkerLink* link) { return link->to_worker() == worker; });
}

}  // namespace

void note_layer_demand(CrossWorkerRoutes& routes, uint32_t worker, uint32_t layers, uint64_t now_ms) {
  if (!links_to(routes, worker)) return;
  auto& demands = routes.layer_demands;
  auto entry = std::find_if(demands.begin(), demands.end(), [&](const RemoteLayerDemand& d) {
    return d.worker == worker || !links_to(routes, d.worker);  // its own, or one no longer linked
  });
  if (entry == demands.end()) entry = demands.insert(demands.end(), RemoteLayerDemand{});
  *entry = RemoteLayerDemand{worker, layers, now_ms};
}

uint32_t needed_layers(PublishedTrack& track, uint64_t now_ms) {
  const auto count = static_cast<uint8_t>(std::min<size_t>(track.layer_count(), DynacastLayers::kMaxLayers));
  const uint32_t all = (1u << count) - 1;
  uint32_t needed = 1;  // the lowest layer: a new subscriber starts without waiting for it
  if (!track.remote_routes().links.empty()) needed |= remote_needs(track.remote_routes(), all, now_ms);
  for (DownTrack* down : track.down_tracks()) {
    if (!down->active() || down->selector().paused()) continue;
    down->sync_target();  // preferences set since the last packet
    const LayerSelector& selector = down->selector();
    // The cap: what it asks for, even while that layer is not sent (or its downlink's estimate
    // holds it back).
    needed |= 1u << std::min<uint8_t>(down->preferred_layer(), count - 1);
    // The target and the current layer: what it gets while the cap's layer does not arrive (the
    // publisher's own bandwidth or CPU keeps it off), or until a switch completes.
    for (int8_t layer : {selector.target(), selector.current()})
      if (layer >= 0 && layer < count) needed |= 1u << layer;
  }
  // Every layer below the highest needed one too (as LiveKit's dynacast does): a subscriber that
  // steps down (its bandwidth, a smaller tile) finds the next layer already sent, instead of
  // waiting for the publisher's encoder to restart it and for its key frame.
  needed &= all;
  return (1u << std::bit_width(needed)) - 1;
}

bool DynacastLayers::demand_due(uint32_t needed, uint64_t now_ms) {
  if (demanded_ && needed == last_demand_ && now_ms - last_demand_ms_ < kLayerDemandRefreshMs) return false;
  demanded_ = true;
  last_demand_ = needed;
  last_demand_ms_ = now_ms;
  return true;
}

bool DynacastLayers::update(uint32_t needed, uint8_t layer_count, uint64_t now_ms, uint64_t off_delay_ms) {
  const uint8_t count = std::min(layer_count, kMaxLayers);
  if (!started_) {
    // Every layer counts as needed at the start: the publisher gets time to bring them up and
    // the subscribers to say what they want.
    started_ = true;
    last_needed_ms_.fill(now_ms);
    active_ = (1u << count) - 1;
  }
  uint32_t active = 0;
  for (uint8_t i = 0; i < count; ++i) {
    if (needed & (1u << i)) last_needed_ms_[i] = now_ms;
    if (now_ms - last_needed_ms_[i] < off_delay_ms || (needed & (1u << i))) active |= 1u << i;
  }
  if (active_ == active) return false;
  active_ = active;
  return true;
}

}  // namespace sfu

#include "sfu/media/dynacast.h"

#include <algorithm>

#include "sfu/media/down_track.h"
#include "sfu/media/published_track.h"

namespace sfu {

uint32_t needed_layers(PublishedTrack& track) {
  const auto count = static_cast<uint8_t>(std::min<size_t>(track.layer_count(), DynacastLayers::kMaxLayers));
  const uint32_t all = (1u << count) - 1;
  if (!track.remote_routes().links.empty()) return all;
  uint32_t needed = 1;  // the lowest layer: a new subscriber starts without waiting for it
  for (DownTrack* down : track.down_tracks()) {
    if (!down->active() || down->selector().paused()) continue;
    down->sync_target();  // preferences set since the last packet
    const LayerSelector& selector = down->selector();
    // The cap: what it asks for, even while that layer is not sent.
    needed |= 1u << std::min<uint8_t>(selector.max_layer(), count - 1);
    // The target and the current layer: what it gets while the cap's layer does not arrive (the
    // publisher's own bandwidth or CPU keeps it off), or until a switch completes.
    for (int8_t layer : {selector.target(), selector.current()})
      if (layer >= 0 && layer < count) needed |= 1u << layer;
  }
  return needed & all;
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

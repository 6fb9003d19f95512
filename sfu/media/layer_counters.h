// Simulcast counters of a worker's rooms: layer switches made for subscribers, the key frame
// requests (PLIs to publishers) that switches asked for, and why packets of a simulcast or
// paused track did not go to a subscriber. Written by the worker thread only, read by /metrics.
#pragma once

#include <atomic>
#include <cstdint>

namespace sfu {

struct LayerCounters {
  std::atomic<uint64_t> switches_up{0}, switches_down{0};
  std::atomic<uint64_t> switch_keyframe_requests{0};
  // Packets not forwarded to one subscriber: of a layer it does not receive, of its target layer
  // before that layer's key frame (a start or a switch), of a track it paused, or of its current
  // layer from before the layer's start.
  std::atomic<uint64_t> not_forwarded_other_layer{0}, not_forwarded_waiting_keyframe{0},
      not_forwarded_paused{0}, not_forwarded_before_switch{0};
  // Scalable video (SvcFilter): a temporal or spatial layer above the subscriber's target.
  std::atomic<uint64_t> not_forwarded_temporal_layer{0}, not_forwarded_spatial_layer{0};
};

}  // namespace sfu

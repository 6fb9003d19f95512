// What one down-track (a track as one subscriber receives it) sent and did not send, by reason:
// kept by DownTrack on the packet path, read by Room::describe() for REST.
#pragma once

#include <cstdint>

namespace sfu {

struct DownTrackCounters {
  uint64_t packets = 0, bytes = 0, retransmitted = 0, dropped_unsupported_codec = 0,
           dropped_before_keyframe = 0;
  // Simulcast: switches made, and packets not forwarded because another layer is forwarded,
  // because the subscriber paused the track, or because they precede the current layer's start.
  uint64_t layer_switches = 0, dropped_other_layer = 0, dropped_paused = 0, dropped_before_switch = 0;
  // Scalable video: packets of a temporal or spatial layer above the subscriber's target.
  uint64_t dropped_temporal_layer = 0, dropped_spatial_layer = 0;
  // Audio RED packets that did not parse (or carried no Opus primary) where they had to be read.
  uint64_t dropped_malformed_red = 0;
  // What the sender report counts (RFC 3550 6.4.1): payload only, no header, CSRCs, extensions
  // or padding.
  uint64_t payload_bytes = 0;
};

}  // namespace sfu

// What a subscriber wants of one track it receives, as the track_settings message (docs/protocol.md
// 2.2) says it: a cap on the simulcast (or SVC spatial) layer and on the temporal layer, the size the video
// is shown at (the layer that covers it is picked), whether it is paused, and how it ranks against
// the subscriber's other tracks when its downlink cannot carry everything. Unset fields keep their
// value.
#pragma once

#include <cstdint>
#include <optional>

namespace sfu {

struct TrackPreferences {
  std::optional<uint8_t> max_layer;               // highest simulcast layer, 0 = lowest
  std::optional<uint16_t> max_width, max_height;  // the size it is shown at; 0 = no limit
  std::optional<uint8_t> max_temporal_layer;      // highest temporal layer (SVC, VP8 temporal)
  std::optional<bool> paused;
  std::optional<uint8_t> priority;  // 0 (the default) to kMaxTrackPriority: higher gets bandwidth first
};

inline constexpr uint8_t kMaxTrackPriority = 3;

}  // namespace sfu

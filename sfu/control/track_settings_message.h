// The `track_settings` signaling message (docs/protocol.md 2.2): a subscriber's preferences for
// one track it receives, checked field by field before they reach the room. Plain functions over
// the parsed JSON; runs on the control thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "sfu/media/track_preferences.h"

namespace sfu {

struct TrackSettingsRequest {
  std::string participant_id;  // the publisher
  std::string track_id;
  TrackPreferences preferences;
};

// The largest max_width / max_height accepted (pixels).
inline constexpr int kMaxTrackSettingsDimension = 16384;
// The largest max_temporal_layer accepted: Chromium's encoders send at most three (L1T3, L3T3).
inline constexpr int kMaxTemporalLayer = 2;

// bad_request (naming the field) for a missing or non-string participant_id or track_id, a
// max_layer not an integer 0-3, a max_temporal_layer not an integer 0-2, a max_width or
// max_height not an integer 0-16384, a paused that is not a boolean, or none of the five present.
Result<TrackSettingsRequest> parse_track_settings(const nlohmann::json& message);

}  // namespace sfu

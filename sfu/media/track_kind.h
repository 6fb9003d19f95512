#pragma once

#include <cstdint>
#include <string_view>

namespace sfu {

enum class TrackKind : uint8_t { Audio, Video };

inline std::string_view to_string(TrackKind kind) { return kind == TrackKind::Audio ? "audio" : "video"; }

// Header-extension ids as one side negotiated them; 0 = not negotiated.
struct ExtensionIds {
  uint8_t mid = 0;
  uint8_t rid = 0;
  uint8_t repaired_rid = 0;
  uint8_t abs_send_time = 0;
  uint8_t audio_level = 0;
  uint8_t transport_cc = 0;
};

// The ids the server uses toward subscribers. The server strips mid/rid and transport-cc from
// forwarded packets (they describe the publisher's connection, not the subscriber's).
inline constexpr ExtensionIds kSubscriberExtensionIds = {0, 0, 0, 2, 1, 0};

}  // namespace sfu

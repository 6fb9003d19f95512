// RTP header-extension ids as the media core uses them: what a publisher negotiated for each
// extension it sends, and the fixed ids the server uses toward subscribers. Plain values, copied
// into each PublishedTrack's spec and read on the worker thread. (A track's kind is
// sdp::MediaKind: one enum for audio/video across SDP, media and the bench client.)
#pragma once

#include <cstdint>

namespace sfu {

// Header-extension ids as one side negotiated them; 0 = not negotiated.
struct ExtensionIds {
  uint8_t mid = 0;
  uint8_t rid = 0;
  uint8_t repaired_rid = 0;
  uint8_t abs_send_time = 0;
  uint8_t audio_level = 0;
  uint8_t transport_cc = 0;
  uint8_t dependency_descriptor = 0;  // AV1 RTP spec appendix A (SVC layers of AV1, or VP9)

  bool operator==(const ExtensionIds&) const = default;
};

// The ids the server uses toward subscribers. The server strips mid/rid and the publisher's
// transport-cc from forwarded packets (they describe the publisher's connection, not the
// subscriber's); transport-cc toward a subscriber carries the server's own sequence numbers
// (TransportBandwidthEstimator).
inline constexpr ExtensionIds kSubscriberExtensionIds = {0, 0, 0, 2, 1, 3, 5};

}  // namespace sfu

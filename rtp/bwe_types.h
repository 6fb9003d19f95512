// Values shared by the parts of the send-side bandwidth estimator (send_side_bwe.h): what the
// over-use detector concludes, and which way the estimate is moving (what a prober or an
// allocator needs to know besides the number). Times are microseconds, rates bits per second.
#pragma once

#include <cstdint>

namespace sfu::rtp {

// The over-use detector's hypothesis about the path's queue (draft-ietf-rmcat-gcc-02 section 5.4).
enum class BandwidthUsage : uint8_t {
  kNormal,
  kUnderusing,  // the queue drains: delay falls
  kOverusing,   // the queue grows: delay rises
};

// Where the estimate is going: up (no congestion seen, the rate controller increases), holding
// (waiting for the queue to drain, or 2-10 % loss), or down (over-use or heavy loss just cut it).
enum class BweTrend : uint8_t {
  kIncreasing,
  kHolding,
  kDecreasing,
};

const char* to_string(BandwidthUsage usage);
const char* to_string(BweTrend trend);

}  // namespace sfu::rtp

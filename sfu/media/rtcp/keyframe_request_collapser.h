// Decides when a keyframe request (PLI, RFC 4585 section 6.3.1) goes to a publisher. Subscribers
// joining, subscribers' PLIs and FIRs, and the NACK generator giving up on a loss all ask for a
// keyframe; any number of asks within one interval collapse into a single PLI upstream, so a
// room of fifty subscribers does not make the publisher's encoder send fifty keyframes (as
// mediasoup's KeyFrameRequestManager and libdatachannel's PliHandler do).
//
// The first ask is sent at once; an ask within the interval after a sent PLI waits until the
// interval has passed and then goes out as one. The interval is the router's policy
// (media.publisher_keyframe_interval_ms), passed to take(). Pure state, no I/O: the router builds
// and sends the PLI when take() says so. One per published video track, owned by it; allocates
// nothing.
#pragma once

#include <cstdint>

namespace sfu {

class KeyframeRequestCollapser {
 public:
  // Long enough for the publisher's keyframe to arrive (about one RTT plus a frame), short
  // enough that a new subscriber waits at most this long for its first picture. The default of
  // media.publisher_keyframe_interval_ms.
  static constexpr uint64_t kDefaultIntervalMs = 500;

  // Someone wants a keyframe; idempotent until take() returns true.
  void request() { pending_ = true; }
  bool pending() const { return pending_; }

  // True when a PLI is to be sent now: something is pending and no PLI went out within the last
  // `interval_ms` (0: no limit). Clears the pending ask and starts a new interval.
  bool take(uint64_t now_ms, uint64_t interval_ms);

  uint64_t sent() const { return sent_; }

 private:
  bool pending_ = false;
  bool sent_once_ = false;
  uint64_t last_sent_ms_ = 0;
  uint64_t sent_ = 0;
};

}  // namespace sfu

// Relays a publisher's sender report to each subscriber in the subscriber's own spaces (RFC 3550
// section 6.4.1): the down-track's SSRC, the publisher's NTP time with the RTP timestamp moved by
// the down-track's offset, and the packet and octet counts the server itself sent on that
// down-track, followed by an SDES CNAME chunk (section 6.5.1) so the SR is a valid compound packet.
// Passing on the publisher's NTP<->RTP mapping is what keeps one participant's audio and video in
// lip sync at the receiver (libdatachannel's RtcpSrReporter builds the same pair).
//
// Thread: its room's worker. Owned by the Router; holds one scratch buffer, allocated with it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace sfu {

class DownTrack;
class PublishedTrack;

class SenderReportRewriter {
 public:
  // SR + SDES for `down` into `out`; 0 when the down-track has sent nothing yet (its timestamp
  // offset is not fixed, and the subscriber knows no such stream) or `out` is too small.
  static size_t build(const DownTrack& down, uint64_t ntp, uint32_t source_rtp_timestamp,
                      MutableByteSpan out);

  // Records the publisher's report on `track` (for receiver reports and the sender clock) and
  // sends every started down-track its rewritten copy through the down-track's sink. Returns how
  // many were sent.
  size_t relay(PublishedTrack& track, uint64_t ntp, uint32_t rtp_timestamp, uint64_t now_ms) {
    return relay(track, 0, ntp, rtp_timestamp, now_ms);
  }
  // A sender report of simulcast layer `layer`: only subscribers receiving that layer get it.
  size_t relay(PublishedTrack& track, size_t layer, uint64_t ntp, uint32_t rtp_timestamp, uint64_t now_ms);

 private:
  // SR (28 bytes) + SDES with a CNAME of at most 255 bytes.
  std::array<uint8_t, 512> scratch_{};
};

}  // namespace sfu

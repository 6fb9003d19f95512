// Answers a subscriber's generic NACK (RFC 4585 section 6.2.1) from the server's own buffer of
// the publisher's recent packets, so losses on the subscriber's hop are repaired at that hop and
// never reach the publisher. Each NACKed sequence number is mapped back into the publisher's
// space, looked up, rewritten for the subscriber and sent through the down-track's sink: as RTX
// (RFC 4588 section 4: RTX SSRC, RTX payload type, the original sequence number in the first two
// payload bytes) when the subscriber negotiated it, else as the original packet again. A
// number the buffer no longer (or never) held is counted as missed; the subscriber's own NACK
// retries and, past them, its keyframe request take over. (libdatachannel's RtcpNackResponder,
// pion/interceptor's pkg/nack responder.)
//
// Thread: its room's worker. Owned by the Router; holds two packet-sized scratch buffers (the
// stored copy and the rewritten packet before RTX wrapping), allocated with it, one packet at a
// time.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "rtp/rtcp_parser.h"

namespace sfu {

class DownTrack;

class NackResponder {
 public:
  struct Result {
    uint32_t resent = 0;
    uint32_t missed = 0;  // not buffered (unknown, expired, overwritten)
  };

  // Answers every sequence number `nack` names for `down` (the NACK's media SSRC).
  Result answer(DownTrack& down, const rtp::GenericNack& nack, uint64_t now_ms);
  // One sequence number, in the subscriber's space.
  Result answer_one(DownTrack& down, uint16_t subscriber_seq, uint64_t now_ms);

 private:
  // The stored packet is copied first: the rewrite edits the header in place.
  std::array<uint8_t, 2048> copy_{};
  std::array<uint8_t, 2048> rtx_scratch_{};
};

}  // namespace sfu

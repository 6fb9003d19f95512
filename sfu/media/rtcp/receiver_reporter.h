// Builds the receiver report the server sends a publisher about the streams it receives from it
// (RFC 3550 section 6.4.2): one report block per published track that has delivered packets,
// with loss, jitter and the last-SR fields from the track's ReceiveStatistics, so the publisher's
// sender sees its own hop's loss and round trip. At most 31 blocks fit one RR (RC is 5 bits);
// a publisher has far fewer tracks (the room caps them). (pion/interceptor's pkg/report.)
//
// Thread: its room's worker. Stateless apart from its block array, a member; allocates nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "rtp/rtcp_parser.h"

namespace sfu {

struct Participant;

class ReceiverReporter {
 public:
  // The RR for `publisher` into `out` (sender SSRC: the publisher's feedback SSRC); 0 when no
  // track has received anything yet, or `out` is too small.
  size_t build(Participant& publisher, uint64_t now_ms, MutableByteSpan out);

 private:
  std::array<rtp::ReportBlock, 31> blocks_{};
};

}  // namespace sfu

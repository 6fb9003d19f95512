// Asks a publisher again for the packets of one published track the server did not receive:
// a generic NACK (RFC 4585 section 6.2.1) with the sequence numbers the track's NackGenerator
// says are due now (after a short reorder delay, then once per round trip, a bounded number of
// times). Repairing the publisher's hop at the server means every subscriber's copy and the
// retransmission buffer have the packet. (pion/interceptor's pkg/nack generator.)
//
// Thread: its room's worker. Owned by the Router; its list of lost sequence numbers is a member,
// so it allocates nothing. Losses beyond one list stay due and go out with the next timer tick.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace sfu {

class PublishedTrack;
class LayerStream;

class NackRequester {
 public:
  // Round trip assumed for NACK pacing until measured; loopback and LAN calls are far below it.
  static constexpr uint32_t kDefaultRttMs = 100;

  // The NACK due now for `track` into `out`, sent as `sender_ssrc`; 0 when nothing is due (audio
  // tracks have no generator, streams not learned yet have no SSRC).
  size_t build_due(PublishedTrack& track, uint32_t sender_ssrc, uint64_t now_ms, MutableByteSpan out);
  // The same for one layer of a track (each simulcast layer has its own losses and SSRC).
  size_t build_due(LayerStream& layer, uint32_t sender_ssrc, uint64_t now_ms, MutableByteSpan out);

 private:
  std::array<uint16_t, 256> lost_{};
};

}  // namespace sfu

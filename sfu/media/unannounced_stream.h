// How an SSRC that the publisher's SDP did not announce joins one of its tracks, on the stream's
// first packet. Rid simulcast (Chromium, Firefox) announces no usable a=ssrc: the MID header
// extension names the track, and the rid (media) or repaired-rid (RTX) extension names the
// layer (RFC 8852), whatever order the layers' first packets come in. Only a layer whose slot is
// still unbound binds: a stream of another layer would be forwarded, or "restored" into the
// wrong layer, with foreign sequence numbers and frames. An RTX packet without a repair in it (a
// padding probe) never binds.
//
// Plain functions over the track and the packet; no state, nothing allocated.
#pragma once

#include <cstdint>

#include "rtp/rtp_packet.h"
#include "sfu/media/published_track.h"

namespace sfu {

enum class UnannouncedStream : uint8_t {
  kNone,    // not this track's, a rid it does not have, or a slot already bound
  kMedia,   // a layer's media stream: bind as that layer's SSRC
  kRepair,  // a layer's RTX stream: bind as that layer's RTX SSRC
};

struct UnannouncedBinding {
  UnannouncedStream kind = UnannouncedStream::kNone;
  uint8_t layer = 0;
};

// What `packet`, on an SSRC no track knows, is to `track`.
UnannouncedBinding classify_unannounced_stream(const PublishedTrack& track, const rtp::RtpPacket& packet);

}  // namespace sfu

// How an SSRC that the publisher's SDP did not announce joins one of its tracks, on the stream's
// first packet. Rid simulcast (Chromium) announces no a=ssrc at all: the MID header extension
// names the track, and the rid (media) or repaired-rid (RTX) extension names the layer. A track
// forwards one layer (PublishedTrackSpec::rid), so only that layer's media and repair streams
// may bind: another layer's would be forwarded, or "restored" into the forwarded one, with
// foreign sequence numbers and frames. An RTX packet without a repair in it (a padding probe)
// never binds.
//
// Plain functions over the track and the packet; no state, nothing allocated.
#pragma once

#include <cstdint>

#include "rtp/rtp_packet.h"
#include "sfu/media/published_track.h"

namespace sfu {

enum class UnannouncedStream : uint8_t {
  kNone,    // not this track's, or not the layer it forwards, or a slot already bound
  kMedia,   // the forwarded layer's media stream: bind as the track's SSRC
  kRepair,  // the forwarded layer's RTX stream: bind as the track's RTX SSRC
};

// What `packet`, on an SSRC no track knows, is to `track`.
UnannouncedStream classify_unannounced_stream(const PublishedTrack& track, const rtp::RtpPacket& packet);

}  // namespace sfu

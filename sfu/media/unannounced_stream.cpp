#include "sfu/media/unannounced_stream.h"

namespace sfu {
namespace {

// RFC 4588 section 4: an RTX payload starts with the original sequence number; a packet with
// less (Chromium's padding probes carry padding only) repairs nothing.
constexpr size_t kRtxHeaderSize = 2;

// Whether the packet's rid-type extension (`extension_id`: rid or repaired-rid) names the layer
// the track forwards. A track without rids forwards its only stream, whatever the packet says;
// a track with rids whose extension was not negotiated cannot tell its layers apart and binds
// nothing rather than a guess.
bool names_forwarded_layer(const rtp::RtpPacket& packet, uint8_t extension_id, const std::string& rid) {
  if (rid.empty()) return true;
  if (extension_id == 0) return false;
  auto value = packet.rid(extension_id);
  return value && *value == rid;
}

}  // namespace

UnannouncedStream classify_unannounced_stream(const PublishedTrack& track, const rtp::RtpPacket& packet) {
  const PublishedTrackSpec& spec = track.spec();
  if (spec.extensions.mid == 0) return UnannouncedStream::kNone;
  auto mid = packet.mid(spec.extensions.mid);
  if (!mid || *mid != spec.mid) return UnannouncedStream::kNone;
  if (track.codec_for(packet.payload_type())) {
    bool binds = track.ssrc() == 0 && names_forwarded_layer(packet, spec.extensions.rid, spec.rid);
    return binds ? UnannouncedStream::kMedia : UnannouncedStream::kNone;
  }
  if (track.media_payload_type_of_rtx(packet.payload_type())) {
    bool binds = track.rtx_ssrc() == 0 && packet.payload_size() >= kRtxHeaderSize &&
                 names_forwarded_layer(packet, spec.extensions.repaired_rid, spec.rid);
    return binds ? UnannouncedStream::kRepair : UnannouncedStream::kNone;
  }
  return UnannouncedStream::kNone;
}

}  // namespace sfu

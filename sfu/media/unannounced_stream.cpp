#include "sfu/media/unannounced_stream.h"

namespace sfu {
namespace {

// RFC 4588 section 4: an RTX payload starts with the original sequence number; a packet with
// less (Chromium's padding probes carry padding only) repairs nothing.
constexpr size_t kRtxHeaderSize = 2;

// The layer the packet's rid-type extension (`extension_id`: rid or repaired-rid) names. A track
// without rids has one layer, whatever the packet says; a track with rids whose extension was
// not negotiated cannot tell its layers apart and binds nothing rather than a guess.
int named_layer(const PublishedTrack& track, const rtp::RtpPacket& packet, uint8_t extension_id) {
  if (track.layer_count() == 1 && track.layer(0).rid().empty()) return 0;
  if (extension_id == 0) return -1;
  auto value = packet.rid(extension_id);
  if (!value) return -1;
  for (size_t i = 0; i < track.layer_count(); ++i)
    if (track.layer(i).rid() == *value) return static_cast<int>(i);
  return -1;
}

}  // namespace

UnannouncedBinding classify_unannounced_stream(const PublishedTrack& track, const rtp::RtpPacket& packet) {
  const PublishedTrackSpec& spec = track.spec();
  if (spec.extensions.mid == 0) return {};
  auto mid = packet.mid(spec.extensions.mid);
  if (!mid || *mid != spec.mid) return {};
  if (track.codec_for(packet.payload_type())) {
    int layer = named_layer(track, packet, spec.extensions.rid);
    if (layer < 0 || track.layer(static_cast<size_t>(layer)).ssrc() != 0) return {};
    return {UnannouncedStream::kMedia, static_cast<uint8_t>(layer)};
  }
  if (track.media_payload_type_of_rtx(packet.payload_type())) {
    if (packet.payload_size() < kRtxHeaderSize) return {};
    int layer = named_layer(track, packet, spec.extensions.repaired_rid);
    if (layer < 0 || track.layer(static_cast<size_t>(layer)).rtx_ssrc() != 0) return {};
    return {UnannouncedStream::kRepair, static_cast<uint8_t>(layer)};
  }
  return {};
}

}  // namespace sfu

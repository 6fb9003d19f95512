// What the media unit tests share: a MediaSink that records what the router sends instead of
// encrypting it (no sockets, no DTLS), and builders for the publisher's RTP packets and tracks.
// Header-only; each test binary of tests/unit/media includes it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "rtp/keyframe_detector.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "rtp/rtp_packet.h"
#include "sfu/media/down_track.h"
#include "sfu/media/media_sink.h"
#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"

namespace sfu::test {

using Bytes = std::vector<uint8_t>;

// Records every committed RTP packet and every RTCP packet, plain, in order.
class FakeMediaSink final : public MediaSink {
 public:
  bool ready() const override { return ready_; }
  MutableByteSpan acquire_send() override { return slot_; }
  bool commit_rtp(MutableByteSpan slot, size_t size) override {
    if (!ready_) return false;
    rtp.emplace_back(slot.begin(), slot.begin() + static_cast<std::ptrdiff_t>(size));
    return true;
  }
  bool send_rtcp(ByteSpan packet) override {
    if (!ready_) return false;
    rtcp.emplace_back(packet.begin(), packet.end());
    return true;
  }

  void set_ready(bool ready) { ready_ = ready; }
  void clear() {
    rtp.clear();
    rtcp.clear();
  }
  // The RTCP packets (compounds split) of the given kind, in order; views into `rtcp`.
  std::vector<rtp::RtcpHeader> rtcp_of(rtp::RtcpMessageKind kind) const {
    std::vector<rtp::RtcpHeader> found;
    for (const auto& compound : rtcp) {
      rtp::RtcpCompoundIterator packets{ByteSpan(compound)};
      rtp::RtcpHeader header;
      while (packets.next(header))
        if (rtp::classify_rtcp(header) == kind) found.push_back(header);
    }
    return found;
  }

  std::vector<Bytes> rtp;
  std::vector<Bytes> rtcp;

 private:
  bool ready_ = true;
  std::array<uint8_t, 1500> slot_{};
};

// A VP8 keyframe start (RFC 7741 descriptor S=1 PID=0, then a keyframe header with its start
// code) and a delta frame.
inline const Bytes kVp8Keyframe = {0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0x11};
inline const Bytes kVp8Delta = {0x10, 0x11, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22};

inline sdp::Codec make_codec(uint8_t pt, const char* name, uint32_t clock) {
  sdp::Codec c;
  c.payload_type = pt;
  c.name = name;
  c.clock_rate = clock;
  return c;
}

// A plain RTP packet without header extensions.
inline Bytes make_rtp(uint32_t ssrc, uint8_t pt, uint16_t seq, uint32_t ts, const Bytes& payload) {
  rtp::RtpHeaderFields fields;
  fields.payload_type = pt;
  fields.sequence_number = seq;
  fields.timestamp = ts;
  fields.ssrc = ssrc;
  Bytes out(1500);
  out.resize(rtp::build_rtp_packet(fields, {}, payload, 0, out));
  return out;
}

inline rtp::RtpPacket view(Bytes& bytes) { return *rtp::RtpPacket::parse(MutableByteSpan(bytes)); }

// Payload types of the tracks below: the publisher's, and what every subscriber accepted.
constexpr uint8_t kVp8Pt = 96, kVp8RtxPt = 97, kOpusPt = 111;
constexpr uint8_t kSubscriberVp8Pt = 100, kSubscriberVp8RtxPt = 101, kSubscriberOpusPt = 109;

// Publishes a VP8 (96, RTX 97) or Opus (111) track on `publisher`, sending its feedback to `sink`.
inline PublishedTrack& add_track(Participant& publisher, MediaSink& sink, sdp::MediaKind kind, uint32_t ssrc,
                                 uint32_t rtx_ssrc = 0) {
  PublishedTrackSpec spec;
  spec.id = kind == sdp::MediaKind::kVideo ? "video" : "audio";
  spec.mid = kind == sdp::MediaKind::kVideo ? "1" : "0";
  spec.kind = kind;
  spec.ssrc = ssrc;
  spec.rtx_ssrc = rtx_ssrc;
  spec.codecs = {kind == sdp::MediaKind::kVideo ? make_codec(kVp8Pt, "VP8", 90000)
                                                : make_codec(kOpusPt, "opus", 48000)};
  if (kind == sdp::MediaKind::kVideo) spec.rtx_payload_type[kVp8Pt] = kVp8RtxPt;
  publisher.published.push_back(std::make_unique<PublishedTrack>(publisher, sink, spec));
  return *publisher.published.back();
}

// Subscribes `subscriber` to `track` as the room does once the answer is in: payload types mapped
// (with RTX for video when `rtx_ssrc` is set), active, linked into both lists.
inline DownTrack& add_down_track(PublishedTrack& track, Participant& subscriber, MediaSink& sink,
                                 uint32_t ssrc, uint32_t rtx_ssrc = 0) {
  subscriber.down_tracks.push_back(std::make_unique<DownTrack>(track, subscriber, sink, "m", ssrc, rtx_ssrc));
  DownTrack& down = *subscriber.down_tracks.back();
  if (track.kind() == sdp::MediaKind::kVideo)
    down.map_payload_type(kVp8Pt, kSubscriberVp8Pt, rtx_ssrc != 0 ? kSubscriberVp8RtxPt : 0);
  else
    down.map_payload_type(kOpusPt, kSubscriberOpusPt, 0);
  down.set_active(true);
  track.down_tracks().push_back(&down);
  return down;
}

// Feeds `bytes` to the track and forwards it to `down` as the router would (the keyframe flag
// from the payload); returns the rewritten packet, empty when nothing was sent.
inline Bytes forward_one(PublishedTrack& track, DownTrack& down, Bytes bytes, uint64_t now_ms) {
  rtp::RtpPacket packet = view(bytes);
  track.on_packet(packet, now_ms);
  Bytes out(1500);
  bool key = rtp::is_keyframe_start(track.video_codec_for(packet.payload_type()), packet.payload());
  out.resize(down.rewrite(packet, key, out));
  return out;
}

// The single RTCP packet of `bytes` (a compound of one), or nullopt. The header views `bytes`.
inline std::optional<rtp::RtcpHeader> only_rtcp(const Bytes& bytes) {
  rtp::RtcpCompoundIterator packets{ByteSpan(bytes)};
  rtp::RtcpHeader header;
  if (!packets.next(header)) return std::nullopt;
  rtp::RtcpHeader extra;
  if (packets.next(extra)) return std::nullopt;
  return header;
}

}  // namespace sfu::test

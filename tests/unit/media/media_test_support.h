// What the media unit tests share: a MediaSink that records what the router sends instead of
// encrypting it (no sockets, no DTLS), and builders for the publisher's RTP packets and tracks.
// Header-only; each test binary of tests/unit/media includes it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "rtp/rtp_packet.h"
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
  // The RTCP packets (compounds split) of the given kind, in order.
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

}  // namespace sfu::test

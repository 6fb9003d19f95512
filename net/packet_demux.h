// Demultiplexing of STUN, DTLS, RTP and RTCP arriving on one UDP port, by the first byte of the
// packet (RFC 7983 §7) and, for RTP versus RTCP, the second byte (RFC 5761 §4).
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace sfu::net {

enum class PacketKind : uint8_t { Stun, Dtls, Rtp, Rtcp, Unknown };

// RFC 7983 ranges of the first byte: 0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 64-79 TURN channel,
// 128-191 RTP/RTCP. ZRTP and TURN channels are not used here and come out as Unknown. Within
// RTP/RTCP, a second byte of 192-223 is an RTCP packet type (RFC 5761 §4; RTP payload types
// 64-95, which would collide with a marker bit set, are not used); a packet too short to have a
// second byte is Unknown.
inline PacketKind classify_packet(ByteSpan packet) {
  if (packet.empty()) return PacketKind::Unknown;
  const uint8_t first = packet[0];
  if (first <= 3) return PacketKind::Stun;
  if (first >= 20 && first <= 63) return PacketKind::Dtls;
  if (first >= 128 && first <= 191) {
    if (packet.size() < 2) return PacketKind::Unknown;
    const uint8_t second = packet[1];
    return (second >= 192 && second <= 223) ? PacketKind::Rtcp : PacketKind::Rtp;
  }
  return PacketKind::Unknown;
}

inline const char* to_string(PacketKind kind) {
  switch (kind) {
    case PacketKind::Stun:
      return "stun";
    case PacketKind::Dtls:
      return "dtls";
    case PacketKind::Rtp:
      return "rtp";
    case PacketKind::Rtcp:
      return "rtcp";
    case PacketKind::Unknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace sfu::net

// The stamp every synthetic media packet carries at the end of its payload, so a receiver can
// tell, without any side channel, which stream a packet belongs to, where it sits in that stream
// and when it was sent. Publisher and receivers run on one machine and share CLOCK_MONOTONIC, so
// receive time minus send time is the one-way latency.
//
// Layout (big endian), kStampSize bytes at the very end of the RTP payload:
//   magic "SFUB" (4) | stream index (4) | sequence (4) | send time, monotonic ns (8)
// At the end rather than the start so that codec headers (the VP8 payload descriptor the server
// inspects for keyframes) keep their place at the start of the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace sfu::bench {

struct PacketStamp {
  uint32_t stream = 0;    // room-local stream index (publisher index * 2 + 0 audio / 1 video)
  uint32_t sequence = 0;  // per stream, 0, 1, 2, ... independent of the RTP sequence number
  uint64_t send_ns = 0;   // CLOCK_MONOTONIC when the packet was built
  bool operator==(const PacketStamp&) const = default;
};

inline constexpr size_t kStampSize = 20;
inline constexpr uint32_t kStampMagic = 0x53465542;  // "SFUB"

// Writes the stamp into the last kStampSize bytes of `payload`. False when the payload is shorter.
bool write_stamp(const PacketStamp& stamp, MutableByteSpan payload);
// Reads the stamp from the end of `payload`; nullopt when it is too short or the magic is wrong.
std::optional<PacketStamp> read_stamp(ByteSpan payload);

// CLOCK_MONOTONIC in nanoseconds.
uint64_t monotonic_ns();

}  // namespace sfu::bench

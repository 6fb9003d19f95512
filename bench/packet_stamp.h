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
  // Room-local stream index (publisher index * 2 + 0 audio / 1 video) in the low 24 bits; the
  // simulcast layer of a video packet in the top 8 (0 without simulcast), see stamp_stream().
  uint32_t stream = 0;
  uint32_t sequence = 0;  // per stream, 0, 1, 2, ... independent of the RTP sequence number
  uint64_t send_ns = 0;   // CLOCK_MONOTONIC when the packet was built
  bool operator==(const PacketStamp&) const = default;
};

inline constexpr size_t kStampSize = 20;

// With simulcast (sfu-bench --simulcast) each layer of a publisher's video is a stream of its own
// (its own stamp sequence), so a receiver of one layer counts loss on exactly what it should get.
inline constexpr uint32_t stamp_stream(uint32_t stream, uint32_t layer) { return stream | (layer << 24); }
inline constexpr uint32_t stamp_stream_index(uint32_t stamp_stream) { return stamp_stream & 0xFFFFFF; }
inline constexpr uint32_t stamp_stream_layer(uint32_t stamp_stream) { return stamp_stream >> 24; }
inline constexpr uint32_t kStampMagic = 0x53465542;  // "SFUB"

// Writes the stamp into the last kStampSize bytes of `payload`. False when the payload is shorter.
bool write_stamp(const PacketStamp& stamp, MutableByteSpan payload);
// Reads the stamp from the end of `payload`; nullopt when it is too short or the magic is wrong.
std::optional<PacketStamp> read_stamp(ByteSpan payload);
// As read_stamp(), and for a payload of the test client's SimulcastVideo, whose last three bytes
// are its layer tag, the stamp just before that tag.
std::optional<PacketStamp> read_stamp_or_tagged(ByteSpan payload);

// CLOCK_MONOTONIC in nanoseconds.
uint64_t monotonic_ns();

}  // namespace sfu::bench

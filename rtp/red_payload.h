// The RTP payload for redundant audio data (RFC 2198), as Chromium sends Opus in it ("audio/red",
// fmtp "111/111"): block headers, then the blocks' data in the same order, the primary (newest)
// encoding last.
//
//   redundant block header (4 bytes):  |1| block PT (7) | timestamp offset (14) | block length (10) |
//   primary block header (1 byte):     |0| block PT (7) |
//
// A forwarder reads it to hand subscribers that did not negotiate RED the primary block alone,
// and to rewrite the blocks' payload types into a subscriber's payload-type space. Plain
// functions over the payload (RtpPacket::payload(), padding excluded): they read nothing past it,
// allocate nothing, and refuse anything truncated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace sfu::rtp {

enum class RedError : uint8_t {
  kNone,
  kTruncatedHeader,  // the payload ends inside the block headers (or before the primary header)
  kBlockPastEnd,     // the redundant blocks' lengths reach past the end of the payload
  kEmptyPrimary,     // nothing is left for the primary encoding
  kTooManyBlocks,    // more than kMaxRedBlocks blocks (no sender makes that many)
};

const char* to_string(RedError error);

struct RedBlock {
  uint8_t payload_type = 0;
  uint16_t timestamp_offset = 0;  // 0 for the primary block
  size_t offset = 0;              // of the block's data, from the start of the payload
  size_t length = 0;
};

// Chromium sends up to 2 redundant blocks (WebRTC-Audio-Red-For-Opus); RFC 2198 sets no limit,
// the bound keeps the parse in a fixed-size array.
inline constexpr size_t kMaxRedBlocks = 16;

struct RedPayload {
  std::array<RedBlock, kMaxRedBlocks> blocks{};
  size_t block_count = 0;  // at least 1: the primary block is blocks[block_count - 1]
  size_t header_size = 0;  // bytes of block headers (4 per redundant block, 1 for the primary)

  const RedBlock& primary() const { return blocks[block_count - 1]; }
};

// Parses a RED payload into `out`. kNone on success; on any error `out` is not to be used.
RedError parse_red_payload(ByteSpan payload, RedPayload& out);

// Rewrites, in place, the payload type of every block header of a parsed payload that names
// `from` to `to` (a subscriber whose Opus payload type differs from the publisher's).
void rewrite_red_block_payload_types(MutableByteSpan payload, const RedPayload& red, uint8_t from,
                                     uint8_t to);

}  // namespace sfu::rtp

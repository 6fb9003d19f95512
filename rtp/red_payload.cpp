// RFC 2198 redundant audio payloads (rtp/red_payload.h).

#include "rtp/red_payload.h"

namespace sfu::rtp {

const char* to_string(RedError error) {
  switch (error) {
    case RedError::kNone:
      return "none";
    case RedError::kTruncatedHeader:
      return "truncated block header";
    case RedError::kBlockPastEnd:
      return "block length past the end of the payload";
    case RedError::kEmptyPrimary:
      return "empty primary block";
    case RedError::kTooManyBlocks:
      return "too many blocks";
  }
  return "unknown";
}

RedError parse_red_payload(ByteSpan payload, RedPayload& out) {
  out.block_count = 0;
  size_t at = 0;
  size_t data_size = 0;  // of the redundant blocks
  // Redundant block headers (F = 1), then the primary's one-byte header (F = 0).
  while (true) {
    if (at >= payload.size()) return RedError::kTruncatedHeader;
    if (out.block_count == kMaxRedBlocks) return RedError::kTooManyBlocks;
    RedBlock& block = out.blocks[out.block_count++];
    const uint8_t first = payload[at];
    block.payload_type = first & 0x7F;
    if ((first & 0x80) == 0) {
      ++at;
      break;
    }
    if (payload.size() - at < 4) return RedError::kTruncatedHeader;
    block.timestamp_offset = static_cast<uint16_t>((payload[at + 1] << 6) | (payload[at + 2] >> 2));
    block.length = static_cast<size_t>(((payload[at + 2] & 0x03) << 8) | payload[at + 3]);
    data_size += block.length;
    at += 4;
  }
  out.header_size = at;
  if (data_size > payload.size() - at) return RedError::kBlockPastEnd;
  size_t offset = at;
  for (size_t i = 0; i + 1 < out.block_count; ++i) {
    out.blocks[i].offset = offset;
    offset += out.blocks[i].length;
  }
  RedBlock& primary = out.blocks[out.block_count - 1];
  primary.timestamp_offset = 0;
  primary.offset = offset;
  primary.length = payload.size() - offset;
  if (primary.length == 0) return RedError::kEmptyPrimary;
  return RedError::kNone;
}

void rewrite_red_block_payload_types(MutableByteSpan payload, const RedPayload& red, uint8_t from,
                                     uint8_t to) {
  // Headers are 4 bytes each but the last, which is 1: header i starts at 4 * i.
  for (size_t i = 0; i < red.block_count; ++i) {
    const size_t at = 4 * i;
    if (at >= payload.size() || (payload[at] & 0x7F) != from) continue;
    payload[at] = static_cast<uint8_t>((payload[at] & 0x80) | (to & 0x7F));
  }
}

}  // namespace sfu::rtp

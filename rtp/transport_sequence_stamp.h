// Writes a transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01,
// a 2-byte RFC 8285 header extension) into an RTP packet the server is about to send, so that the
// peer's transport-cc feedback can name it. The forwarder's packets come from the publisher with
// the publisher's own transport-cc element already blanked to padding (DownTrack strips it), so
// the usual case reuses that gap and changes no length.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace sfu::rtp {

// `buffer` holds an RTP packet of `size` bytes at its start and has room after it. In this order:
// overwrites an element `id` of 2 bytes; fills a run of padding bytes in the extension block that
// is long enough (3 in the one-byte form, 4 in the two-byte form); appends one 32-bit word to the
// block; or, without a block, adds one (8 bytes, one-byte form for ids 1..14, else two-byte).
// Payload and padding move back as needed. Returns the packet's new size, or 0 (buffer unchanged)
// when the packet is malformed, the block has another profile, an element `id` of another size is
// present, or the buffer is too small.
size_t stamp_transport_sequence(MutableByteSpan buffer, size_t size, uint8_t id, uint16_t sequence);

}  // namespace sfu::rtp

// The VP8 RTP payload descriptor (RFC 7741 section 4.2): parsed to find a packet's picture id,
// TL0PICIDX and temporal layer, and rewritten in place when a forwarder splices streams (a
// simulcast layer switch) so the receiver's decoder sees one continuous picture id sequence.
// Also reads the frame size a VP8 key frame carries (RFC 6386 section 9.1).
//
// Plain functions over the payload (RtpPacket::payload(), padding excluded); they read nothing
// past it, allocate nothing, and refuse anything truncated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace sfu::rtp {

struct Vp8Descriptor {
  bool start_of_partition = false;  // S
  uint8_t partition_id = 0;         // PID
  // Picture id (I): 7 or 15 bits (M), at picture_id_offset in the payload.
  bool has_picture_id = false;
  bool picture_id_15_bit = false;
  uint16_t picture_id = 0;
  size_t picture_id_offset = 0;
  // TL0PICIDX (L): the running index of temporal-layer-0 pictures, at tl0_offset.
  bool has_tl0_pic_idx = false;
  uint8_t tl0_pic_idx = 0;
  size_t tl0_offset = 0;
  // TID and Y (T), KEYIDX (K).
  bool has_tid = false;
  uint8_t tid = 0;
  bool layer_sync = false;
  bool has_key_idx = false;
  uint8_t key_idx = 0;
  size_t size = 0;  // descriptor bytes; the VP8 payload follows

  // The first packet of a frame: S=1 and partition 0.
  bool starts_frame() const { return start_of_partition && partition_id == 0; }
};

// nullopt when the descriptor is truncated, or nothing follows it.
std::optional<Vp8Descriptor> parse_vp8_descriptor(ByteSpan payload);

// The picture id mask of a descriptor's width: 0x7F or 0x7FFF.
inline uint16_t vp8_picture_id_mask(const Vp8Descriptor& d) { return d.picture_id_15_bit ? 0x7FFF : 0x7F; }

// In-place rewrites at the offsets `d` (parsed from this very payload) names; the width of the
// field never changes (a 7-bit picture id is written modulo 128). No-ops when the field is absent.
void write_vp8_picture_id(MutableByteSpan payload, const Vp8Descriptor& d, uint16_t picture_id);
void write_vp8_tl0_pic_idx(MutableByteSpan payload, const Vp8Descriptor& d, uint8_t tl0_pic_idx);

struct FrameSize {
  uint16_t width = 0;
  uint16_t height = 0;
  bool operator==(const FrameSize&) const = default;
};

// The frame size of a VP8 key frame's first packet (start of partition 0, P=0, start code
// 9d 01 2a): the 14-bit width and height, scaling bits dropped. nullopt for anything else.
std::optional<FrameSize> vp8_keyframe_size(ByteSpan payload);

}  // namespace sfu::rtp
